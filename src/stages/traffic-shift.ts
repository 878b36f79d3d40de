/**
 * traffic.shift: move a service's traffic off a datacenter (`target: zero`) or back to the baseline
 * (`target: baseline`), at the edge layer (every PoP's table) or the cluster layer (the datacenter's own table,
 * whose weight moves to other datacenters' clusters), paced by the Pacer.
 *
 * Each step: decide (pacer) → compute the tables → checkpoint them → set them (only those that differ from what the
 * backend has) → emit `shift.step` → wait for propagation and settle → read the world → decide again. A restarted
 * stage finds its pending tables in the checkpoint and sets them again, which changes nothing if they were set.
 */
import type { Backend, WeightTable } from '../backends/backend.js';
import { EPSILON, receiverReading, type Decision, type DecisionKind, type ReceiverReading } from '../pacing/pacer.js';
import { DEFAULT_PROPAGATION_MS, createPacer } from '../pacing/index.js';
import { headroomOf } from '../pacing/headroom.js';
import { MaelstromError } from '../model/errors.js';
import type { FleetSnapshot, Layer } from '../model/readings.js';
import { act, type StageContext, type StageFn, type StageResult } from './stage.js';
import { readParams } from './params.js';
import { sleepWithin } from './wait.js';
import {
  clustersOf,
  drainTables,
  normalise,
  ownDestinations,
  ownShare,
  restoreTables,
  sameWeights,
  type Tables,
} from './weights.js';

type Direction = 'drain' | 'restore';

interface Pending {
  readonly tables: Tables;
  readonly applied: boolean;
  readonly decision: DecisionKind;
  readonly reason: string;
}

/** The checkpoint of a shift: enough to continue exactly where it was. */
interface ShiftState {
  readonly v: 1;
  readonly direction: Direction;
  readonly layer: Layer;
  /** The tables the shift changes, as they were when it started. */
  readonly start: Tables;
  /** Requests per second the whole move shifts, once known. */
  readonly volume?: number;
  readonly progress: number;
  readonly steps: number;
  readonly lastStep: number;
  readonly lastDecision?: DecisionKind;
  readonly backoffs?: number;
  readonly baseline: readonly ReceiverReading[];
  /** Restore: the datacenter's share under the baseline tables, which the shift returns to. */
  readonly targetShare?: number;
  readonly pending?: Pending;
  /** No decision before this time (propagation and settle of the last step), clock ms. */
  readonly waitUntil?: number;
}

interface Shift {
  readonly ctx: StageContext;
  readonly backend: Backend;
  readonly service: string;
  readonly datacenter: string;
  readonly layer: Layer;
  readonly direction: Direction;
  readonly oracle: boolean;
}

const toTables = (tables: readonly WeightTable[]): Record<string, Readonly<Record<string, number>>> =>
  Object.fromEntries(tables.map((t) => [t.source, t.weights]));

export const trafficShift: StageFn = async (ctx) => {
  const p = readParams('traffic.shift', ctx.with);
  const layer = p.string('layer', 'edge');
  if (layer !== 'edge' && layer !== 'cluster')
    throw new MaelstromError('E_PARAM', `traffic.shift: layer must be edge or cluster, got ${layer}`);
  const targetName = p.string('target', 'zero');
  if (targetName !== 'zero' && targetName !== 'baseline')
    throw new MaelstromError('E_PARAM', `traffic.shift: target must be zero or baseline, got ${targetName}`);
  const propagationMs =
    p.optionalDuration('propagation') ?? ctx.backend.oracle?.propagationMs(layer) ?? DEFAULT_PROPAGATION_MS[layer];
  const pacer = ctx.pacer ?? createPacer(ctx.pacing, { propagationMs });
  const shift: Shift = {
    ctx,
    backend: ctx.backend,
    layer,
    service: p.string('service', ctx.service),
    datacenter: p.string('datacenter', ctx.datacenter),
    direction: targetName === 'zero' ? 'drain' : 'restore',
    oracle: pacer.mode === 'oracle',
  };
  if (shift.oracle && !ctx.backend.oracle)
    throw new MaelstromError(
      'E_BAD_REQUEST',
      `pacing mode oracle needs the simulator; backend ${ctx.backend.name} has no oracle`,
    );

  let state = resumable(ctx.state, shift) ? ctx.state : await begin(shift);
  if (state === undefined) {
    const where = shift.direction === 'drain' ? 'drained from' : 'at its baseline in';
    return { outcome: 'success', detail: `${shift.service} already ${where} ${shift.datacenter} (${layer})` };
  }
  let lastHold = '';

  for (;;) {
    if (state.pending && !state.pending.applied) {
      await apply(shift, state.pending.tables);
      await emitStep(shift, state, state.pending.decision, state.pending.reason, state.pending.tables);
      state = { ...state, pending: { ...state.pending, applied: true } };
      await ctx.checkpoint(state);
    }
    const done = state.progress >= 1 - EPSILON;
    if (state.waitUntil !== undefined && state.waitUntil > ctx.clock.now()) {
      if (ctx.deadline !== undefined && ctx.deadline <= ctx.clock.now()) return timedOut(state);
      await sleepWithin(ctx, state.waitUntil - ctx.clock.now(), ctx.deadline);
      if (state.waitUntil > ctx.clock.now()) return timedOut(state);
    }
    if (done) {
      const did = shift.direction === 'drain' ? 'drained' : 'restored';
      return {
        outcome: 'success',
        detail: `${did} ${shift.service} in ${shift.datacenter} (${layer}) in ${state.steps} steps`,
      };
    }
    if (ctx.deadline !== undefined && ctx.clock.now() >= ctx.deadline) return timedOut(state);

    const world = await read(shift, state);
    if (state.volume === undefined && world.volume !== undefined) state = { ...state, volume: world.volume };
    const decision = pacer.next({
      progress: state.progress,
      steps: state.steps,
      lastStep: state.lastStep,
      ...(state.lastDecision ? { lastDecision: state.lastDecision } : {}),
      backoffs: state.backoffs ?? 0,
      ...(state.volume !== undefined ? { volume: state.volume } : {}),
      inFlight: inFlight(shift, state, world),
      receivers: world.receivers,
      baseline: state.baseline,
      targetUtilization: ctx.targetUtilization,
    });

    if (decision.step === 0) {
      if (decision.kind === 'final') {
        state = { ...state, progress: 1 };
        continue;
      }
      // One event when the shift starts holding (and when the reason changes in kind), not one per poll.
      const why = decision.reason.split(';')[0] ?? '';
      if (why !== lastHold) await emitStep(shift, state, 'hold', decision.reason, undefined);
      lastHold = why;
      state = { ...state, lastDecision: 'hold', waitUntil: ctx.clock.now() + decision.waitMs };
      continue;
    }
    lastHold = '';
    state = await plan(shift, state, decision, world);
    await ctx.checkpoint(state);
  }
};

/**
 * Drain: load the weights already send elsewhere but that has not left the datacenter yet (sessions that stay until
 * they end, a change still propagating). What the tables promise to move, less what has visibly moved.
 */
function inFlight(shift: Shift, state: ShiftState, world: World): number {
  if (shift.direction !== 'drain' || state.volume === undefined || world.sourceLoad === undefined) return 0;
  return Math.max(0, world.sourceLoad - (1 - state.progress) * state.volume);
}

function timedOut(state: ShiftState): StageResult {
  return {
    outcome: 'timeout',
    detail: `timed out at ${(state.progress * 100).toFixed(0)} % after ${state.steps} steps`,
  };
}

function resumable(saved: unknown, shift: Shift): saved is ShiftState {
  const s = saved as Partial<ShiftState> | undefined;
  return s?.v === 1 && s.direction === shift.direction && s.layer === shift.layer && typeof s.progress === 'number';
}

/** Reads the tables the shift changes and the starting readings; undefined when there is nothing to move. */
async function begin(shift: Shift): Promise<ShiftState | undefined> {
  const { backend, ctx, layer, service, datacenter } = shift;
  const options = { signal: ctx.signal };
  const current = toTables(await backend.weights(layer, service, options));
  const relevant = (t: Tables): Tables =>
    Object.fromEntries(Object.entries(t).filter(([source]) => layer === 'edge' || source === datacenter));
  const own = ownDestinations(layer, datacenter, ctx.fleet);
  let start: Tables;
  let targetShare: number | undefined;
  if (shift.direction === 'drain') {
    start = Object.fromEntries(Object.entries(relevant(current)).filter(([, w]) => own.some((d) => (w[d] ?? 0) > 0)));
    if (Object.keys(start).length === 0) return undefined;
  } else {
    const baseline = relevant(toTables(await backend.baselineWeights(layer, service, options)));
    if (Object.entries(baseline).every(([source, w]) => sameWeights(current[source], w))) return undefined;
    start = Object.fromEntries(Object.keys(baseline).map((source) => [source, current[source] ?? {}]));
    targetShare = ownShare(baseline, layer, datacenter, ctx.fleet);
  }
  const partial: ShiftState = {
    v: 1,
    direction: shift.direction,
    layer,
    start,
    progress: 0,
    steps: 0,
    lastStep: 0,
    baseline: [],
    ...(targetShare !== undefined ? { targetShare } : {}),
  };
  const world = await read(shift, partial);
  const state: ShiftState = {
    ...partial,
    baseline: world.receivers,
    ...(world.volume !== undefined ? { volume: world.volume } : {}),
  };
  await ctx.checkpoint(state);
  return state;
}

interface World {
  readonly receivers: readonly ReceiverReading[];
  readonly volume: number | undefined;
  /** The service's load still arriving in the datacenter, rps. */
  readonly sourceLoad: number | undefined;
}

/** The receivers of the moved traffic (measured, or the truth for the oracle) and the volume to move. */
async function read(shift: Shift, state: ShiftState): Promise<World> {
  const { ctx, service, datacenter } = shift;
  const svc = ctx.fleet.spec.services.find((s) => s.name === service);
  if (!svc)
    throw new MaelstromError('E_NOT_FOUND', `traffic.shift: no service ${service} in fleet ${ctx.fleet.metadata.name}`);
  const deployed = Object.entries(svc.capacity)
    .filter(([, c]) => c > 0)
    .map(([dc]) => dc);
  const names = shift.direction === 'drain' ? deployed.filter((dc) => dc !== datacenter) : [datacenter];
  let byDc: Record<string, ReceiverReading>;
  if (shift.oracle && ctx.backend.oracle) {
    const truth = await ctx.backend.oracle.truth(service);
    // The simulator's utilisation reading is exact (effective load, cold caches included): part of the truth.
    const measured = (await ctx.backend.snapshot({ signal: ctx.signal })).services[service]?.datacenters ?? {};
    byDc = Object.fromEntries(
      Object.keys(truth.capacity).map((dc) => {
        const capacity = truth.capacity[dc] ?? 0;
        const load = truth.load[dc] ?? 0;
        const utilization = measured[dc]?.utilization ?? (capacity > 0 ? load / capacity : 0);
        return [dc, { name: dc, capacity, load, utilization }];
      }),
    );
  } else {
    const snap: FleetSnapshot = await ctx.backend.snapshot({ signal: ctx.signal });
    const readings = snap.services[service]?.datacenters ?? {};
    byDc = Object.fromEntries(Object.entries(readings).map(([dc, r]) => [dc, receiverReading(dc, r)]));
  }
  const receivers = names.map((n) => byDc[n] ?? { name: n });
  return { receivers, volume: volumeOf(shift, state, byDc, deployed), sourceLoad: byDc[datacenter]?.load };
}

function volumeOf(
  shift: Shift,
  state: ShiftState,
  byDc: Readonly<Record<string, ReceiverReading>>,
  deployed: readonly string[],
): number | undefined {
  const { ctx, layer, datacenter, service } = shift;
  if (shift.direction === 'drain') return byDc[datacenter]?.load;
  let total = 0;
  for (const dc of deployed) {
    const load = byDc[dc]?.load;
    if (load === undefined) return undefined;
    total += load;
  }
  const returning = Math.max(0, (state.targetShare ?? 1) - ownShare(state.start, layer, datacenter, ctx.fleet));
  if (layer === 'edge') return total * returning;
  // At the cluster layer what returns is what arrives in the datacenter, estimated by its share of the capacity.
  const svc = ctx.fleet.spec.services.find((s) => s.name === service);
  const caps = deployed.reduce((a, dc) => a + (svc?.capacity[dc] ?? 0), 0);
  return caps > 0 ? ((total * (svc?.capacity[datacenter] ?? 0)) / caps) * returning : 0;
}

/** The tables for the decided step, and the state that records them as pending. */
async function plan(shift: Shift, state: ShiftState, decision: Decision, world: World): Promise<ShiftState> {
  const { ctx, layer, datacenter, service } = shift;
  const to = Math.min(1, Math.max(0, state.progress + decision.step));
  let tables: Tables;
  if (shift.direction === 'drain') {
    const current = toTables(await ctx.backend.weights(layer, service, { signal: ctx.signal }));
    tables = drainTables(state.start, current, ownDestinations(layer, datacenter, ctx.fleet), to, split(shift, world));
  } else {
    const baseline = toTables(await ctx.backend.baselineWeights(layer, service, { signal: ctx.signal }));
    tables = restoreTables(
      state.start,
      Object.fromEntries(Object.keys(state.start).map((s) => [s, baseline[s] ?? {}])),
      to,
    );
  }
  const kind = to >= 1 - EPSILON ? 'final' : decision.kind;
  return {
    ...state,
    progress: to >= 1 - EPSILON ? 1 : to,
    steps: state.steps + 1,
    lastStep: decision.step > 0 ? decision.step : state.lastStep,
    lastDecision: decision.kind,
    backoffs: (state.backoffs ?? 0) + (decision.kind === 'backoff' ? 1 : 0),
    pending: { tables, applied: false, decision: kind, reason: decision.reason },
    waitUntil: ctx.clock.now() + decision.waitMs,
  };
}

/**
 * Where moved weight goes: to the receivers in proportion to their headroom at the target (the same for every
 * pacer), or to their capacity when no headroom can be read; at the cluster layer spread over each receiver's
 * clusters.
 */
function split(shift: Shift, world: World): Record<string, number> {
  const { ctx, layer, service } = shift;
  const svc = ctx.fleet.spec.services.find((s) => s.name === service);
  const headroom = Object.fromEntries(world.receivers.map((r) => [r.name, headroomOf(r, ctx.targetUtilization) ?? 0]));
  const capacity = Object.fromEntries(world.receivers.map((r) => [r.name, svc?.capacity[r.name] ?? 0]));
  const byDc = normalise(headroom, capacity);
  if (layer === 'edge') return byDc;
  const clusters = clustersOf(ctx.fleet);
  const out: Record<string, number> = {};
  for (const [dc, f] of Object.entries(byDc)) {
    const cls = clusters.get(dc) ?? [];
    for (const c of cls) out[c] = f / cls.length;
  }
  return out;
}

/** Sets each table that differs from what the backend has; a table already in place is not sent again. */
async function apply(shift: Shift, tables: Tables): Promise<void> {
  const { ctx, layer, service } = shift;
  const current = toTables(await ctx.backend.weights(layer, service, { signal: ctx.signal }));
  for (const [source, weights] of Object.entries(tables)) {
    if (sameWeights(current[source], weights)) continue;
    await act(ctx, { kind: 'weights.set', layer, service, source, weights });
  }
}

async function emitStep(
  shift: Shift,
  state: ShiftState,
  decision: DecisionKind,
  reason: string,
  tables: Tables | undefined,
): Promise<void> {
  const { ctx, layer, service, datacenter } = shift;
  const remaining = tables
    ? ownShare(tables, layer, datacenter, ctx.fleet)
    : ownShare(await currentTables(shift), layer, datacenter, ctx.fleet);
  await ctx.emit({
    type: 'shift.step',
    time: ctx.clock.now(),
    runId: ctx.runId,
    taskId: ctx.taskId,
    layer,
    service,
    datacenter,
    step: state.steps,
    remaining,
    moved: state.progress,
    decision,
    reason,
  });
}

async function currentTables(shift: Shift): Promise<Tables> {
  return toTables(await shift.ctx.backend.weights(shift.layer, shift.service, { signal: shift.ctx.signal }));
}
