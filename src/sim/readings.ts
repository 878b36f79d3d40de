/** What the world shows: health readings per service and datacenter, p99 latency down the call graph, the truth. */
import type { DatacenterReading, FleetSnapshot, ServiceReading } from '../model/readings.js';
import { CROSS_DC_RTT_S } from './constants.js';
import { isActive } from './faults.js';
import type { WorldState } from './state.js';

/**
 * p99 latency per service × datacenter: the slowest cluster serving there, plus the slowest dependency as called
 * from there (through that datacenter's cluster table, with a round trip for every call that leaves it). The array
 * is the state's own, overwritten by the next call: read it at once.
 */
export function latencies(st: WorldState): Float64Array {
  const { D, C, S, world } = st;
  const own = st.latencyOwn;
  const full = st.latencyFull;
  full.fill(0); // a callee across a dependency cycle's back edge is read before it is computed: as 0
  for (let s = 0; s < S; s++) {
    for (let d = 0; d < D; d++) {
      let worst = 0;
      const cls = world.dcClusters[d]!;
      for (let k = 0; k < cls.length; k++) worst = Math.max(worst, st.ownLatency[s * C + cls[k]!]!);
      own[s * D + d] = worst;
    }
  }
  const order = world.order;
  for (let k = S - 1; k >= 0; k--) {
    const s = order[k]!;
    const svc = world.services[s]!;
    for (let d = 0; d < D; d++) {
      let slowest = 0;
      for (const callee of svc.callees) {
        if (callee.fanout === 0) continue;
        const t = callee.service;
        const tsvc = world.services[t]!;
        let lat = 0;
        if (tsvc.deployed[d]) {
          const ro = (t * D + d) * C;
          for (let i = ro; i < ro + st.routeLen[t * D + d]!; i++) {
            const e = world.clusterDc[st.routeCl[i]!]!;
            lat += st.routeFr[i]! * (full[t * D + e]! + (e !== d ? CROSS_DC_RTT_S : 0));
          }
        } else {
          let total = 0;
          for (let e = 0; e < D; e++) if (tsvc.deployed[e] && !st.lost[e]) total += tsvc.capacity[e]!;
          for (let e = 0; e < D; e++) {
            if (total > 0 && tsvc.deployed[e] && !st.lost[e])
              lat += (tsvc.capacity[e]! / total) * (full[t * D + e]! + CROSS_DC_RTT_S);
          }
        }
        if (lat > slowest) slowest = lat;
      }
      full[s * D + d] = own[s * D + d]! + slowest;
    }
  }
  return full;
}

/** Whether a metrics-missing fault hides the service's readings in the datacenter (d = -1: fleet-wide figures). */
export function metricsMissing(st: WorldState, s: number, d: number, t: number): boolean {
  const faults = st.faults;
  for (let i = 0; i < faults.length; i++) {
    const f = faults[i]!;
    if (f.kind !== 'metrics-missing' || !isActive(f, t)) continue;
    if ((f.service < 0 || f.service === s) && (f.dc < 0 || d < 0 || f.dc === d)) return true;
  }
  return false;
}

/**
 * A reading whose figures a metrics-missing fault hides. Every reading the simulator builds has every key, in one
 * order (absent figures undefined, which JSON drops): the stages, pacers and conditions read them in hot code, and
 * readings of one shape keep that code optimised.
 */
function hiddenReading(): DatacenterReading {
  return {
    load: undefined,
    capacity: undefined,
    traffic: undefined,
    errorRate: undefined,
    share: undefined,
    utilization: undefined,
    latencyP99: undefined,
    sessions: undefined,
    replicationLag: undefined,
    shards: undefined,
    sampledAt: undefined,
  };
}

export function snapshot(st: WorldState): FleetSnapshot {
  const { D, world } = st;
  const lat = latencies(st);
  const services: Record<string, ServiceReading> = {};
  for (const svc of world.services) {
    const s = svc.index;
    const base = s * D;
    let totalLoad = 0,
      offered = st.unrouted[s]!,
      failed = st.unrouted[s]!;
    for (let d = 0; d < D; d++) {
      totalLoad += st.load[base + d]!;
      offered += st.offered[base + d]!;
      failed += st.failed[base + d]!;
    }
    const datacenters: Record<string, DatacenterReading> = {};
    for (let d = 0; d < D; d++) {
      const j = base + d;
      if (!svc.deployed[d] && st.offered[j] === 0) continue;
      const name = world.datacenters[d]!;
      if (metricsMissing(st, s, d, st.time)) {
        datacenters[name] = hiddenReading();
        continue;
      }
      const cap = st.capacity[j]!;
      const off = st.offered[j]!;
      const clusterShare = totalLoad > 0 ? st.load[j]! / totalLoad : 0;
      // A datacenter with no capacity (lost, or every job stopped) has no utilisation or latency to read.
      datacenters[name] = {
        load: off,
        capacity: cap,
        traffic: st.served[j]!,
        errorRate: off > 0 ? Math.min(1, st.failed[j]! / off) : 0,
        // Two literals rather than a spread: the same keys in the same order, without a temporary object.
        share: svc.userFacing ? { edge: st.edgeShare[j]!, cluster: clusterShare } : { cluster: clusterShare },
        utilization: cap > 0 ? st.effLoad[j]! / cap : off === 0 ? 0 : undefined,
        latencyP99: cap > 0 ? lat[j]! : undefined,
        sessions: svc.type === 'sticky' ? st.sessions[j]! : undefined,
        replicationLag: svc.type === 'replication' || svc.type === 'stateful' ? st.lag[j]! : undefined,
        shards: svc.shards > 0 ? st.shards[j]! : undefined,
        sampledAt: undefined,
      };
    }
    services[svc.name] = {
      datacenters,
      errorRate: metricsMissing(st, s, -1, st.time) ? undefined : offered > 0 ? Math.min(1, failed / offered) : 0,
      replicationSource:
        svc.type === 'replication' && st.replicationSource[s]! >= 0
          ? world.datacenters[st.replicationSource[s]!]!
          : undefined,
      primary: svc.type === 'stateful' && st.primary[s]! >= 0 ? world.datacenters[st.primary[s]!]! : undefined,
    };
  }
  return { time: st.time, services };
}

/** True capacity (after faults and jobs) and the load sent to each datacenter, for the oracle pacer. */
export function truth(st: WorldState, s: number): { capacity: Record<string, number>; load: Record<string, number> } {
  const capacity: Record<string, number> = {};
  const load: Record<string, number> = {};
  const svc = st.world.services[s]!;
  for (let d = 0; d < st.D; d++) {
    if (!svc.deployed[d]) continue;
    const name = st.world.datacenters[d]!;
    capacity[name] = st.capacity[s * st.D + d]!;
    load[name] = st.offered[s * st.D + d]!;
  }
  return { capacity, load };
}
