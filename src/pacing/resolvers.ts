/**
 * Resolvers: for a diagnosis, the resolutions that may help, in a default order that encodes what an operator would
 * try first, re-ranked by what helped in earlier runs (the store's judged records) and without those that already
 * failed for that diagnosis in this shift. Each resolver says whether it applies now and, if so, exactly what it
 * does (sized from the readings) and what it expects; the manager takes the first that applies.
 */
import type { DiagnosisKind, ResolverKind, ResolverStats } from '../model/regulation.js';
import { CLOSED_LOOP_DEFAULTS } from './closed-loop.js';
import { failingShare, hottestAt, loadedUtil, roomOf, withCallees } from './detectors.js';
import { SICK } from './diagnosers.js';
import {
  HEALTH,
  type Diagnosis,
  type Expectation,
  type HealthInput,
  type HealthMemory,
  type ResolutionEffects,
  type Symptom,
} from './health.js';
import { capacityOf, headroomOf, pct } from './headroom.js';
import { EPSILON, type DecisionKind, type PacerInput } from './pacer.js';

/** What a resolver proposes; the manager numbers it and schedules its judgement. */
export interface Proposal extends ResolutionEffects {
  readonly resolver: ResolverKind;
  readonly kind: DecisionKind;
  /** Fraction of the move to make now (negative: back to the source); 0 for no traffic move. */
  readonly step: number;
  readonly text: string;
  readonly expect: Expectation;
  /** How long after acting it is judged (propagation and settle of what it changes), ms. */
  readonly judgeAfterMs: number;
  /** The memory as the resolution leaves it (a smaller step allowed from now on, say). */
  readonly memory?: Partial<HealthMemory>;
}

export interface ResolverContext {
  readonly input: PacerInput;
  readonly health: HealthInput;
  readonly memory: HealthMemory;
  readonly diagnosis: Diagnosis;
  /** The source is failing (an emergency plan, or its own readings say so): never move traffic back to it. */
  readonly failing: boolean;
  /** The utilisation the receivers are held to (the target, or the emergency ceiling). */
  readonly ceiling: number;
  /** Every symptom seen now (the diagnosis keeps only its own receivers'): where else is sick. */
  readonly symptoms?: readonly Symptom[];
}

/** The default order of resolvers per diagnosis: what to try first. */
export const RESOLVER_ORDER: Readonly<Record<DiagnosisKind, readonly ResolverKind[]>> = {
  'receivers-lost-capacity': ['route-around', 'move-back', 'start-jobs', 'back-off', 'hold-and-page'],
  'receivers-full': ['route-around', 'move-back', 'hold-and-page'],
  'slow-receiver': ['route-around', 'move-back', 'start-jobs', 'hold-and-page'],
  'step-too-large': ['back-off', 'shrink-step', 'hold-and-page'],
  'cold-caches': ['wait', 'back-off', 'shrink-step', 'hold-and-page'],
  'metric-lag': ['wait', 'hold-and-page'],
  'backbone-saturated': ['shrink-step', 'move-back', 'hold-and-page'],
  'reconnect-storm': ['slow-teardown', 'hold-and-page'],
};

/**
 * How well a resolver did for a diagnosis in earlier runs: (helped + ½ partly + 1) / (tried + 2), so an untried one
 * scores ½, one that always helped approaches 1 and one that never did approaches 0.
 */
export function score(stats: readonly ResolverStats[], diagnosis: DiagnosisKind, resolver: ResolverKind): number {
  const s = stats.find((x) => x.diagnosis === diagnosis && x.resolver === resolver);
  return s ? (s.helped + s.partly / 2 + 1) / (s.tried + 2) : 0.5;
}

/**
 * The resolvers to try for a diagnosis, best first: the default order, re-ranked by score (stable, so equal scores
 * keep it), without those that failed for it in this shift; hold-and-page always last, never ruled out.
 */
export function rankResolvers(
  diagnosis: DiagnosisKind,
  stats: readonly ResolverStats[],
  failed: HealthMemory['failed'],
): ResolverKind[] {
  const order = RESOLVER_ORDER[diagnosis].filter(
    (r) => r !== 'hold-and-page' && !failed.some((f) => f.diagnosis === diagnosis && f.resolver === r),
  );
  const ranked = order
    .map((r, i) => ({ r, i, s: score(stats, diagnosis, r) }))
    .sort((a, b) => b.s - a.s || a.i - b.i)
    .map((x) => x.r);
  return [...ranked, 'hold-and-page'];
}

const rps = (x: number): string => `${Math.round(x)} rps`;

function utilOf(ctx: ResolverContext, name: string): number {
  const r = ctx.input.receivers.find((x) => x.name === name);
  return (r && loadedUtil(r, ctx.health)) ?? 0;
}

function failingOf(ctx: ResolverContext, name: string): number {
  const r = ctx.input.receivers.find((x) => x.name === name);
  return r
    ? failingShare(
        r,
        ctx.input.baseline.find((b) => b.name === name),
      )
    : 0;
}

/**
 * Requests per second (effective) a sick receiver must shed to land a margin under the ceiling. One that fails
 * requests serves no more than it serves now, whatever its utilisation reads (a slow cluster of it overflows while
 * the others idle): what it serves is taken as its capacity.
 */
function excessOf(ctx: ResolverContext, name: string): number {
  const r = ctx.input.receivers.find((x) => x.name === name);
  const u = r ? loadedUtil(r, ctx.health) : undefined;
  const c = r ? capacityOf(r) : undefined;
  if (u === undefined || c === undefined) return 0;
  const byUtilization = Math.max(0, (u - (ctx.ceiling - HEALTH.margin)) * c);
  const e = failingOf(ctx, name);
  const load = r?.load ?? u * c;
  const byServed = e > 0 ? Math.max(0, load - (ctx.ceiling - HEALTH.margin) * load * (1 - e)) : 0;
  // A callee over the target there: this service's requests that call it, its excess over the fanout.
  const byCallees = ctx.diagnosis.symptoms
    .filter((s) => s.at === name && s.callee)
    .map((s) => s.callee!.excess / Math.max(EPSILON, s.callee!.fanout));
  return Math.max(byUtilization, byServed, ...byCallees);
}

function expectUnder(ctx: ResolverContext, names: readonly string[], text: string): Expectation {
  const failing = names.filter((n) => failingOf(ctx, n) > 0);
  const e0 = (n: string): number => ctx.input.baseline.find((b) => b.name === n)?.errorRate ?? 0;
  const e = (n: string): number => ctx.input.receivers.find((r) => r.name === n)?.errorRate ?? 0;
  return {
    below: Object.fromEntries(names.map((n) => [n, ctx.ceiling])),
    before: Object.fromEntries(names.map((n) => [n, utilOf(ctx, n)])),
    ...(failing.length > 0
      ? {
          errorsBelow: Object.fromEntries(failing.map((n) => [n, e0(n) + CLOSED_LOOP_DEFAULTS.errorRateRise])),
          errorsBefore: Object.fromEntries(failing.map((n) => [n, e(n)])),
        }
      : {}),
    text: failing.length > 0 ? `${text}, ${failing.join(', ')} no longer failing requests` : text,
  };
}

const moveWait = (h: HealthInput): number => h.propagationMs + h.settleMs;

/** Re-weight the sick receivers' traffic toward the other receivers, within their headroom. */
function routeAround(ctx: ResolverContext): Proposal | undefined {
  const { input, health: h, diagnosis, memory } = ctx;
  const sick = diagnosis.receivers;
  // Never toward a receiver sick in itself (failing requests, slow, skewed) or whose callees are in trouble there:
  // a healthy step gives it none either, and what is re-weighted there only overflows it in turn.
  const unwell = new Set(
    (ctx.symptoms ?? []).filter((s) => (SICK.has(s.kind) || s.callee) && s.at !== undefined).map((s) => s.at!),
  );
  const others = input.receivers.filter((r) => !sick.includes(r.name) && !unwell.has(r.name));
  if (others.length === 0) return undefined;
  // Each other receiver's room as a healthy step weighs it: from where its load is heading, and bounded by its
  // callees' room there over the fanout (the re-weighted requests call them there too). A callee with no room takes
  // none, or the route-around only moves the overload on to it.
  const landing = ctx.ceiling - HEALTH.margin;
  const room = Object.fromEntries(
    others.map((o) => [o.name, roomOf(withCallees(o, h, landing), h, landing) / memory.cost]),
  );
  const total = Object.values(room).reduce((a, b) => a + b, 0);
  const from: Record<string, number> = {};
  const own: Record<string, number> = {};
  let ownNeed = 0;
  for (const s of sick) {
    const r = input.receivers.find((x) => x.name === s);
    // At the edge the shift owns every PoP's table: all of the receiver's traffic can be re-weighted; at the cluster
    // layer the source's table, i.e. the traffic moved there, and where the backend has it, the receiver's own
    // table: what arrives there (from the edge, from its own callers) goes on to the others' clusters.
    const moved = (h.volumeNow ?? 0) * input.progress * (h.movedTo[s] ?? 0);
    const arriving = h.layer === 'cluster' && h.divertible?.includes(s) ? Math.max(0, (r?.load ?? 0) - moved) : 0;
    const reroutable = h.layer === 'edge' ? (r?.load ?? 0) : moved + arriving;
    const shed = Math.min(excessOf(ctx, s), reroutable);
    if (shed <= 0) continue;
    from[s] = shed;
    if (arriving > 0 && shed > moved) {
      own[s] = shed - moved;
      ownNeed += shed - moved;
    }
  }
  const need = Object.values(from).reduce((a, b) => a + b, 0);
  if (need < 1 || total < 1) return undefined;
  // Only when the others can take it all (or else moving back takes it); with a failing source, whatever they can
  // take is better than nothing, and so it is for traffic that arrives at the receiver itself, which no move back of
  // this shift takes: the others take what they can of it now, the edge moves the rest.
  if (total < need && !ctx.failing && total < need - ownNeed) return undefined;
  const scale = Math.min(1, total / need);
  const fromScaled = Object.fromEntries(Object.entries(from).map(([k, v]) => [k, v * scale]));
  const ownScaled = Object.fromEntries(Object.entries(own).map(([k, v]) => [k, v * scale]));
  const moved = need * scale;
  const to = Object.fromEntries(Object.entries(room).map(([k, v]) => [k, (moved * v) / total]));
  const names = [...sick, ...others.map((o) => o.name)];
  const through = Object.keys(own).length > 0 ? ` (${Object.keys(own).join(', ')} sending on what arrives there)` : '';
  return {
    resolver: 'route-around',
    kind: 'reroute',
    step: 0,
    text:
      `re-weight ${rps(moved)} off ${sick.join(', ')} toward ${Object.keys(to).join(', ')}${through} ` +
      `(${rps(total)} of room at ${pct(ctx.ceiling - HEALTH.margin)})`,
    expect: expectUnder(ctx, names, `${names.join(', ')} at or under ${pct(ctx.ceiling)}`),
    judgeAfterMs: moveWait(h),
    reroute: { from: fromScaled, to, ...(Object.keys(own).length > 0 ? { own: ownScaled } : {}) },
  };
}

/** Move traffic back to the source (healthy, in a routine drain), off the sick receivers first. */
function moveBack(ctx: ResolverContext): Proposal | undefined {
  const { input, health: h, diagnosis, memory } = ctx;
  if (h.direction !== 'drain' || ctx.failing || input.progress <= EPSILON) return undefined;
  const sick = diagnosis.receivers;
  const need = sick.reduce((a, s) => a + excessOf(ctx, s), 0) * (1 + HEALTH.margin);
  if (need < 1 && diagnosis.kind !== 'backbone-saturated') return undefined;
  const volume = h.volumeNow ?? input.volume ?? 0;
  // At the cluster layer what arrives at the source is served at home again, all of it: nothing arrives there but
  // what the edge (or the callers) send back, which is exactly what should stay there.
  let x = h.layer === 'cluster' || volume <= EPSILON ? input.progress : Math.min(input.progress, need / volume);
  const src = h.source;
  const srcRoom = src ? (headroomOf(src, input.targetUtilization) ?? 0) / memory.cost : 0;
  if (h.layer === 'edge' && volume > EPSILON) x = Math.min(x, srcRoom / volume);
  if (x < 0.005) return undefined;
  const names = [...sick];
  // Nothing arrives at the source yet (its callers still send their traffic elsewhere): the move takes effect as
  // they move back, so it is judged once they have had time to (an edge propagation and a settle more).
  const now = x * volume;
  const later = now < 1 ? 30_000 + h.settleMs : 0;
  return {
    resolver: 'move-back',
    kind: 'move-back',
    step: -x,
    text:
      now < 1
        ? `serve at ${src?.name ?? 'the source'} again what arrives there (its callers' traffic), off ${sick.join(', ')}`
        : `move ${pct(x)} of the drain (${rps(now)}) back to ${src?.name ?? 'the source'}, off ${sick.join(', ')}`,
    expect: expectUnder(ctx, names, `${names.join(', ')} at or under ${pct(ctx.ceiling)}`),
    judgeAfterMs: moveWait(h) + later,
    takeBackFrom: sick,
  };
}

/** Move the last step back: it put more on the receivers than they could take. */
function backOff(ctx: ResolverContext): Proposal | undefined {
  const { input, health: h, memory, diagnosis } = ctx;
  const last = memory.lastMove;
  if (!last || last.step <= 0 || input.progress <= EPSILON) return undefined;
  // Only a recent step can be to blame.
  if (ctx.failing || h.now - last.at > h.propagationMs + 2 * h.settleMs) return undefined;
  const step = -Math.min(last.step, input.progress);
  const names = diagnosis.receivers;
  const before = Object.fromEntries(names.map((n) => [n, utilOf(ctx, n)]));
  const below = Object.fromEntries(
    names.map((n) => [n, Math.min(ctx.ceiling, (last.before[n] ?? ctx.ceiling) + HEALTH.tolerance)]),
  );
  return {
    resolver: 'back-off',
    kind: 'backoff',
    step,
    text: `move the last step (${pct(last.step)}) back`,
    expect: { below, before, text: `${names.join(', ')} back to where they were before it` },
    judgeAfterMs: moveWait(h),
    memory: { stepCap: Math.max(0.01, last.step / 2) },
  };
}

/** Smaller steps from now on: half the last one at most. */
function shrinkStep(ctx: ResolverContext): Proposal | undefined {
  const { memory, input, health: h, diagnosis } = ctx;
  const last = memory.lastMove?.step ?? input.lastStep;
  const cap = Math.max(0.01, (memory.stepCap ?? last) / 2);
  if (last <= 0 && memory.stepCap === undefined) return undefined;
  const names = diagnosis.receivers;
  const now = Object.fromEntries(names.map((n) => [n, utilOf(ctx, n)]));
  return {
    resolver: 'shrink-step',
    kind: 'hold',
    step: 0,
    text: `hold, then steps of at most ${pct(cap)}`,
    expect: {
      below: Object.fromEntries(names.map((n) => [n, Math.max(now[n]!, ctx.ceiling)])),
      before: now,
      text: `${names.join(', ')} no higher`,
    },
    judgeAfterMs: moveWait(h),
    memory: { stepCap: cap },
  };
}

/** Hold while the cause passes: caches warm up, lagging readings catch up. */
function wait(ctx: ResolverContext): Proposal | undefined {
  const { diagnosis, health: h, input } = ctx;
  if (diagnosis.kind === 'metric-lag') {
    const age = Math.max(0, ...input.receivers.map((r) => r.ageMs ?? 0), h.source?.ageMs ?? 0);
    return {
      resolver: 'wait',
      kind: 'hold',
      step: 0,
      text: `hold until the readings show the last step (they are ${Math.round(age / 1000)} s old)`,
      expect: { below: {}, before: {}, watch: 'freshness', text: 'readings that show the world after the last step' },
      judgeAfterMs: age + h.settleMs,
    };
  }
  // Cold caches: fine to wait while the receivers (and their callees there) stay under 100 %; well past the target,
  // back off instead.
  const worst = Math.max(
    ...diagnosis.receivers.map((n) => {
      const r = input.receivers.find((x) => x.name === n);
      return (r && hottestAt(r, h, diagnosis.symptoms)) ?? 0;
    }),
  );
  if (worst > Math.min(1, ctx.ceiling + HEALTH.urgentAbove)) return undefined;
  const names = diagnosis.receivers;
  return {
    resolver: 'wait',
    kind: 'hold',
    step: 0,
    text: `hold while the caches at ${names.join(', ')} warm up`,
    expect: expectUnder(ctx, names, `${names.join(', ')} back under ${pct(ctx.ceiling)} as the caches warm`),
    judgeAfterMs: Math.max(2 * h.settleMs, 120_000),
  };
}

/** Start more jobs at the sick receivers, where the runbook allows it. */
function startJobs(ctx: ResolverContext): Proposal | undefined {
  const { health: h, diagnosis, input } = ctx;
  if (!h.canStartJobs) return undefined;
  const names = diagnosis.receivers;
  const caps = Object.fromEntries(
    names.map((n) => {
      const r = input.receivers.find((x) => x.name === n);
      return [n, (r && capacityOf(r)) ?? 0];
    }),
  );
  return {
    resolver: 'start-jobs',
    kind: 'hold',
    step: 0,
    text: `start the stopped jobs of ${h.service} in ${names.join(', ')}`,
    expect: { below: {}, before: caps, watch: 'capacity', text: `more capacity in ${names.join(', ')}` },
    judgeAfterMs: moveWait(h),
    startJobsAt: names,
  };
}

/**
 * Stop moving and page a person, once per diagnosis: nothing else is left to try for a receiver over the target.
 * Already paged (or nothing hot): no new resolution; the manager just holds.
 */
function holdAndPage(ctx: ResolverContext): Proposal | undefined {
  const { diagnosis, memory, health: h, input } = ctx;
  if (!diagnosis.hot || memory.paged.includes(diagnosis.kind)) return undefined;
  // Only the shifts with traffic of their own on the sick receivers page: the others cannot change anything there.
  const own = diagnosis.receivers.reduce((a, r) => a + (h.movedTo[r] ?? 0), 0) * input.progress;
  if (own <= EPSILON) return undefined;
  const names = diagnosis.receivers;
  return {
    resolver: 'hold-and-page',
    kind: 'hold',
    step: 0,
    text: 'hold and page: no resolution left to try',
    expect: expectUnder(ctx, names, `${names.join(', ')} back under ${pct(ctx.ceiling)}`),
    judgeAfterMs: moveWait(h),
    page: `${h.service} ${h.layer} shift: ${diagnosis.text}; no resolution left to try — holding`,
    memory: { paged: [...memory.paged, diagnosis.kind] },
  };
}

const RESOLVE: Readonly<Record<ResolverKind, (ctx: ResolverContext) => Proposal | undefined>> = {
  'route-around': routeAround,
  'move-back': moveBack,
  'back-off': backOff,
  'shrink-step': shrinkStep,
  wait,
  'start-jobs': startJobs,
  'hold-and-page': holdAndPage,
  // Session teardowns pace their own rate (src/stages/sessions.ts); a shift never proposes it.
  'slow-teardown': () => undefined,
};

/** The first resolver that applies, in the ranked order; none: the manager holds. */
export function propose(ctx: ResolverContext): Proposal | undefined {
  for (const r of rankResolvers(ctx.diagnosis.kind, ctx.health.preferences, ctx.memory.failed)) {
    const p = RESOLVE[r](ctx);
    if (p) return p;
  }
  return undefined;
}
