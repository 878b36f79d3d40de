/**
 * The health manager of one traffic shift: every decision runs Dhalion's cycle.
 *
 * 1. Learn: once the last step has arrived, what a moved request really cost the receivers (cold caches).
 * 2. Judge: each resolution whose effect has propagated and settled is held against what it expected — helped,
 *    partly, or not; one that did not help is not tried again for that diagnosis in this shift.
 * 3. Detect symptoms, and diagnose their cause.
 * 4. Nothing wrong: pace on (the closed loop's headroom-sized steps, with what was learned), unless a shift it
 *    follows has moved traffic back (callers move again first) or latency or errors are up (it holds). Something
 *    wrong: unless a resolution for it is still settling (and nothing is urgent), take the best-ranked resolver that
 *    applies, and record what it expects and when it will be judged.
 *
 * Pure and deterministic: the same input and memory give the same decision and memory.
 */
import { ceilingOf, detect, hottestAt, loadedUtil, roomOf, sourceFailing, withCallees } from './detectors.js';
import { CAUTION, HOT, SICK, diagnose } from './diagnosers.js';
import {
  EMPTY_MEMORY,
  HEALTH,
  type Diagnosis,
  type HealthInput,
  type HealthMemory,
  type HealthOutcome,
  type Judgement,
  type Pending,
  type Resolution,
  type ResolutionEffects,
  type Symptom,
} from './health.js';
import { capacityOf, headroomOf, pct, utilizationOf } from './headroom.js';
import { EPSILON, type Decision, type PacerInput } from './pacer.js';
import { propose } from './resolvers.js';

/** How often the manager looks again while it holds or watches, ms: fast enough to catch a receiver as it tips. */
export const HEALTH_POLL_MS = 5_000;

/** The pacing a healthy shift gets: headroom share, largest step and the utilisation to fill to. */
export interface Stepping {
  readonly headroomShare: number;
  readonly maxStep?: number;
  readonly target: number;
  /**
   * The receivers the step goes to (those with room; the stage splits a step by headroom, so a full receiver gets
   * none of it); all when unset.
   */
  readonly only?: readonly string[];
  /** Near the target: steps from the headroom measured now, or (a smaller step still capped) no larger than the last. */
  readonly nearTarget?: 'stepwise' | 'headroom';
}

export type Stepper = (input: PacerInput, stepping: Stepping) => Decision;

const ratio = (x: number): string => `${x.toFixed(1)}×`;
const clock = (t: number): string => new Date(t).toISOString().slice(11, 19);

/** What a moved request cost once arrived: the receivers' rise over the load they gained, if it says more than 2. */
function learn(mem: HealthMemory, input: PacerInput, h: HealthInput): HealthMemory {
  const last = mem.lastMove;
  if (!last || last.learned || last.rps <= 0 || h.now < last.at + h.propagationMs + h.settleMs / 2) return mem;
  let observed = 0;
  for (const r of input.receivers) {
    const gain = last.gain[r.name] ?? 0;
    const c = capacityOf(r);
    const u = utilizationOf(r);
    const u0 = last.before[r.name];
    if (c === undefined || u === undefined || u0 === undefined || gain < 0.02 * c) continue;
    observed = Math.max(observed, ((u - u0) * c) / gain);
  }
  // Measured after part of the warm-up, so it understates a cold-cache storm rather than overstates one: only a
  // cost clearly above the assumed 2 is taken (and at most 6).
  const cost = observed > 2.5 ? Math.min(6, observed) : mem.cost;
  return { ...mem, cost, lastMove: { ...last, learned: true } };
}

/** Holds each settled resolution against what it expected. */
function judge(mem: HealthMemory, input: PacerInput, h: HealthInput): { memory: HealthMemory; judged: Judgement[] } {
  const due = mem.pending.filter((p) => h.now >= p.judgeAt);
  if (due.length === 0) return { memory: mem, judged: [] };
  // Readings that lag cannot judge anything: wait for fresh ones (unless the lag is what is being judged).
  const stale = Math.max(0, ...input.receivers.map((r) => r.ageMs ?? 0)) > HEALTH.staleMs;
  const judged: Judgement[] = [];
  const rest: Pending[] = mem.pending.filter((p) => h.now < p.judgeAt);
  let failed = mem.failed;
  for (const p of due) {
    if (stale && p.expect.watch !== 'freshness') {
      rest.push(p);
      continue;
    }
    const j = judgeOne(p, input, h);
    judged.push(j);
    if (j.outcome === 'not-helped' && p.resolver !== 'hold-and-page')
      failed = [...failed, { diagnosis: p.diagnosis, resolver: p.resolver }];
  }
  return { memory: { ...mem, pending: rest, failed }, judged };
}

function judgeOne(p: Pending, input: PacerInput, h: HealthInput): Judgement {
  const base = { id: p.id, diagnosis: p.diagnosis, resolver: p.resolver };
  const find = (n: string) => input.receivers.find((r) => r.name === n);
  if (p.expect.watch === 'freshness') {
    const age = Math.max(0, ...input.receivers.map((r) => r.ageMs ?? 0));
    return age <= HEALTH.staleMs
      ? { ...base, outcome: 'helped', text: 'the readings show the world after the last step' }
      : { ...base, outcome: 'not-helped', text: `the readings are still ${Math.round(age / 1000)} s old` };
  }
  if (p.expect.watch === 'capacity') {
    const gains = Object.entries(p.expect.before).map(([n, c0]) => {
      const r = find(n);
      const c = r ? capacityOf(r) : undefined;
      return c !== undefined && c0 > 0 ? c / c0 : 1;
    });
    const best = Math.max(1, ...gains);
    return best >= 1.05
      ? { ...base, outcome: 'helped', text: `capacity up ${pct(best - 1)}` }
      : { ...base, outcome: 'not-helped', text: 'capacity did not rise' };
  }
  const parts: string[] = [];
  let resolved = true;
  let improved = 0;
  let expected = 0;
  for (const [n, bound] of Object.entries(p.expect.below)) {
    const r = find(n);
    const u = r ? loadedUtil(r, h) : undefined;
    const u0 = p.expect.before[n] ?? bound;
    if (u === undefined) {
      resolved = false;
      parts.push(`${n} unread`);
      continue;
    }
    if (u > bound + HEALTH.tolerance) resolved = false;
    if (u0 > bound || u > bound + HEALTH.tolerance)
      parts.push(`${n} ${pct(u0)} → ${pct(u)} (expected ≤ ${pct(bound)})`);
    if (u0 > bound) {
      expected += u0 - bound;
      improved += Math.max(0, u0 - u);
    }
  }
  // A receiver failing requests when it acted is helped only once it no longer fails them.
  for (const [n, bound] of Object.entries(p.expect.errorsBelow ?? {})) {
    const e = find(n)?.errorRate;
    const e0 = p.expect.errorsBefore?.[n] ?? bound;
    if (e === undefined || e <= bound) continue;
    resolved = false;
    parts.push(`${n} failing ${pct(e0)} → ${pct(e)} of its requests (expected ≤ ${pct(bound)})`);
    if (e0 > bound) {
      expected += e0 - bound;
      improved += Math.max(0, e0 - e);
    }
  }
  const text = parts.join('; ') || 'every receiver where it was expected';
  if (resolved) return { ...base, outcome: 'helped', text };
  if (expected > 0 && improved >= HEALTH.partly * expected) return { ...base, outcome: 'partly', text };
  return { ...base, outcome: 'not-helped', text };
}

/** Requests per second each receiver gains from a step of `step`, split by headroom as the stage splits it. */
function gains(
  input: PacerInput,
  h: HealthInput,
  step: number,
  target: number,
  skip: readonly string[],
): Record<string, number> {
  const volume = h.volumeNow ?? input.volume ?? 0;
  const room = input.receivers.map((r) => [r.name, skip.includes(r.name) ? 0 : (headroomOf(r, target) ?? 0)] as const);
  const total = room.reduce((a, [, v]) => a + v, 0);
  return Object.fromEntries(
    room.map(([n, v]) => [n, total > 0 ? (step * volume * v) / total : (step * volume) / Math.max(1, room.length)]),
  );
}

/** The memory of a traffic move just decided: what it should do to each receiver once arrived. */
function rememberMove(
  mem: HealthMemory,
  input: PacerInput,
  h: HealthInput,
  step: number,
  target: number,
  skip: readonly string[] = [],
): HealthMemory {
  if (step <= 0) return { ...mem, lastMove: undefined };
  const gain = gains(input, h, step, target, skip);
  const before: Record<string, number> = {};
  const predicted: Record<string, number> = {};
  for (const r of input.receivers) {
    const u = loadedUtil(r, h);
    const c = capacityOf(r);
    if (u === undefined || c === undefined || c <= 0) continue;
    before[r.name] = u;
    // Gradual arrival (sessions) warms as it comes: it costs what it weighs.
    const cost = h.arrival === 'gradual' ? 1 : mem.cost;
    predicted[r.name] = u + ((gain[r.name] ?? 0) * cost) / c;
  }
  const rps = step * (h.volumeNow ?? input.volume ?? 0);
  return {
    ...mem,
    lastMove: {
      at: h.now,
      step,
      rps: h.arrival === 'gradual' ? 0 : rps,
      before,
      predicted,
      gain,
      ...(h.source?.load !== undefined ? { sourceLoad: h.source.load } : {}),
    },
  };
}

const hold = (reason: string, memory: HealthMemory, extra: Omit<HealthOutcome, 'memory'>): Decision => ({
  kind: 'hold',
  step: 0,
  waitMs: HEALTH_POLL_MS,
  reason,
  health: { memory, ...extra },
});

function summary(symptoms: readonly Symptom[]): string {
  return symptoms
    .filter((s) => s.kind !== 'source-failing')
    .slice(0, 3)
    .map((s) => s.text)
    .join('; ');
}

/** Decides the next step of a self-regulating shift. `step` paces a healthy shift (the closed loop's sizing). */
export function manage(input: PacerInput, h: HealthInput, step: Stepper): Decision {
  const failing = h.emergency || sourceFailing(h) !== undefined;
  const ceiling = ceilingOf(input, failing);
  const learned = learn(h.memory ?? EMPTY_MEMORY, input, h);
  const judgedMem = judge(learned, input, h);
  const judged = judgedMem.judged;
  const symptoms = detect(input, h, judgedMem.memory, failing);
  const mem = judgedMem.memory;
  const base = { symptoms, judged };

  const missing = symptoms.find((s) => s.kind === 'missing');
  if (missing) return hold(`${missing.text} (missing data is never healthy)`, mem, base);

  const diagnosis = diagnose(symptoms, input, h, mem);
  if (diagnosis) {
    const d = resolve(input, h, mem, base, diagnosis, failing, ceiling);
    if (d) return d;
  }
  return healthy(input, h, mem, base, failing, ceiling, step, diagnosis);
}

/**
 * Receivers whose own table a route-around re-weighted and that have room again for what it sends on (at what a
 * moved request costs, a margin under the ceiling, nothing sick or hot there, no route-around still to be judged):
 * as much of it as fits comes home, all of it once it all fits, so that a receiver serves its own traffic again as
 * it can (the edge may have moved part of it away meanwhile, or its capacity come back).
 */
function giveBack(
  input: PacerInput,
  h: HealthInput,
  mem: HealthMemory,
  symptoms: readonly Symptom[],
  ceiling: number,
): Omit<Decision, 'health'> | undefined {
  if (mem.pending.some((p) => p.resolver === 'route-around')) return undefined;
  const landing = ceiling - HEALTH.margin;
  const back: Record<string, number> = {};
  const parts: string[] = [];
  for (const [name, rps] of Object.entries(h.diverted ?? {})) {
    const r = input.receivers.find((x) => x.name === name);
    const u = r ? loadedUtil(r, h) : undefined;
    const c = r ? capacityOf(r) : undefined;
    if (u === undefined || c === undefined || c <= 0 || rps <= 0) continue;
    if (symptoms.some((s) => s.at === name && (SICK.has(s.kind) || HOT.has(s.kind) || s.callee))) continue;
    const fits = Math.max(0, ((landing - u) * c) / mem.cost);
    // A sliver is not worth a table change (and each one is a propagation for the others).
    const share = fits >= rps ? 1 : fits / rps;
    if (share < GIVE_BACK_MIN && share < 1) continue;
    back[name] = share;
    parts.push(
      share >= 1
        ? `${name} has room again for the ${Math.round(rps)} rps its own table sent on: back as it was`
        : `${name} has room for ${Math.round(rps * share)} of the ${Math.round(rps)} rps its own table sends on: those come home`,
    );
  }
  if (parts.length === 0) return undefined;
  return { kind: 'reroute', step: 0, waitMs: h.propagationMs + 1000, reason: parts.join('; '), giveBack: back };
}

/** The least share of what a receiver's own table sends on worth giving back (unless all of it fits). */
const GIVE_BACK_MIN = 0.1;

function healthy(
  input: PacerInput,
  h: HealthInput,
  mem: HealthMemory,
  base: Omit<HealthOutcome, 'memory'>,
  failing: boolean,
  ceiling: number,
  step: Stepper,
  unresolved: Diagnosis | undefined,
): Decision {
  const remaining = 1 - input.progress;
  const outcome = unresolved ? { ...base, diagnosis: unresolved } : base;
  const back = unresolved?.hot ? undefined : giveBack(input, h, mem, base.symptoms, ceiling);
  if (back) return { ...back, health: { memory: mem, ...outcome } };
  if (remaining <= EPSILON) {
    if (h.watching) return hold('at the target; watching the receivers', mem, outcome);
    return { kind: 'final', step: 0, waitMs: 0, reason: 'nothing left to move', health: { memory: mem, ...outcome } };
  }
  // A sick receiver under the target (slow, failing requests) that nothing resolves gets none of the next step; the
  // others go on. Something hot that nothing resolves stops the shift.
  if (unresolved?.hot)
    return hold(`${summary(base.symptoms)} → ${unresolved.text}: holding, nothing to resolve it with`, mem, outcome);
  if (!h.upstreamSettled)
    return hold(
      'a shift this one follows has moved traffic back: it moves again first (callers before callees)',
      mem,
      base,
    );
  // A receiver over the target with no room gets none of the next step (the stage splits a step by headroom): it
  // only stops the shift while no other receiver has room. Found nothing to resolve (just over the target: the
  // readings' noise, demand rising), it does not hold the others back.
  // A receiver failing requests or slow gets none of it either (its utilisation may read fine while a slow cluster
  // of it overflows).
  const sick = new Set([
    ...base.symptoms.filter((s) => (SICK.has(s.kind) || s.callee) && s.at !== undefined).map((s) => s.at!),
    ...(unresolved?.receivers ?? []),
  ]);
  // While a receiver has lost capacity the fleet runs short of room and every receiver near the target is one
  // demand swing from past it: steps fill to a margin under the target (where resolutions land the sick ones).
  const lost = !failing && base.symptoms.some((s) => s.kind === 'capacity-down');
  const fill = lost ? ceiling - HEALTH.margin : ceiling;
  const full = input.receivers.filter((r) => roomOf(r, h, fill) <= EPSILON || sick.has(r.name)).map((r) => r.name);
  const taking = input.receivers.map((r) => r.name).filter((n) => !full.includes(n));
  const passedBy = (s: Symptom): boolean =>
    taking.length > 0 &&
    (s.kind === 'over-target' || SICK.has(s.kind) || s.callee !== undefined) &&
    s.at !== undefined &&
    full.includes(s.at);
  const caution = base.symptoms.filter((s) => CAUTION.has(s.kind) && !passedBy(s));
  if (caution.length > 0)
    return hold(`${caution.map((s) => s.text).join('; ')}: not moving more while it lasts`, mem, base);
  if (h.layer === 'cluster' && h.direction === 'drain' && (h.sourceEdgeShare ?? 0) > 0.001)
    return hold(
      `the edge still sends ${pct(h.sourceEdgeShare!)} of ${h.service} to ${h.source?.name ?? 'the source'}: ` +
        'it is served there until the edge has drained',
      mem,
      base,
    );
  // Sessions arrive as they end and warm the caches as they come: most of the headroom can be promised to them.
  const share = h.arrival === 'gradual' ? 0.8 : 1 / Math.max(2, mem.cost);
  // A caller's step moves its callees' load as well: each receiver's room is also bounded by its callees' there.
  const sized = step(
    { ...input, receivers: input.receivers.map((r) => withCallees(r, h, fill)) },
    {
      headroomShare: share,
      ...(mem.stepCap !== undefined ? { maxStep: mem.stepCap } : {}),
      // A step cap still in force (a step too large, cold caches) keeps the growth stepwise near the target too.
      nearTarget: mem.stepCap === undefined ? 'headroom' : 'stepwise',
      target: fill,
      ...(full.length > 0 && taking.length > 0 ? { only: taking } : {}),
    },
  );
  // The closed loop backs off on anything over the target; here that is the manager's call (it found nothing to
  // resolve): hold instead.
  const d: Decision =
    sized.kind === 'backoff' ? { kind: 'hold', step: 0, waitMs: HEALTH_POLL_MS, reason: sized.reason } : sized;
  const notes = [
    ...(failing
      ? [`source failing: receivers may run to ${pct(ceiling)}, fewer requests fail there than at the source`]
      : []),
    ...(mem.cost > 2 ? [`a moved request costs ${ratio(mem.cost)} at the receivers`] : []),
    ...(lost ? [`filling to ${pct(fill)} while a receiver is short of capacity`] : []),
  ];
  const skipped = full.length > 0 && taking.length > 0 && d.step > 0 ? [`none of it to ${full.join(', ')}`] : [];
  const reason = [d.reason, ...skipped, ...notes].join('; ');
  // A closed-loop hold waits a settle window; the manager keeps looking meanwhile (the stage polls), so its own
  // holds are short.
  // A smaller step was a resolution for trouble seen then; with nothing wrong seen now where the step goes, each step
  // taken doubles the cap again until it is gone (the trouble passed: a receiver got its capacity back, the caches
  // warmed). Trouble at a receiver that gets none of the step does not keep it small.
  // Only a sign that steps land heavier than they should (a receiver the step goes to over the target, or risen more
  // than predicted) keeps it small: a slow receiver elsewhere, lagging readings or lost capacity say nothing of the
  // step's size, and kept it creeping at its smallest while the receivers had ample room.
  const tooLarge = base.symptoms.some((s) => HOT.has(s.kind) && (s.at === undefined || !full.includes(s.at)));
  const relaxed: HealthMemory =
    mem.stepCap !== undefined && d.step > 0 && !tooLarge
      ? { ...mem, stepCap: mem.stepCap * 2 >= 1 ? undefined : mem.stepCap * 2 }
      : mem;
  return {
    ...d,
    reason,
    ...(full.length > 0 && taking.length > 0 && d.step > 0 ? { only: taking } : {}),
    health: { memory: rememberMove(relaxed, input, h, d.step, fill, full), ...outcome },
  };
}

function resolve(
  input: PacerInput,
  h: HealthInput,
  mem: HealthMemory,
  base: Omit<HealthOutcome, 'memory'>,
  diagnosis: Diagnosis,
  failing: boolean,
  ceiling: number,
): Decision | undefined {
  const outcome = { ...base, diagnosis };
  const worst = Math.max(
    0,
    ...diagnosis.receivers.map((n) => {
      const r = input.receivers.find((x) => x.name === n);
      return (r && hottestAt(r, h, base.symptoms)) ?? 0;
    }),
  );
  const urgent = worst > 1 || worst > ceiling + HEALTH.urgentAbove;
  const settling = mem.pending.find((p) => p.diagnosis === diagnosis.kind);
  const seen = summary(base.symptoms);
  if (settling) {
    // Its effect has not even arrived yet: acting again now would count the same trouble twice.
    const arriving = h.now < settling.at + h.propagationMs + HEALTH_POLL_MS;
    if (!urgent || arriving)
      return hold(
        `${seen} → ${diagnosis.kind}: judging #${settling.id} ${settling.resolver} at ${clock(settling.judgeAt)}`,
        mem,
        outcome,
      );
  }
  const p = propose({ input, health: h, memory: mem, diagnosis, failing, ceiling, symptoms: base.symptoms });
  if (!p) return undefined;
  const id = mem.nextId;
  const judgeAt = h.now + p.judgeAfterMs;
  const pending: Pending = {
    id,
    at: h.now,
    judgeAt,
    diagnosis: diagnosis.kind,
    resolver: p.resolver,
    expect: p.expect,
  };
  // A resolution of the same kind still settling for this diagnosis is replaced by the new one.
  let memory: HealthMemory = {
    ...mem,
    ...p.memory,
    nextId: id + 1,
    pending: [...mem.pending.filter((x) => x.resolver !== p.resolver || x.diagnosis !== diagnosis.kind), pending],
  };
  if (p.step !== 0) memory = { ...memory, lastMove: undefined };
  const resolution: Resolution = {
    id,
    diagnosis: diagnosis.kind,
    resolver: p.resolver,
    expect: p.expect,
    judgeAt,
    text: p.text,
    ...effectsOf(p),
  };
  const moves = p.step !== 0 || p.reroute !== undefined;
  return {
    kind: p.kind,
    step: p.step,
    // After a move, look again once it has arrived (it may need another); otherwise keep polling.
    waitMs: moves ? h.propagationMs + 1000 : HEALTH_POLL_MS,
    reason: `${seen} → ${diagnosis.text} → ${p.resolver} #${id}: ${p.text}; expects ${p.expect.text} by ${clock(judgeAt)}`,
    health: { memory, ...outcome, resolution },
  };
}

/** The effects a proposal carries, those it has only. */
function effectsOf(p: ResolutionEffects): ResolutionEffects {
  return {
    ...(p.reroute ? { reroute: p.reroute } : {}),
    ...(p.takeBackFrom ? { takeBackFrom: p.takeBackFrom } : {}),
    ...(p.startJobsAt ? { startJobsAt: p.startJobsAt } : {}),
    ...(p.page ? { page: p.page } : {}),
  };
}

/**
 * Whether what the readings show cannot wait for the current step's wait to end: a receiver overloaded or well past
 * the target, and no resolution of ours still on its way for that heat (one that saw it as hot when it acted).
 */
export function isUrgent(input: PacerInput, h: HealthInput): boolean {
  const failing = h.emergency || sourceFailing(h) !== undefined;
  const ceiling = ceilingOf(input, failing);
  const mem = h.memory ?? EMPTY_MEMORY;
  const arriving = mem.pending.filter((p) => h.now < p.at + h.propagationMs + HEALTH_POLL_MS);
  return input.receivers.some((r) => {
    const u = loadedUtil(r, h);
    if (u === undefined || !(u > 1 || u > ceiling + HEALTH.urgentAbove)) return false;
    // A resolution of ours on its way for this very heat: acting again now would count it twice. Heat it did not
    // see (a receiver that lost capacity since) cannot wait for it to arrive.
    return !arriving.some((p) => (p.expect.before[r.name] ?? -Infinity) >= u - HEALTH.tolerance);
  });
}
