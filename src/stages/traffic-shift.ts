/**
 * traffic.shift: move a service's traffic off a datacenter (`target: zero`) or back to the baseline
 * (`target: baseline`), at the edge layer (every PoP's table) or the cluster layer (the datacenter's own table,
 * whose weight moves to other datacenters' clusters), paced by the Pacer.
 *
 * Each step: decide (pacer) → compute the tables → checkpoint them → set them (only those that differ from what the
 * backend has) → emit `shift.step` → wait for propagation and settle → read the world → decide again. A restarted
 * stage finds its pending tables in the checkpoint and sets them again, which changes nothing if they were set.
 *
 * Self-regulating (the default pacing): the pacer's health manager also judges, detects, diagnoses and resolves
 * (shift-health.ts carries its decisions out: a move back is a targeted negative step, a route-around re-weights
 * the tables, jobs start, people are paged); waits are cut short when a receiver tips over; and once the shift is
 * at its target the stage hands its state over as a watch (`watchShift`), which keeps the manager running while the
 * run goes on.
 */
import type { WeightTable } from '../backends/backend.js';
import {
  EPSILON,
  receiverReading,
  unreadReceiver,
  type Decision,
  type PacerInput,
  type DecisionKind,
  type ReceiverReading,
} from '../pacing/pacer.js';
import { DEFAULT_PROPAGATION_MS, createPacer } from '../pacing/index.js';
import { HEALTH_POLL_MS } from '../pacing/health-manager.js';
import { headroomOf } from '../pacing/headroom.js';
import { roomOf, withCallees } from '../pacing/detectors.js';
import { MaelstromError } from '../model/errors.js';
import { mapList } from '../model/shapes.js';
import type { FleetSnapshot } from '../model/readings.js';
import { act, type StageContext, type StageFn, type StageResult, type WatchContext, type WatchFn } from './stage.js';
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
  takeBackTables,
  type Tables,
} from './weights.js';
import { calleeReadings, carryOut, healthInputOf, holdKey, reroutedTables } from './shift-health.js';
import type { ActedNote, Diversion, Pending, Shift, ShiftState, World } from './shift.js';

const toTables = (tables: readonly WeightTable[]): Record<string, Readonly<Record<string, number>>> =>
  Object.fromEntries(tables.map((t) => [t.source, t.weights]));

function shiftOf(ctx: StageContext | WatchContext, watching: boolean): Shift {
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
    pacer,
    propagationMs,
    regulated: pacer.mode === 'self-regulating',
    watching,
  };
  if (shift.oracle && !ctx.backend.oracle)
    throw new MaelstromError(
      'E_BAD_REQUEST',
      `pacing mode oracle needs the simulator; backend ${ctx.backend.name} has no oracle`,
    );
  return shift;
}

// The stage's promise is the loop's own (no wrapper in between): concurrent stages interleave exactly as they did
// before watches existed, which the golden replay checks.
export const trafficShift: StageFn = (ctx) => runShift(ctx, false);

/**
 * The watch of a self-regulating shift that reached its target: the same loop, the health manager deciding, never
 * ending by itself. It settles at the target; it is unsettled while it has moved traffic back.
 */
export const watchShift: WatchFn = async (ctx) => {
  await runShift(ctx, true);
};

function isStage(ctx: StageContext | WatchContext): ctx is StageContext {
  return 'evaluate' in ctx;
}

const deadlineOf = (shift: Shift): number | undefined => (isStage(shift.ctx) ? shift.ctx.deadline : undefined);

/** Saves the shift's progress: the stage's checkpoint, or the watch's (with whether it is at its target). */
function save(shift: Shift, state: ShiftState): Promise<void> {
  const ctx = shift.ctx;
  return isStage(ctx)
    ? ctx.checkpoint(state)
    : ctx.checkpoint(state, state.progress >= 1 - EPSILON && (state.pending?.applied ?? true));
}

async function runShift(ctx: StageContext | WatchContext, watching: boolean): Promise<StageResult> {
  const shift = shiftOf(ctx, watching);
  const { layer } = shift;
  let state: ShiftState;
  if (resumable(ctx.state, shift)) state = ctx.state;
  else {
    const begun = watching ? undefined : await begin(shift);
    if (begun === undefined) {
      const where = shift.direction === 'drain' ? 'drained from' : 'at its baseline in';
      return { outcome: 'success', detail: `${shift.service} already ${where} ${shift.datacenter} (${layer})` };
    }
    state = begun;
  }
  let lastHold = '';
  // The state before a growth step was planned: restored when the health gate holds the step back.
  let beforePlan: ShiftState | undefined;

  for (;;) {
    if (state.pending && !state.pending.applied) {
      const pending = state.pending;
      const held = await apply(shift, pending, beforePlan !== undefined);
      if (held && beforePlan) {
        // The task's health checks fail: no growth until they pass; the manager looks again at the next poll.
        state = { ...beforePlan, lastDecision: 'hold', waitUntil: ctx.clock.now() + HEALTH_POLL_MS };
        beforePlan = undefined;
        await save(shift, state);
        continue;
      }
      beforePlan = undefined;
      await emitStep(shift, state, pending.decision, pending.reason, pending.tables, pending.note?.id);
      if (pending.note) await carryOut.announce(shift, pending.note);
      state = { ...state, pending: { ...pending, applied: true } };
      await save(shift, state);
    }
    const done = state.progress >= 1 - EPSILON;
    const deadline = deadlineOf(shift);
    if (state.waitUntil !== undefined && state.waitUntil > ctx.clock.now()) {
      if (deadline !== undefined && deadline <= ctx.clock.now()) return timedOut(state);
      if (shift.regulated) {
        // Wait in polls: a receiver that tips over does not wait for the end of the step's settle window.
        while (state.waitUntil !== undefined && state.waitUntil > ctx.clock.now()) {
          if (deadline !== undefined && deadline <= ctx.clock.now()) return timedOut(state);
          const left = state.waitUntil - ctx.clock.now();
          await sleepFor(shift, Math.min(left, HEALTH_POLL_MS), deadline);
          if (state.waitUntil <= ctx.clock.now()) break;
          if (await urgent(shift, state)) {
            state = { ...state, waitUntil: ctx.clock.now() };
            break;
          }
        }
      } else {
        await sleepFor(shift, state.waitUntil - ctx.clock.now(), deadline);
        if (state.waitUntil > ctx.clock.now()) return timedOut(state);
      }
    }
    if (done && !shift.watching) return finished(shift, state);
    if (deadline !== undefined && ctx.clock.now() >= deadline) return timedOut(state);

    const world = await read(shift, state);
    if (state.volume === undefined && world.volume !== undefined) state = { ...state, volume: world.volume };
    // Every key, always (undefined when absent), in the order urgent() uses: one shape for the pacers.
    const input: PacerInput = {
      progress: state.progress,
      steps: state.steps,
      lastStep: state.lastStep,
      lastDecision: state.lastDecision ? state.lastDecision : undefined,
      backoffs: state.backoffs ?? 0,
      volume: state.volume,
      inFlight: inFlight(shift, state, world),
      receivers: world.receivers,
      baseline: state.baseline,
      targetUtilization: ctx.targetUtilization,
      health: shift.regulated ? healthInputOf(shift, state, world) : undefined,
    };
    const decision = shift.pacer.next(input);
    let note: ActedNote | undefined;
    if (shift.regulated && decision.health) {
      state = { ...state, health: decision.health.memory };
      note = await carryOut.decided(shift, decision, world);
    }

    if (decision.step === 0 && decision.kind !== 'reroute') {
      if (decision.kind === 'final') {
        state = { ...state, progress: 1 };
        if (shift.watching) {
          state = { ...state, lastDecision: 'final', waitUntil: ctx.clock.now() + HEALTH_POLL_MS };
          await save(shift, state);
        }
        continue;
      }
      // One event when the shift starts holding (and when the reason changes in kind), not one per poll.
      const why = shift.regulated ? holdKey(decision) : (decision.reason.split(';')[0] ?? '');
      if (why !== lastHold) await emitStep(shift, state, 'hold', decision.reason, undefined, note?.id);
      if (note) await carryOut.announce(shift, note);
      lastHold = why;
      state = { ...state, lastDecision: 'hold', waitUntil: ctx.clock.now() + decision.waitMs };
      if (shift.regulated) await save(shift, state);
      continue;
    }
    lastHold = '';
    const growth = decision.step > 0 && decision.kind !== 'final' ? state : undefined;
    state = await plan(shift, state, decision, world, note);
    // A growth step of a self-regulating shift is not sent while the task's health checks fail.
    beforePlan = shift.regulated && growth ? growth : undefined;
    await save(shift, state);
  }
}

/** The stage's result at its target; a self-regulating shift hands its state over to be watched. */
function finished(shift: Shift, state: ShiftState): StageResult {
  const did = shift.direction === 'drain' ? 'drained' : 'restored';
  const detail = `${did} ${shift.service} in ${shift.datacenter} (${shift.layer}) in ${state.steps} steps`;
  if (!shift.regulated) return { outcome: 'success', detail };
  const { waitUntil: _w, pending: _p, ...kept } = state;
  return { outcome: 'success', detail, watch: kept };
}

function sleepFor(shift: Shift, ms: number, deadline: number | undefined): Promise<void> {
  const ctx = shift.ctx;
  return isStage(ctx) ? sleepWithin(ctx, ms, deadline) : ctx.clock.sleep(Math.max(0, ms), ctx.signal);
}

/** Whether what the receivers show now cannot wait for the end of the current wait. */
async function urgent(shift: Shift, state: ShiftState): Promise<boolean> {
  if (!shift.pacer.interrupt) return false;
  const world = await read(shift, state);
  return shift.pacer.interrupt({
    progress: state.progress,
    steps: state.steps,
    lastStep: state.lastStep,
    lastDecision: undefined,
    backoffs: undefined,
    volume: state.volume,
    inFlight: undefined,
    receivers: world.receivers,
    baseline: state.baseline,
    targetUtilization: shift.ctx.targetUtilization,
    health: healthInputOf(shift, state, world),
  });
}

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
  const preferences = shift.regulated ? await ctx.resolutions?.stats({ service }) : undefined;
  const state: ShiftState = {
    ...partial,
    baseline: world.receivers,
    ...(world.volume !== undefined ? { volume: world.volume } : {}),
    ...(shift.regulated && world.source ? { sourceBaseline: world.source } : {}),
    ...(shift.regulated && world.snapshot ? { calleeBaseline: calleeReadings(shift, world) } : {}),
    ...(preferences ? { preferences } : {}),
  };
  await save(shift, state);
  return state;
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
  let snap: FleetSnapshot | undefined;
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
    snap = await ctx.backend.snapshot({ signal: ctx.signal });
    const readings = snap.services[service]?.datacenters ?? {};
    const time = shift.regulated ? snap.time : undefined;
    byDc = Object.fromEntries(Object.entries(readings).map(([dc, r]) => [dc, receiverReading(dc, r, time)]));
  }
  // One shape for every receiver and every World (read in the pacer's and the health manager's hot code).
  const receivers = mapList(names, (n) => byDc[n] ?? unreadReceiver(n));
  return {
    receivers,
    volume: volumeOf(shift, state, byDc, deployed),
    sourceLoad: byDc[datacenter]?.load,
    source: shift.regulated ? (byDc[datacenter] ?? unreadReceiver(datacenter)) : undefined,
    tables: shift.regulated ? await currentTables(shift) : undefined,
    snapshot: snap,
  };
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

/** The tables the shift owns as the backend has them now. */
export async function currentTables(shift: Shift): Promise<Tables> {
  return toTables(await shift.ctx.backend.weights(shift.layer, shift.service, { signal: shift.ctx.signal }));
}

/** The tables for the decided step, and the state that records them as pending. */
async function plan(
  shift: Shift,
  state: ShiftState,
  decision: Decision,
  world: World,
  note: ActedNote | undefined,
): Promise<ShiftState> {
  const { ctx, layer, datacenter, service } = shift;
  const to = Math.min(1, Math.max(0, state.progress + decision.step));
  const resolution = decision.health?.resolution;
  let tables: Tables;
  let diverted = state.diverted;
  if (decision.kind === 'reroute' && decision.giveBack) {
    // Receivers with room again: their own tables back toward what the route-around found, by the share that comes
    // home (all the way for 1).
    const current = await currentTables(shift);
    const out: Record<string, Readonly<Record<string, number>>> = {};
    const kept: Record<string, Diversion> = {};
    for (const [dc, d] of Object.entries(diverted ?? {})) {
      const share = Math.min(1, decision.giveBack[dc] ?? 0);
      if (share >= 1 - EPSILON) out[dc] = d.before;
      else if (share > 0) out[dc] = towards(current[dc] ?? d.before, d.before, share);
      if (share < 1 - EPSILON) kept[dc] = share > 0 ? { ...d, rps: d.rps * (1 - share) } : d;
    }
    tables = out;
    diverted = kept;
  } else if (decision.kind === 'reroute' && resolution?.reroute) {
    const current = await currentTables(shift);
    tables = reroutedTables(shift, state, current, resolution.reroute, world);
    for (const [dc, rps] of Object.entries(resolution.reroute.own ?? {}))
      if (tables[dc] && dc !== datacenter)
        diverted = {
          ...diverted,
          [dc]: { before: diverted?.[dc]?.before ?? current[dc] ?? {}, rps: (diverted?.[dc]?.rps ?? 0) + rps },
        };
  } else if (shift.direction === 'drain') {
    const current = toTables(await ctx.backend.weights(layer, service, { signal: ctx.signal }));
    const own = ownDestinations(layer, datacenter, ctx.fleet);
    tables =
      decision.step < 0 && resolution?.takeBackFrom
        ? takeBackTables(state.start, current, own, to, destinationsOf(shift, resolution.takeBackFrom))
        : drainTables(state.start, current, own, to, split(shift, state, world, decision.only));
  } else {
    const baseline = toTables(await ctx.backend.baselineWeights(layer, service, { signal: ctx.signal }));
    tables = restoreTables(
      state.start,
      Object.fromEntries(Object.keys(state.start).map((s) => [s, baseline[s] ?? {}])),
      to,
    );
  }
  const kind = to >= 1 - EPSILON && decision.step > 0 ? 'final' : decision.kind;
  const moved = decision.step !== 0;
  const { diverted: _d, ...rest } = state;
  return {
    ...rest,
    ...(diverted && Object.keys(diverted).length > 0 ? { diverted } : {}),
    progress: to >= 1 - EPSILON ? 1 : to,
    steps: state.steps + 1,
    lastStep: decision.step > 0 ? decision.step : state.lastStep,
    lastDecision: moved || decision.kind === 'reroute' ? decision.kind : state.lastDecision,
    backoffs: (state.backoffs ?? 0) + (decision.kind === 'backoff' ? 1 : 0),
    // note always present (undefined: none; JSON drops it): one shape for every pending step
    pending: { tables, applied: false, decision: kind, reason: decision.reason, note: note ? note : undefined },
    waitUntil: ctx.clock.now() + decision.waitMs,
  };
}

/** `from` moved by `share` (0..1) of the way to `to`, destination by destination. */
function towards(
  from: Readonly<Record<string, number>>,
  to: Readonly<Record<string, number>>,
  share: number,
): Record<string, number> {
  const keys = new Set([...Object.keys(from), ...Object.keys(to)]);
  return Object.fromEntries([...keys].map((k) => [k, (from[k] ?? 0) + share * ((to[k] ?? 0) - (from[k] ?? 0))]));
}

/** The destinations of the given receiver datacenters at the shift's layer (their clusters, at the cluster layer). */
export function destinationsOf(shift: Shift, datacenters: readonly string[]): string[] {
  if (shift.layer === 'edge') return [...datacenters];
  const clusters = clustersOf(shift.ctx.fleet);
  return datacenters.flatMap((dc) => clusters.get(dc) ?? []);
}

/**
 * Where moved weight goes: to the receivers in proportion to their headroom at the target (the same for every
 * pacer), or to their capacity when no headroom can be read; at the cluster layer spread over each receiver's
 * clusters. With `only` (the health manager's: the others are full or sick), to those receivers alone.
 */
function split(shift: Shift, state: ShiftState, world: World, only?: readonly string[]): Record<string, number> {
  const { ctx, layer, service } = shift;
  const svc = ctx.fleet.spec.services.find((s) => s.name === service);
  // A self-regulating shift weighs where a receiver's load is heading (sessions still arriving), as its manager does.
  const h = shift.regulated ? healthInputOf(shift, state, world) : undefined;
  // And a caller's step moves its callees' load too: a receiver's room is bounded by its callees' there.
  const room = (r: ReceiverReading): number =>
    h
      ? roomOf(withCallees(r, h, ctx.targetUtilization), h, ctx.targetUtilization)
      : (headroomOf(r, ctx.targetUtilization) ?? 0);
  const receivers = only ? world.receivers.filter((r) => only.includes(r.name)) : world.receivers;
  const headroom = Object.fromEntries(receivers.map((r) => [r.name, room(r)]));
  const capacity = Object.fromEntries(receivers.map((r) => [r.name, svc?.capacity[r.name] ?? 0]));
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

/**
 * Sets each table that differs from what the backend has; a table already in place is not sent again. Answers
 * whether the task's health gate held it back (only asked when `mayBeHeld`: a self-regulating growth step).
 */
async function apply(shift: Shift, pending: Pending, mayBeHeld: boolean): Promise<boolean> {
  const { ctx, layer, service } = shift;
  const current = toTables(await ctx.backend.weights(layer, service, { signal: ctx.signal }));
  // Moving traffic back or around sick receivers takes pressure off them: it passes a closed health gate.
  const relief = pending.decision === 'move-back' || pending.decision === 'backoff' || pending.decision === 'reroute';
  for (const [source, weights] of Object.entries(pending.tables)) {
    if (sameWeights(current[source], weights)) continue;
    const r = await act(
      ctx,
      { kind: 'weights.set', layer, service, source, weights },
      shift.regulated ? { relief, unlessHeld: mayBeHeld && !relief } : {},
    );
    if (r.held) return true;
  }
  return false;
}

async function emitStep(
  shift: Shift,
  state: ShiftState,
  decision: DecisionKind,
  reason: string,
  tables: Tables | undefined,
  action: number | undefined,
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
    ...(action !== undefined ? { action } : {}),
    ...(shift.watching ? { watch: true } : {}),
  });
}
