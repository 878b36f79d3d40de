/**
 * The service-level order of a plan, derived from the fleet's dependencies:
 * - drain: callers before callees, for RPC and state dependencies (a bootstrap dependency is only needed to start
 *   serving, so it puts no order on a drain);
 * - restore: callees and bootstrap dependencies before their callers.
 * Services in a dependency cycle cannot be ordered among themselves: each cycle (a strongly connected component of
 * more than one service) is a highly connected component moved as one unit, after its parents and before its
 * children. A service that many others depend on directly is also reported as highly connected; the ordinary
 * edges already drain all its parents before it and its children after it.
 */
import type { DependencyLink } from '../model/compiled.js';
import type { Direction, Fleet, Service } from '../model/definitions.js';
import { mapList, objectList } from '../model/shapes.js';
import { stronglyConnectedComponents } from './graph.js';

/** Direct dependents from which a shared service is reported as a highly connected component. */
export const HCC_MIN_DEPENDENTS = 4;

export interface ServiceEdge {
  /** Unit indices: `from` moves before `to`. */
  readonly from: number;
  readonly to: number;
  /** Every dependency behind the edge is weak. */
  readonly weak: boolean;
  /**
   * Why: the dependencies behind the edge, each a chain of links from a service of `from` to one of `to` (one link
   * when they depend on each other directly; more when the order is carried across services the plan does not move).
   */
  readonly because: readonly (readonly DependencyLink[])[];
}

export interface ServiceOrder {
  /** Units of services moved together (a single service, or a dependency cycle), as fleet service indices. */
  readonly units: readonly (readonly number[])[];
  /** Unit of each fleet service. */
  readonly unitOf: readonly number[];
  /** Ordering edges between units that hold services of the plan (order through other services is kept). */
  readonly edges: readonly ServiceEdge[];
  /** Highly connected components: dependency cycles, then widely shared services, by service names. */
  readonly hccs: readonly (readonly string[])[];
}

/**
 * Orders a fleet's services for one direction. `included` marks the services the plan moves; order through the
 * others (not in the plan, or not running in the datacenter) is carried across them transitively.
 */
export function orderServices(fleet: Fleet, direction: Direction, included: readonly boolean[]): ServiceOrder {
  const services = fleet.spec.services;
  const index = new Map(services.map((s, i) => [s.name, i] as const));
  const n = services.length;
  // succ[a] holds b when a must move before b; weakness tracked per pair.
  const succ: number[][] = Array.from({ length: n }, () => []);
  const strong = new Set<number>();
  const seen = new Set<number>();
  /** The dependencies behind each ordered pair `a * n + b`. */
  const linksOf = new Map<number, DependencyLink[]>();
  const add = (a: number, b: number, weak: boolean, link: DependencyLink): void => {
    if (a === b) return;
    const key = a * n + b;
    if (!seen.has(key)) {
      seen.add(key);
      succ[a]!.push(b);
    }
    if (!weak) strong.add(key);
    const links = linksOf.get(key);
    if (links) links.push(link);
    else linksOf.set(key, [link]);
  };
  const dependents = new Array<Set<number>>(n);
  for (const [a, s] of services.entries()) {
    for (const dep of s.dependsOn ?? []) {
      const b = index.get(dep.service);
      if (b === undefined || b === a) continue;
      (dependents[b] ??= new Set()).add(a);
      const weak = dep.weak === true;
      const link: DependencyLink = { caller: s.name, callee: dep.service, kind: dep.kind, weak };
      if (direction === 'drain') {
        if (dep.kind !== 'bootstrap') add(a, b, weak, link);
      } else {
        add(b, a, weak, link);
      }
    }
  }

  const components = stronglyConnectedComponents(n, succ);
  const unitOf = new Array<number>(n).fill(0);
  // Tarjan emits sinks first; reverse so that units come out in an order compatible with the edges.
  const units = components.reverse();
  units.forEach((members, u) => {
    for (const m of members) unitOf[m] = u;
  });

  const unitIncluded = units.map((members) => members.some((m) => included[m]));
  interface UnitEdge {
    weak: boolean;
    readonly links: DependencyLink[];
  }
  const unitSucc: Map<number, UnitEdge>[] = units.map(() => new Map<number, UnitEdge>());
  for (let a = 0; a < n; a++) {
    for (const b of succ[a]!) {
      const ua = unitOf[a]!,
        ub = unitOf[b]!;
      if (ua === ub) continue;
      const weak = !strong.has(a * n + b);
      const links = linksOf.get(a * n + b) ?? [];
      const prev = unitSucc[ua]!.get(ub);
      if (prev) {
        prev.weak &&= weak;
        prev.links.push(...links);
      } else unitSucc[ua]!.set(ub, { weak, links: [...links] });
    }
  }

  // Carry the order across units the plan does not move: a → (excluded …) → b becomes a → b.
  const edges: ServiceEdge[] = [];
  for (let u = 0; u < units.length; u++) {
    if (!unitIncluded[u]) continue;
    const reached = new Map<number, { weak: boolean; because: DependencyLink[][] }>();
    // Each entry: the unit reached, whether the way there is weak, and the links along it (the first of each hop).
    // The lists are of one kind of array however this runs (see mapList): the loop below and the plan's compiler
    // read them.
    const stack = objectList<[number, boolean, DependencyLink[]]>();
    for (const [v, e] of unitSucc[u]!) stack.push([v, e.weak, objectList()]);
    const visited = new Map<number, boolean>();
    const direct = unitSucc[u]!;
    while (stack.length > 0) {
      const [v, weak, via] = stack.pop()!;
      const before = visited.get(v);
      // Revisit only when this path is stronger than the one seen before.
      if (before !== undefined && (before === false || weak)) continue;
      visited.set(v, weak);
      if (unitIncluded[v]) {
        const prev = reached.get(v);
        // A direct edge is explained by every dependency behind it; a carried one by the way it was found.
        const because = via.length === 0 ? mapList(direct.get(v)?.links ?? [], (l) => [l]) : [via];
        if (prev) {
          prev.weak &&= weak;
          if (via.length === 0) prev.because.unshift(...because);
        } else reached.set(v, { weak, because });
        continue;
      }
      const into = via.length === 0 ? direct.get(v)?.links[0] : undefined;
      const lead = into ? [into] : via;
      for (const [x, e] of unitSucc[v]!) stack.push([x, weak || e.weak, [...lead, ...e.links.slice(0, 1)]]);
    }
    for (const [v, r] of reached) edges.push({ from: u, to: v, weak: r.weak, because: r.because });
  }

  const hccs: string[][] = [];
  for (const members of units) if (members.length > 1) hccs.push(members.map((m) => services[m]!.name).sort());
  for (let s = 0; s < n; s++) {
    if (units[unitOf[s]!]!.length === 1 && (dependents[s]?.size ?? 0) >= HCC_MIN_DEPENDENTS)
      hccs.push([services[s]!.name]);
  }
  return { units, unitOf, edges, hccs };
}

/** Priority class among ready tasks: user-facing 0, sticky 1, replication 2, stateful 3, other 4. */
export function priorityOf(service: Service): number {
  if (service.userFacing) return 0;
  switch (service.type) {
    case 'sticky':
      return 1;
    case 'replication':
      return 2;
    case 'stateful':
      return 3;
    case 'stateless':
      return 4;
  }
}

/** Whether a service has anything to move in the datacenter. */
export function runsIn(service: Service, datacenter: string): boolean {
  return (
    (service.capacity[datacenter] ?? 0) > 0 ||
    service.stateful?.primary === datacenter ||
    service.replication?.source === datacenter
  );
}
