/**
 * Pre-flight capacity check: before a datacenter is drained, can the others absorb each service's peak load at the
 * plan's target utilisation? Loads are peak figures derived from the fleet definition alone (no readings), so the
 * check can run at plan time; the engine checks again against live readings before each shift.
 */
import type { Fleet, Plan, Service } from '../model/definitions.js';
import type { Preflight, PreflightService } from '../model/compiled.js';
import { stronglyConnectedComponents } from './graph.js';

/** Peak requests per second of every service in every datacenter where it runs. */
export type PeakLoads = ReadonlyMap<string, Readonly<Record<string, number>>>;

const EPSILON = 1e-9;

function capacityOf(service: Service, dc: string): number {
  const c = service.capacity[dc];
  return c !== undefined && c > 0 ? c : 0;
}

/** Splits `amount` over the datacenters where the service runs, in proportion to `weightOf`. */
function spread(
  service: Service,
  amount: number,
  weightOf: (dc: string) => number,
  into: Record<string, number>,
): void {
  const dcs = Object.keys(service.capacity).filter((dc) => capacityOf(service, dc) > 0);
  const total = dcs.reduce((s, dc) => s + weightOf(dc), 0);
  if (total <= 0) return;
  for (const dc of dcs) into[dc] = (into[dc] ?? 0) + (amount * weightOf(dc)) / total;
}

/**
 * Peak load per service and datacenter, with the fleet's default weights:
 * - a user-facing service's `demand` enters at the PoPs by their shares and goes to datacenters by the PoPs'
 *   edge weights (renormalised over the datacenters where the service runs);
 * - an internal service with its own `demand` gets it spread by capacity;
 * - every service adds the calls of its RPC and state callers (load × fan-out), served locally when it runs in the
 *   caller's datacenter and spread by capacity over its datacenters otherwise. Bootstrap dependencies add no load.
 * Calls inside a dependency cycle are counted once, in an arbitrary but fixed order.
 */
export function peakLoads(fleet: Fleet): PeakLoads {
  const services = fleet.spec.services;
  const index = new Map(services.map((s, i) => [s.name, i] as const));
  const loads: Record<string, number>[] = services.map(() => ({}));
  // Edges caller → callee, for the order in which loads are known.
  const succ: number[][] = services.map((s) =>
    (s.dependsOn ?? [])
      .filter((d) => d.kind !== 'bootstrap')
      .map((d) => index.get(d.service))
      .filter((i): i is number => i !== undefined),
  );

  for (const [i, s] of services.entries()) {
    const own = loads[i]!;
    const demand = s.demand ?? 0;
    if (demand <= 0) continue;
    if (s.userFacing) {
      for (const pop of fleet.spec.pops) {
        const weightOf = (dc: string): number => pop.weights[dc] ?? 0;
        spread(s, demand * pop.share, weightOf, own);
      }
    } else {
      spread(s, demand, (dc) => capacityOf(s, dc), own);
    }
  }

  // Tarjan emits components callees first; walking them backwards visits every caller before its callees.
  const components = stronglyConnectedComponents(services.length, succ);
  for (let c = components.length - 1; c >= 0; c--) {
    for (const i of components[c]!) {
      const caller = services[i]!;
      const from = loads[i]!;
      for (const dep of caller.dependsOn ?? []) {
        if (dep.kind === 'bootstrap') continue;
        const j = index.get(dep.service);
        if (j === undefined) continue;
        const callee = services[j]!;
        const to = loads[j]!;
        const fanout = dep.fanout ?? 1;
        for (const [dc, load] of Object.entries(from)) {
          const calls = load * fanout;
          if (calls <= 0) continue;
          if (capacityOf(callee, dc) > 0) to[dc] = (to[dc] ?? 0) + calls;
          else spread(callee, calls, (d) => capacityOf(callee, d), to);
        }
      }
    }
  }
  return new Map(services.map((s, i) => [s.name, loads[i]!] as const));
}

/** The check for one service leaving (drain) or coming back to (restore) a datacenter. */
export function checkService(service: Service, loads: Readonly<Record<string, number>>, plan: Plan): PreflightService {
  const { datacenter, direction } = plan.spec;
  const target = plan.spec.pacing.targetUtilization;
  const load = loads[datacenter] ?? 0;
  const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;
  if (direction === 'restore') {
    // The datacenter comes back: check that it can carry its usual share at the target utilisation.
    const capacity = capacityOf(service, datacenter);
    const headroom = capacity * target;
    const utilizationAfter = capacity > 0 ? load / capacity : 0;
    const ok = load <= headroom + EPSILON;
    return ok
      ? { service: service.name, load, headroom, utilizationAfter, ok }
      : {
          service: service.name,
          load,
          headroom,
          utilizationAfter,
          ok,
          reason: `${datacenter} would run at ${pct(utilizationAfter)} at peak, above the target ${pct(target)}`,
        };
  }
  const receivers = Object.keys(service.capacity).filter((dc) => dc !== datacenter && capacityOf(service, dc) > 0);
  const headroomOf = (dc: string): number => Math.max(0, capacityOf(service, dc) * target - (loads[dc] ?? 0));
  const headroom = receivers.reduce((s, dc) => s + headroomOf(dc), 0);
  if (load <= EPSILON) {
    const utilizationAfter = receivers.reduce((m, dc) => Math.max(m, (loads[dc] ?? 0) / capacityOf(service, dc)), 0);
    return { service: service.name, load: 0, headroom, utilizationAfter, ok: true };
  }
  if (receivers.length === 0) {
    return {
      service: service.name,
      load,
      headroom: 0,
      utilizationAfter: null,
      ok: false,
      reason: `no other datacenter runs ${service.name}`,
    };
  }
  if (headroom <= EPSILON) {
    const utilizationAfter = receivers.reduce(
      (m, dc) => Math.max(m, ((loads[dc] ?? 0) + load / receivers.length) / capacityOf(service, dc)),
      0,
    );
    return {
      service: service.name,
      load,
      headroom: 0,
      utilizationAfter,
      ok: false,
      reason: `needs ${Math.round(load)} req/s moved, and the other datacenters have no headroom at ${pct(target)}`,
    };
  }
  // Moved load goes where the headroom is, as the engine sends it.
  let utilizationAfter = 0;
  for (const dc of receivers) {
    const share = headroomOf(dc) / headroom;
    utilizationAfter = Math.max(utilizationAfter, ((loads[dc] ?? 0) + load * share) / capacityOf(service, dc));
  }
  const ok = load <= headroom * (1 + EPSILON);
  return ok
    ? { service: service.name, load, headroom, utilizationAfter, ok }
    : {
        service: service.name,
        load,
        headroom,
        utilizationAfter,
        ok,
        reason:
          `needs ${Math.round(load)} req/s moved, ` +
          `the other datacenters have ${Math.round(headroom)} req/s of headroom at ${pct(target)}`,
      };
}

/** The pre-flight check of a plan over the services it moves. */
export function preflight(
  fleet: Fleet,
  plan: Plan,
  services: readonly Service[],
  loads: PeakLoads = peakLoads(fleet),
): Preflight {
  const results = services.map((s) => checkService(s, loads.get(s.name) ?? {}, plan));
  return { ok: results.every((r) => r.ok), targetUtilization: plan.spec.pacing.targetUtilization, services: results };
}
