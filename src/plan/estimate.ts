/**
 * What is left to move when a task starts, for the estimate. A drain moves callers before callees, so by the time a
 * callee's shift starts the callers in the datacenter have gone and so have their calls: its shift is one final
 * step, not a paced sequence. The estimate that ignored this (every shift at full length) was far longer than the
 * runs it was meant to predict; this one follows the plan's own order.
 */
import type { Fleet, Service } from '../model/definitions.js';
import type { PeakLoads } from './preflight.js';
import type { ServiceEdge } from './services.js';

/** A set of unit indices, one bit each. */
type Bits = Uint32Array;

function has(bits: Bits, i: number): boolean {
  return ((bits[i >>> 5] ?? 0) & (1 << (i & 31))) !== 0;
}

/**
 * For every unit, the units all of whose tasks are done before any of its own start (its ancestors along the
 * plan's service edges).
 */
export function unitAncestors(unitCount: number, edges: readonly ServiceEdge[]): Bits[] {
  const words = (unitCount + 31) >>> 5;
  const out = Array.from({ length: unitCount }, () => new Uint32Array(words));
  const succ: number[][] = Array.from({ length: unitCount }, () => []);
  const indegree = new Array<number>(unitCount).fill(0);
  for (const e of edges) {
    succ[e.from]!.push(e.to);
    indegree[e.to]!++;
  }
  const queue = indegree.flatMap((d, u) => (d === 0 ? [u] : []));
  while (queue.length > 0) {
    const u = queue.pop()!;
    const mine = out[u]!;
    for (const v of succ[u]!) {
      const theirs = out[v]!;
      for (let w = 0; w < words; w++) theirs[w]! |= mine[w]!;
      theirs[u >>> 5]! |= 1 << (u & 31);
      if (--indegree[v]! === 0) queue.push(v);
    }
  }
  return out;
}

/** What a drain of `datacenter` leaves of each service's traffic there, as its tasks start. */
export interface TrafficLeft {
  /** Whether the service has user traffic entering through the PoPs into the datacenter (an edge share to move). */
  edge(service: Service): boolean;
  /**
   * Whether the service still carries load in the datacenter when a task of it starts: its own demand (unless its
   * edge share has already moved), or calls from callers that have not left before it.
   */
  cluster(service: Service, edgeGone: boolean): { left: boolean; why?: string };
}

/**
 * A service's capacity in a datacenter, never below 0. At module level rather than made in each `trafficLeft`: a
 * function made per call is compiled again in later calls once the last one made is gone.
 */
function capacity(s: Service, d: string): number {
  return Math.max(0, s.capacity[d] ?? 0);
}

export function trafficLeft(options: {
  readonly fleet: Fleet;
  readonly datacenter: string;
  readonly loads: PeakLoads;
  /** Unit of each fleet service, by name. */
  readonly unitOf: ReadonlyMap<string, number>;
  readonly ancestors: readonly Bits[];
}): TrafficLeft {
  const { fleet, datacenter: dc, loads, unitOf, ancestors } = options;
  const callersOf = new Map<string, { caller: Service; fanout: number }[]>();
  for (const caller of fleet.spec.services)
    for (const dep of caller.dependsOn ?? []) {
      if (dep.kind === 'bootstrap') continue;
      const list = callersOf.get(dep.service) ?? [];
      list.push({ caller, fanout: dep.fanout ?? 1 });
      callersOf.set(dep.service, list);
    }
  const edge = (s: Service): boolean =>
    s.userFacing === true &&
    (s.demand ?? 0) > 0 &&
    fleet.spec.pops.some((p) => (p.weights[dc] ?? 0) > 0 && p.share > 0) &&
    capacity(s, dc) > 0;
  return {
    edge,
    cluster(s, edgeGone) {
      if (edge(s) && !edgeGone) return { left: true };
      if (!s.userFacing && (s.demand ?? 0) > 0) return { left: true };
      const unit = unitOf.get(s.name);
      const before = unit === undefined ? undefined : ancestors[unit];
      const gone: string[] = [];
      for (const { caller, fanout } of callersOf.get(s.name) ?? []) {
        if (fanout <= 0) continue;
        const callerLoads = loads.get(caller.name) ?? {};
        // Callers elsewhere, where the service does not run, spread their calls over every datacenter it runs in.
        const spreads = Object.entries(callerLoads).some(([d, load]) => load > 0 && d !== dc && capacity(s, d) <= 0);
        if (spreads && capacity(s, dc) > 0) return { left: true };
        if ((callerLoads[dc] ?? 0) <= 0 || capacity(caller, dc) <= 0) continue;
        const callerUnit = unitOf.get(caller.name);
        const departed = before !== undefined && callerUnit !== undefined && has(before, callerUnit);
        if (!departed) return { left: true };
        gone.push(caller.name);
      }
      const reasons = [
        ...(edge(s) ? [`its own traffic has left ${dc} at the edge`] : []),
        ...(gone.length > 0 ? [`its callers (${gone.join(', ')}) have left ${dc} before it`] : []),
      ];
      const why =
        reasons.length > 0
          ? `nothing left to move when it starts: ${reasons.join(', and ')}`
          : `nothing to move: it carries no load in ${dc}`;
      return { left: false, why };
    },
  };
}
