/**
 * sessions.drain: for a sticky service whose edge weight in the datacenter is already zero, let established
 * sessions end by themselves for a grace period, then tear the rest down at a paced rate until none remain.
 *
 * Every teardown is a reconnect at the receivers, so the rate is paced, the asked rate being only an upper bound: it
 * starts at a quarter of the asked rate, doubles every poll while the receivers are healthy, and halves while one is
 * degraded (above the target, errors or latency up). Whatever the ramp says, the rate never exceeds what the
 * receivers' measured headroom at the target can absorb until the next poll: each torn-down session costs a
 * reconnect there at once and then carries its share of load for good.
 *
 * Under self-regulating pacing the teardown has its own health manager (src/pacing/teardown.ts) instead of the
 * halving: a reconnect storm at the receivers is diagnosed and resolved (`slow-teardown`, then `hold-and-page`),
 * each resolution announced with what it expects and judged once it has settled (`regulation` events, resolver
 * records in the store, so later runs prefer what worked).
 */
import { CLOSED_LOOP_DEFAULTS, degradation } from '../pacing/closed-loop.js';
import { receiverReading, type ReceiverReading } from '../pacing/pacer.js';
import { headroomOf } from '../pacing/headroom.js';
import { manageTeardown, type TeardownDecision, type TeardownMemory } from '../pacing/teardown.js';
import type { ResolverStats } from '../model/regulation.js';
import { durationMs } from '../model/duration.js';
import { mapList } from '../model/shapes.js';
import type { DatacenterReading, ServiceReading } from '../model/readings.js';
import { act, type StageContext, type StageFn, type StageResult } from './stage.js';
import { readParams } from './params.js';
import { announceActed, page, recordJudged } from './regulation.js';
import { sleepWithin } from './wait.js';

const POLL_MS = 10_000;
/** The teardown starts at this fraction of the asked rate, like a shift's small first step, and doubles while healthy. */
const START_RATE_FRACTION = 1 / 4;
/**
 * The rate never drops below this many sessions per second (or the asked rate, when lower), so a drain always ends
 * (sessions that end by themselves never quite reach zero); few enough that their reconnects are noise anywhere.
 */
const MIN_RATE = 1;
/**
 * What one reconnect costs a receiver, in requests: the handshake, authentication and fetching the session's state.
 * An estimate (the figure is not measurable before the teardown starts); the headroom share below keeps a margin.
 */
const RECONNECT_REQUESTS = 2;
/** Use at most this share of the measured headroom until the next poll, as the closed-loop pacer does per step. */
const HEADROOM_SHARE = CLOSED_LOOP_DEFAULTS.headroomShare;
/** A raise smaller than this fraction of the current rate is not worth an action; a cut is always made. */
const MIN_RAISE = 0.1;

/**
 * Sessions per second the receivers can absorb until the next poll without passing the target: the reconnects
 * (`RECONNECT_REQUESTS` each) plus the load the moved sessions carry by the end of the poll, against a share of the
 * measured headroom. Undefined when the headroom or the load per session cannot be read.
 */
export function absorbableRate(
  receivers: readonly ReceiverReading[],
  perSession: number | undefined,
  target: number,
): number | undefined {
  if (perSession === undefined) return undefined;
  let headroom = 0;
  for (const r of receivers) {
    const h = headroomOf(r, target);
    if (h === undefined) return undefined;
    headroom += h;
  }
  return (headroom * HEADROOM_SHARE) / (RECONNECT_REQUESTS + perSession * (POLL_MS / 1000));
}

interface DrainState {
  readonly graceUntil: number;
  /** Teardown rate last sent, sessions per second; absent before the grace period ended. */
  readonly rate?: number | undefined;
  readonly baseline?: readonly ReceiverReading[] | undefined;
  /**
   * Requests per second one session carries, read in the datacenter when the drain began. Read once: late in the
   * drain the few sessions left would share load that does not follow them (overheads, stragglers) and look dear.
   */
  readonly perSession?: number | undefined;
  /** Self-regulating: the teardown's health manager's memory, and what earlier runs' judged resolutions said. */
  readonly health?: TeardownMemory | undefined;
  readonly preferences?: readonly ResolverStats[] | undefined;
  /**
   * Self-regulating: the teardown is paused because the edge sends new sessions to the datacenter again (the
   * shift's watch moved traffic back); it ramps up afresh once the edge has drained it again.
   */
  readonly paused?: boolean | undefined;
}

/**
 * The drain's state with every key, always in this order (undefined where absent; JSON drops it, and the order is
 * the one the keys were first added in, so checkpoints read as before): one shape for the stage's hot loop.
 */
function drainState(s: DrainState): DrainState {
  return {
    graceUntil: s.graceUntil,
    baseline: s.baseline,
    perSession: s.perSession,
    preferences: s.preferences,
    health: s.health,
    rate: s.rate,
    paused: s.paused,
  };
}

export async function serviceReading(ctx: StageContext, service: string): Promise<ServiceReading | undefined> {
  return (await ctx.backend.snapshot({ signal: ctx.signal })).services[service];
}

export function receiversOf(reading: ServiceReading | undefined, except: string): ReceiverReading[] {
  return mapList(
    Object.entries(reading?.datacenters ?? {}).filter(([dc]) => dc !== except),
    ([dc, r]) => receiverReading(dc, r),
  );
}

/** Requests per second per session in the drained datacenter; 0 when none are left, undefined when unread. */
function perSessionLoad(r: DatacenterReading | undefined): number | undefined {
  if (r?.sessions === undefined || r.load === undefined) return undefined;
  return r.sessions > 0 ? r.load / r.sessions : 0;
}

const regulated = (ctx: StageContext): boolean => ctx.pacing.mode === 'self-regulating';

/** The points of presence whose edge table still sends the service's new sessions to the datacenter. */
async function openAt(ctx: StageContext, service: string, datacenter: string): Promise<string[]> {
  const edge = await ctx.backend.weights('edge', service, { signal: ctx.signal });
  return edge.filter((t) => (t.weights[datacenter] ?? 0) > 0).map((t) => t.source);
}

/** The teardown manager's judgements and resolution: `regulation` events, resolver records, a page. */
async function regulation(ctx: StageContext, service: string, datacenter: string, d: TeardownDecision): Promise<void> {
  const place = { service, datacenter };
  await recordJudged(ctx, place, d.judged);
  const r = d.resolution;
  if (!r || !d.diagnosis) return;
  await announceActed(ctx, place, {
    id: r.id,
    symptoms: d.symptoms.map((s) => s.text),
    diagnosis: d.diagnosis.kind,
    resolver: r.resolver,
    detail: `${r.text}; expects ${r.expect}`,
    judgeAt: r.judgeAt,
  });
  if (r.page) await page(ctx, r.page);
}

export const sessionsDrain: StageFn = async (ctx): Promise<StageResult> => {
  const p = readParams('sessions.drain', ctx.with);
  const service = p.string('service', ctx.service);
  const datacenter = p.string('datacenter', ctx.datacenter);
  const grace = p.duration('grace', '15m');
  const asked = p.number('teardownRate', 200);

  // Reconnects must not land back in the datacenter: its edge weight has to be zero already.
  const open = await openAt(ctx, service, datacenter);
  if (open.length > 0) {
    return {
      outcome: 'failure',
      detail: `${service} still has edge weight on ${datacenter} at ${open.join(', ')}: shift the edge away first`,
    };
  }

  const saved = ctx.state as DrainState | undefined;
  let state: DrainState | undefined = saved?.graceUntil === undefined ? undefined : drainState(saved);
  if (state === undefined) {
    const reading = await serviceReading(ctx, service);
    const perSession = perSessionLoad(reading?.datacenters[datacenter]);
    const preferences = regulated(ctx) ? await ctx.resolutions?.stats({ service }) : undefined;
    state = drainState({
      graceUntil: ctx.clock.now() + grace,
      baseline: receiversOf(reading, datacenter),
      perSession,
      preferences: preferences ? preferences : undefined,
    });
    await ctx.checkpoint(state);
  }

  for (;;) {
    const reading = await serviceReading(ctx, service);
    const sessions = reading?.datacenters[datacenter]?.sessions;
    if (sessions === 0) {
      // Stop tearing down (nothing is left); harmless when it never started.
      await act(ctx, { kind: 'sessions.teardown', service, datacenter, rate: 0 });
      return { outcome: 'success', detail: `no sessions of ${service} left in ${datacenter}` };
    }
    if (ctx.deadline !== undefined && ctx.clock.now() >= ctx.deadline) {
      return {
        outcome: 'timeout',
        detail: `${sessions ?? 'an unknown number of'} sessions of ${service} left in ${datacenter}`,
      };
    }
    const now = ctx.clock.now();
    // The shift's watch moved traffic back (its receivers could not take it): new sessions land here again, so a
    // torn-down session would partly reconnect here and otherwise at receivers that were full. Pause until the
    // edge has drained the datacenter again.
    const reopened = regulated(ctx) && now >= state.graceUntil ? await openAt(ctx, service, datacenter) : [];
    if (reopened.length > 0) {
      if (!state.paused) {
        state = drainState({ ...state, rate: undefined, paused: true });
        await ctx.checkpoint(state);
        await act(ctx, { kind: 'sessions.teardown', service, datacenter, rate: 0 });
        await ctx.emit({
          type: 'alert',
          time: now,
          runId: ctx.runId,
          taskId: ctx.taskId,
          severity: 'info',
          message:
            `${service}'s edge sends new sessions to ${datacenter} again (${reopened.join(', ')}): ` +
            'session teardown paused until it has drained them again',
        });
      }
    } else if (now >= state.graceUntil) {
      if (state.paused) state = drainState({ ...state, paused: undefined });
      const baseline = new Map((state.baseline ?? []).map((b) => [b.name, b]));
      const receivers = receiversOf(reading, datacenter);
      // A drain resumed from a checkpoint of an older version lacks the figure: read it now.
      const perSession = state.perSession ?? perSessionLoad(reading?.datacenters[datacenter]);
      const absorbable = absorbableRate(receivers, perSession, ctx.targetUtilization);
      const current: number | undefined = state.rate;
      const minRate = Math.min(asked, MIN_RATE);
      let rate: number;
      let managed: TeardownDecision | undefined;
      let degraded = false;
      if (regulated(ctx)) {
        // The healthy ramp, bounded by what the receivers absorb (unreadable headroom is never room to grow); the
        // manager decides what a reconnect storm calls for.
        const healthy =
          current === undefined
            ? asked * START_RATE_FRACTION
            : absorbable === undefined
              ? current / 2
              : Math.min(asked, current * 2);
        const ramp = Math.max(minRate, Math.min(healthy, absorbable ?? healthy));
        // Each receiver's share of new sessions, with the service's whole load: where its load is heading.
        const shares = mapList(receivers, (r) => {
          const edge = reading?.datacenters[r.name]?.share?.edge;
          return edge !== undefined ? { ...r, edgeShare: edge } : r;
        });
        const totalLoad = Object.values(reading?.datacenters ?? {}).reduce((a, r) => a + (r.load ?? 0), 0);
        managed = manageTeardown({
          now,
          service,
          receivers: shares,
          totalLoad,
          baseline: state.baseline ?? [],
          target: ctx.targetUtilization,
          rate: current,
          ramp,
          minRate,
          settleMs: POLL_MS + durationMs(ctx.pacing.settle),
          preferences: state.preferences ?? [],
          ...(state.health ? { memory: state.health } : {}),
        });
        rate = managed.rate;
        state = drainState({ ...state, health: managed.memory });
        await regulation(ctx, service, datacenter, managed);
      } else {
        // Unreadable headroom is never room to grow: it counts as degraded.
        degraded =
          absorbable === undefined ||
          receivers.some(
            (r) => degradation(r, baseline.get(r.name), ctx.targetUtilization, CLOSED_LOOP_DEFAULTS) !== undefined,
          );
        const ramp: number =
          current === undefined ? asked * START_RATE_FRACTION : degraded ? current / 2 : Math.min(asked, current * 2);
        rate = Math.max(minRate, Math.min(ramp, absorbable ?? ramp));
      }
      if (managed) await ctx.checkpoint(state);
      if (current === undefined || rate < current || rate > current * (1 + MIN_RAISE)) {
        state = drainState({ ...state, rate });
        await ctx.checkpoint(state);
        await act(ctx, { kind: 'sessions.teardown', service, datacenter, rate });
        if (managed && current !== undefined && rate < current && !managed.resolution) {
          // Held to what the receivers can absorb: said once per change, as before.
          await ctx.emit({
            type: 'alert',
            time: ctx.clock.now(),
            runId: ctx.runId,
            taskId: ctx.taskId,
            severity: 'info',
            message: `receivers of ${service} near the target: session teardown slowed to ${rate.toFixed(1)}/s`,
          });
        } else if (!managed && current !== undefined && rate < current) {
          const why = degraded ? `receivers of ${service} degraded` : `receivers of ${service} near the target`;
          await ctx.emit({
            type: 'alert',
            time: ctx.clock.now(),
            runId: ctx.runId,
            taskId: ctx.taskId,
            severity: degraded ? 'warning' : 'info',
            message: `${why}: session teardown slowed to ${rate.toFixed(1)}/s`,
          });
        }
      }
    } else if (sessions === undefined && now + POLL_MS >= state.graceUntil) {
      await ctx.emit({
        type: 'health',
        time: now,
        runId: ctx.runId,
        taskId: ctx.taskId,
        check: `sessions(${service}, ${datacenter})`,
        ok: null,
        detail: 'sessions reading missing',
      });
    }
    const until = now < state.graceUntil ? Math.min(state.graceUntil, now + POLL_MS) : now + POLL_MS;
    await sleepWithin(ctx, until - now, ctx.deadline);
  }
};
