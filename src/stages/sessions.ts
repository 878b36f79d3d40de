/**
 * sessions.drain: for a sticky service whose edge weight in the datacenter is already zero, let established
 * sessions end by themselves for a grace period, then tear the rest down at a paced rate until none remain.
 *
 * Every teardown is a reconnect at the receivers, so the rate is paced: it starts at a quarter of the asked rate,
 * doubles every poll while the receivers are healthy, and halves while one is degraded (above the target, errors or
 * latency up).
 */
import { CLOSED_LOOP_DEFAULTS, degradation } from '../engine/pacing/closed-loop.js';
import type { ReceiverReading } from '../engine/pacing/pacer.js';
import type { ServiceReading } from '../model/readings.js';
import { act, type StageContext, type StageFn, type StageResult } from './stage.js';
import { readParams } from './params.js';
import { sleepWithin } from './wait.js';

const POLL_MS = 10_000;
/** The teardown starts at this fraction of the asked rate, like a shift's small first step, and doubles while healthy. */
const START_RATE_FRACTION = 1 / 4;
/** The rate never drops below this fraction of the asked rate, so a drain always ends. */
const MIN_RATE_FRACTION = 1 / 8;

interface DrainState {
  readonly graceUntil: number;
  /** Teardown rate last sent, sessions per second; absent before the grace period ended. */
  readonly rate?: number;
  readonly baseline?: readonly ReceiverReading[];
}

export async function serviceReading(ctx: StageContext, service: string): Promise<ServiceReading | undefined> {
  return (await ctx.backend.snapshot({ signal: ctx.signal })).services[service];
}

export function receiversOf(reading: ServiceReading | undefined, except: string): ReceiverReading[] {
  return Object.entries(reading?.datacenters ?? {}).filter(([dc]) => dc !== except).map(([dc, r]) => ({
    name: dc,
    ...(r.load !== undefined ? { load: r.load } : {}),
    ...(r.capacity !== undefined ? { capacity: r.capacity } : {}),
    ...(r.utilization !== undefined ? { utilization: r.utilization } : {}),
    ...(r.errorRate !== undefined ? { errorRate: r.errorRate } : {}),
    ...(r.latencyP99 !== undefined ? { latencyP99: r.latencyP99 } : {}),
  }));
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
    return { outcome: 'failure', detail: `${service} still has edge weight on ${datacenter} at ${open.join(', ')}: shift the edge away first` };
  }

  let state: DrainState | undefined = ctx.state as DrainState | undefined;
  if (state?.graceUntil === undefined) {
    const reading = await serviceReading(ctx, service);
    state = { graceUntil: ctx.clock.now() + grace, baseline: receiversOf(reading, datacenter) };
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
      return { outcome: 'timeout', detail: `${sessions ?? 'an unknown number of'} sessions of ${service} left in ${datacenter}` };
    }
    const now = ctx.clock.now();
    if (now >= state.graceUntil) {
      const baseline = new Map((state.baseline ?? []).map((b) => [b.name, b]));
      const degraded = receiversOf(reading, datacenter).some((r) => degradation(r, baseline.get(r.name), ctx.targetUtilization, CLOSED_LOOP_DEFAULTS) !== undefined);
      const current: number | undefined = state.rate;
      const rate: number = current === undefined ? asked * START_RATE_FRACTION
        : degraded ? Math.max(asked * MIN_RATE_FRACTION, current / 2) : Math.min(asked, current * 2);
      if (rate !== current) {
        state = { ...state, rate };
        await ctx.checkpoint(state);
        await act(ctx, { kind: 'sessions.teardown', service, datacenter, rate });
        if (current !== undefined && rate < current) {
          await ctx.emit({ type: 'alert', time: ctx.clock.now(), runId: ctx.runId, taskId: ctx.taskId, severity: 'warning', message: `receivers of ${service} degraded: session teardown slowed to ${rate.toFixed(0)}/s` });
        }
      }
    } else if (sessions === undefined && now + POLL_MS >= state.graceUntil) {
      await ctx.emit({ type: 'health', time: now, runId: ctx.runId, taskId: ctx.taskId, check: `sessions(${service}, ${datacenter})`, ok: null, detail: 'sessions reading missing' });
    }
    const until = now < state.graceUntil ? Math.min(state.graceUntil, now + POLL_MS) : now + POLL_MS;
    await sleepWithin(ctx, until - now, ctx.deadline);
  }
};
