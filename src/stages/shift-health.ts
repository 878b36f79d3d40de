/**
 * What a self-regulating traffic shift gives its health manager, and how it carries the manager's decisions out:
 * judged resolutions become `regulation` events and resolver records in the store; a route-around becomes tables;
 * jobs are started; a person is paged; every resolution is announced with what it saw, diagnosed and expects.
 */
import type { Decision } from '../pacing/pacer.js';
import type { HealthInput } from '../pacing/health.js';
import { durationMs } from '../model/duration.js';
import { act } from './stage.js';
import type { ActedNote, Shift, ShiftState, World } from './shift.js';
import { clustersOf, movedShares, ownDestinations, rerouteTables, type Tables } from './weights.js';

/** Requests per second one unit of progress moves now: the volume at the start, scaled by demand since. */
function volumeNow(state: ShiftState, world: World): number | undefined {
  if (state.volume === undefined) return undefined;
  const before = state.volume + state.baseline.reduce((a, r) => a + (r.load ?? 0), 0);
  const now = (world.sourceLoad ?? 0) + world.receivers.reduce((a, r) => a + (r.load ?? 0), 0);
  return before > 0 && now > 0 ? (state.volume * now) / before : state.volume;
}

/** The health manager's input for the shift as it stands. */
export function healthInputOf(shift: Shift, state: ShiftState, world: World): HealthInput {
  const { ctx, layer, service, datacenter } = shift;
  const svc = ctx.fleet.spec.services.find((s) => s.name === service);
  const reading = world.snapshot?.services[service]?.datacenters[datacenter];
  const v = volumeNow(state, world);
  return {
    now: ctx.clock.now(),
    direction: shift.direction,
    layer,
    service,
    ...(world.source ? { source: world.source } : {}),
    ...(state.sourceBaseline ? { sourceBaseline: state.sourceBaseline } : {}),
    watching: shift.watching,
    movedTo: world.tables ? movedShares(state.start, world.tables, layer, datacenter, ctx.fleet) : {},
    ...(v !== undefined ? { volumeNow: v } : {}),
    totalLoad: (world.source?.load ?? 0) + world.receivers.reduce((a, r) => a + (r.load ?? 0), 0),
    upstreamSettled: ctx.upstreamSettled?.() ?? true,
    // New sessions follow the edge weights; the load moves only as established ones end.
    arrival: svc?.type === 'sticky' && layer === 'edge' ? 'gradual' : 'immediate',
    ...(layer === 'cluster' && svc?.userFacing && reading?.share?.edge !== undefined
      ? { sourceEdgeShare: reading.share.edge }
      : {}),
    emergency: ctx.pacing.emergency === true,
    canStartJobs: ctx.permits?.has('jobs.start') === true,
    propagationMs: shift.propagationMs,
    settleMs: durationMs(ctx.pacing.settle),
    preferences: state.preferences ?? [],
    ...(state.health ? { memory: state.health } : {}),
  };
}

/** What makes two holds the same for the event stream: one `shift.step` hold per change of it, not one per poll. */
export function holdKey(decision: Decision): string {
  const h = decision.health;
  const judging = /judging #(\d+)/.exec(decision.reason)?.[1];
  if (h?.diagnosis) return `${h.diagnosis.kind}:${h.resolution?.id ?? `judging ${judging ?? ''}`}`;
  return (decision.reason.split(';')[0] ?? '').replace(/[\d.,]+/g, '#');
}

/**
 * The tables of a route-around: at the edge every PoP's table (all of the sick receiver's traffic can go
 * elsewhere), at the cluster layer the datacenter's own (the traffic moved there). `from` and `to` are requests
 * per second per receiver datacenter.
 */
export function reroutedTables(
  shift: Shift,
  state: ShiftState,
  current: Tables,
  reroute: { readonly from: Readonly<Record<string, number>>; readonly to: Readonly<Record<string, number>> },
  world: World,
): Tables {
  const { layer, ctx } = shift;
  const owned: Tables =
    layer === 'edge' ? current : Object.fromEntries(Object.entries(current).filter(([s]) => s === shift.datacenter));
  const v = volumeNow(state, world) ?? 0;
  const moved = movedShares(state.start, current, layer, shift.datacenter, ctx.fleet);
  const shed: Record<string, number> = {};
  const clusters = clustersOf(ctx.fleet);
  for (const [dc, rps] of Object.entries(reroute.from)) {
    const r = world.receivers.find((x) => x.name === dc);
    const carried = layer === 'edge' ? (r?.load ?? 0) : v * state.progress * (moved[dc] ?? 0);
    const f = carried > 0 ? Math.min(1, rps / carried) : 0;
    if (layer === 'edge') shed[dc] = f;
    else for (const c of clusters.get(dc) ?? []) shed[c] = f;
  }
  const total = Object.values(reroute.to).reduce((a, b) => a + b, 0);
  const to: Record<string, number> = {};
  for (const [dc, rps] of Object.entries(reroute.to)) {
    const f = total > 0 ? rps / total : 0;
    if (layer === 'edge') to[dc] = f;
    else {
      const cls = clusters.get(dc) ?? [];
      for (const c of cls) to[c] = f / cls.length;
    }
  }
  // The datacenter's own destinations keep their weight: a route-around never moves drained traffic back.
  const own = new Set(ownDestinations(layer, shift.datacenter, ctx.fleet));
  for (const d of Object.keys(to)) if (own.has(d)) delete to[d];
  return rerouteTables(owned, shed, to);
}

export const carryOut = {
  /**
   * After a decision: judged resolutions become events and records; a resolution that moves no traffic (start
   * jobs, page, hold) is carried out now. Answers the resolution to announce, if there is one.
   */
  async decided(shift: Shift, decision: Decision, _world: World): Promise<ActedNote | undefined> {
    const { ctx, service, datacenter, layer } = shift;
    const h = decision.health;
    if (!h) return undefined;
    const now = ctx.clock.now();
    for (const j of h.judged) {
      await ctx.emit({
        type: 'regulation',
        time: now,
        runId: ctx.runId,
        taskId: ctx.taskId,
        service,
        datacenter,
        layer,
        action: j.id,
        phase: 'judged',
        symptoms: [],
        diagnosis: j.diagnosis,
        resolver: j.resolver,
        detail: j.text,
        outcome: j.outcome,
      });
      await ctx.resolutions?.record({
        time: now,
        runId: ctx.runId,
        taskId: ctx.taskId,
        service,
        datacenter,
        diagnosis: j.diagnosis,
        resolver: j.resolver,
        outcome: j.outcome,
        detail: j.text,
      });
    }
    const r = h.resolution;
    if (!r || !h.diagnosis) return undefined;
    if (r.startJobsAt)
      for (const dc of r.startJobsAt) await act(ctx, { kind: 'jobs.start', service, datacenter: dc }, { relief: true });
    if (r.page)
      await ctx.emit({
        type: 'alert',
        time: now,
        runId: ctx.runId,
        taskId: ctx.taskId,
        severity: 'critical',
        message: r.page,
      });
    return {
      id: r.id,
      symptoms: h.diagnosis.symptoms.map((s) => s.text),
      diagnosis: r.diagnosis,
      resolver: r.resolver,
      detail: `${r.text}; expects ${r.expect.text}`,
      judgeAt: r.judgeAt,
    };
  },

  /** Announces a resolution once carried out: what was seen, the cause, what it does and what it expects. */
  async announce(shift: Shift, note: ActedNote): Promise<void> {
    const { ctx, service, datacenter, layer } = shift;
    await ctx.emit({
      type: 'regulation',
      time: ctx.clock.now(),
      runId: ctx.runId,
      taskId: ctx.taskId,
      service,
      datacenter,
      layer,
      action: note.id,
      phase: 'acted',
      symptoms: note.symptoms,
      diagnosis: note.diagnosis,
      resolver: note.resolver,
      detail: note.detail,
      judgeAt: note.judgeAt,
    });
  },
};
