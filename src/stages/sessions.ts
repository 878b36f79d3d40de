/**
 * sessions.drain: for a sticky service whose edge weight in the datacenter is already zero, let established
 * sessions end by themselves for a grace period, then tear the rest down at a paced rate until none remain.
 *
 * Every teardown is a reconnect at the receivers, so the rate is paced, the asked rate being only an upper bound: it
 * starts at a quarter of the asked rate, doubles every poll while the receivers are healthy, and halves while one is
 * degraded (above the target, errors or latency up). Whatever the ramp says, the rate never exceeds what the
 * receivers' measured headroom at the target can absorb until the next poll: each torn-down session costs a
 * reconnect there at once and then carries its share of load for good.
 */
import { CLOSED_LOOP_DEFAULTS, degradation } from '../pacing/closed-loop.js';
import { receiverReading, type ReceiverReading } from '../pacing/pacer.js';
import { headroomOf } from '../pacing/headroom.js';
import { HEALTH } from '../pacing/health.js';
import type { DatacenterReading, ServiceReading } from '../model/readings.js';
import { act, type StageContext, type StageFn, type StageResult } from './stage.js';
import { readParams } from './params.js';
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
  readonly rate?: number;
  readonly baseline?: readonly ReceiverReading[];
  /**
   * Requests per second one session carries, read in the datacenter when the drain began. Read once: late in the
   * drain the few sessions left would share load that does not follow them (overheads, stragglers) and look dear.
   */
  readonly perSession?: number;
}

export async function serviceReading(ctx: StageContext, service: string): Promise<ServiceReading | undefined> {
  return (await ctx.backend.snapshot({ signal: ctx.signal })).services[service];
}

export function receiversOf(reading: ServiceReading | undefined, except: string): ReceiverReading[] {
  return Object.entries(reading?.datacenters ?? {})
    .filter(([dc]) => dc !== except)
    .map(([dc, r]) => receiverReading(dc, r));
}

/** Requests per second per session in the drained datacenter; 0 when none are left, undefined when unread. */
function perSessionLoad(r: DatacenterReading | undefined): number | undefined {
  if (r?.sessions === undefined || r.load === undefined) return undefined;
  return r.sessions > 0 ? r.load / r.sessions : 0;
}

export const sessionsDrain: StageFn = async (ctx): Promise<StageResult> => {
  const p = readParams('sessions.drain', ctx.with);
  const service = p.string('service', ctx.service);
  const datacenter = p.string('datacenter', ctx.datacenter);
  const grace = p.duration('grace', '15m');
  const asked = p.number('teardownRate', 200);

  // Reconnects must not land back in the datacenter: its edge weight has to be zero already.
  const edge = await ctx.backend.weights('edge', service, { signal: ctx.signal });
  const open = edge.filter((t) => (t.weights[datacenter] ?? 0) > 0).map((t) => t.source);
  if (open.length > 0) {
    return {
      outcome: 'failure',
      detail: `${service} still has edge weight on ${datacenter} at ${open.join(', ')}: shift the edge away first`,
    };
  }

  let state: DrainState | undefined = ctx.state as DrainState | undefined;
  if (state?.graceUntil === undefined) {
    const reading = await serviceReading(ctx, service);
    const perSession = perSessionLoad(reading?.datacenters[datacenter]);
    state = {
      graceUntil: ctx.clock.now() + grace,
      baseline: receiversOf(reading, datacenter),
      ...(perSession !== undefined ? { perSession } : {}),
    };
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
    if (now >= state.graceUntil) {
      const baseline = new Map((state.baseline ?? []).map((b) => [b.name, b]));
      const receivers = receiversOf(reading, datacenter);
      // A drain resumed from a checkpoint of an older version lacks the figure: read it now.
      const perSession = state.perSession ?? perSessionLoad(reading?.datacenters[datacenter]);
      const absorbable = absorbableRate(receivers, perSession, ctx.targetUtilization);
      // Unreadable headroom is never room to grow: it counts as degraded. A self-regulating plan's shifts keep their
      // receivers at the target themselves (routing around one that is full): a receiver only landing on it, within
      // the readings' noise, does not slow the teardown (the absorbable rate, from the headroom, bounds it).
      const limit =
        ctx.pacing.mode === 'self-regulating' ? ctx.targetUtilization + HEALTH.overBy : ctx.targetUtilization;
      const degraded =
        absorbable === undefined ||
        receivers.some((r) => degradation(r, baseline.get(r.name), limit, CLOSED_LOOP_DEFAULTS) !== undefined);
      const current: number | undefined = state.rate;
      const ramp: number =
        current === undefined ? asked * START_RATE_FRACTION : degraded ? current / 2 : Math.min(asked, current * 2);
      const rate: number = Math.max(Math.min(asked, MIN_RATE), Math.min(ramp, absorbable ?? ramp));
      if (current === undefined || rate < current || rate > current * (1 + MIN_RAISE)) {
        state = { ...state, rate };
        await ctx.checkpoint(state);
        await act(ctx, { kind: 'sessions.teardown', service, datacenter, rate });
        if (current !== undefined && rate < current) {
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
