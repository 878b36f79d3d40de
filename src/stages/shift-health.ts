/**
 * What a self-regulating traffic shift gives its health manager, and how it carries the manager's decisions out:
 * judged resolutions become `regulation` events and resolver records in the store; a route-around becomes tables;
 * jobs are started; a person is paged; every resolution is announced with what it saw, diagnosed and expects.
 */
import type { Decision } from '../pacing/pacer.js';
import type { CalleeReading, HealthInput, Reroute } from '../pacing/health.js';
import { receiverReading } from '../pacing/pacer.js';
import type { Fleet } from '../model/definitions.js';
import { durationMs } from '../model/duration.js';
import { act } from './stage.js';
import { announceActed, page, recordJudged, type RegulationPlace } from './regulation.js';
import type { ActedNote, Shift, ShiftState, World } from './shift.js';
import { clustersOf, movedShares, ownDestinations, rerouteTables, type Tables } from './weights.js';

/** Requests per second one unit of progress moves now: the volume at the start, scaled by demand since. */
function volumeNow(state: ShiftState, world: World): number | undefined {
  if (state.volume === undefined) return undefined;
  const before = state.volume + state.baseline.reduce((a, r) => a + (r.load ?? 0), 0);
  const now = (world.sourceLoad ?? 0) + world.receivers.reduce((a, r) => a + (r.load ?? 0), 0);
  return before > 0 && now > 0 ? (state.volume * now) / before : state.volume;
}

/**
 * The services `service` calls, directly or through others (rpc and state dependencies), each with the calls per
 * request of `service` along the way; the nearest path counts once.
 */
export function calleesOf(fleet: Fleet, service: string): { readonly service: string; readonly fanout: number }[] {
  const byName = new Map(fleet.spec.services.map((s) => [s.name, s]));
  const out = new Map<string, number>();
  let frontier: [string, number][] = [[service, 1]];
  while (frontier.length > 0) {
    const next: [string, number][] = [];
    for (const [name, f] of frontier)
      for (const dep of byName.get(name)?.dependsOn ?? []) {
        if (dep.kind === 'bootstrap' || dep.service === service || out.has(dep.service)) continue;
        const fanout = f * (dep.fanout ?? 1);
        out.set(dep.service, fanout);
        next.push([dep.service, fanout]);
      }
    frontier = next;
  }
  return [...out].map(([s, fanout]) => ({ service: s, fanout }));
}

/** The callees' readings at the shift's receivers, from the snapshot the shift read. */
export function calleeReadings(shift: Shift, world: World, state?: ShiftState): CalleeReading[] {
  const snap = world.snapshot;
  if (!snap) return [];
  const names = world.receivers.map((r) => r.name);
  return calleesOf(shift.ctx.fleet, shift.service).flatMap((c) => {
    const dcs = snap.services[c.service]?.datacenters ?? {};
    const receivers = names.filter((n) => dcs[n] !== undefined).map((n) => receiverReading(n, dcs[n]!));
    const baseline = state?.calleeBaseline?.find((b) => b.service === c.service)?.receivers;
    return receivers.length > 0 ? [{ ...c, receivers, ...(baseline ? { baseline } : {}) }] : [];
  });
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
    callees: calleeReadings(shift, world, state),
    ...(layer === 'cluster' ? { divertible: divertibleOf(shift, world) } : {}),
    ...(state.diverted
      ? { diverted: Object.fromEntries(Object.entries(state.diverted).map(([dc, d]) => [dc, d.rps])) }
      : {}),
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
 * elsewhere), at the cluster layer the datacenter's own (the traffic moved there) and, for `reroute.own`, the sick
 * receiver's own table (what arrives there goes on to the others' clusters). `from`, `own` and `to` are requests per
 * second per receiver datacenter.
 */
export function reroutedTables(
  shift: Shift,
  state: ShiftState,
  current: Tables,
  reroute: Reroute,
  world: World,
): Tables {
  const { layer, ctx } = shift;
  const owned: Tables =
    layer === 'edge' ? current : Object.fromEntries(Object.entries(current).filter(([s]) => s === shift.datacenter));
  const v = volumeNow(state, world) ?? 0;
  const moved = movedShares(state.start, current, layer, shift.datacenter, ctx.fleet);
  const movedRps = (dc: string): number => v * state.progress * (moved[dc] ?? 0);
  const shed: Record<string, number> = {};
  const clusters = clustersOf(ctx.fleet);
  for (const [dc, rps] of Object.entries(reroute.from)) {
    const r = world.receivers.find((x) => x.name === dc);
    const carried = layer === 'edge' ? (r?.load ?? 0) : movedRps(dc);
    const f = carried > 0 ? Math.min(1, Math.max(0, rps - (reroute.own?.[dc] ?? 0)) / carried) : 0;
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
  const out: Record<string, Readonly<Record<string, number>>> = { ...rerouteTables(owned, shed, to) };
  // A sick receiver's own table: what arrives there and stays (all but what the shift moved there) sheds `own`.
  for (const [dc, rps] of Object.entries(reroute.own ?? {})) {
    const table = current[dc];
    const r = world.receivers.find((x) => x.name === dc);
    const arriving = Math.max(0, (r?.load ?? 0) - movedRps(dc));
    if (!table || arriving <= 0 || layer !== 'cluster') continue;
    const f = Math.min(1, rps / arriving);
    const home = Object.fromEntries((clusters.get(dc) ?? []).map((c) => [c, f]));
    out[dc] = rerouteTables({ [dc]: table }, home, to)[dc]!;
  }
  return out;
}

/**
 * The receivers whose own cluster table the backend has with clusters of the other receivers among its
 * destinations (a cluster-layer route-around may send on what arrives there); none at the edge.
 */
export function divertibleOf(shift: Shift, world: World): string[] {
  if (shift.layer !== 'cluster' || !world.tables) return [];
  const clusters = clustersOf(shift.ctx.fleet);
  const names = world.receivers.map((r) => r.name);
  return names.filter((dc) => {
    const table = world.tables![dc];
    if (!table) return false;
    return names.some((o) => o !== dc && (clusters.get(o) ?? []).some((c) => c in table));
  });
}

export const carryOut = {
  /**
   * After a decision: judged resolutions become events and records; a resolution that moves no traffic (start
   * jobs, page, hold) is carried out now. Answers the resolution to announce, if there is one.
   */
  async decided(shift: Shift, decision: Decision, _world: World): Promise<ActedNote | undefined> {
    const { ctx, service } = shift;
    const h = decision.health;
    if (!h) return undefined;
    await recordJudged(ctx, placeOf(shift), h.judged);
    const r = h.resolution;
    if (!r || !h.diagnosis) return undefined;
    if (r.startJobsAt)
      for (const dc of r.startJobsAt) await act(ctx, { kind: 'jobs.start', service, datacenter: dc }, { relief: true });
    if (r.page) await page(ctx, r.page);
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
    await announceActed(shift.ctx, placeOf(shift), note);
  },
};

const placeOf = (shift: Shift): RegulationPlace => ({
  service: shift.service,
  datacenter: shift.datacenter,
  layer: shift.layer,
});
