/**
 * One step of the model: demand enters at the PoPs, is routed by the effective edge weights to datacenters and by
 * cluster weights to clusters, is served up to capacity (the excess queues briefly, then fails), and what is served
 * calls its dependencies in the same datacenter. Services are visited callers first, so one tick carries a request
 * down the whole call graph.
 */
import {
  BASE_LATENCY_S,
  CATCH_UP_FACTOR,
  COLD_FACTOR,
  CONNECT_COST,
  QUEUE_TIMEOUT_S,
  SESSION_RPS,
  STREAM_FRACTION,
  TICK_MS,
  WARM_SLACK,
  NOISE_TAU_S,
  WARM_TAU_S,
  WRITE_FRACTION,
  BASE_LAG_S,
  SHARD_UNITS,
} from './constants.js';
import { gaussian } from './demand.js';
import { applyDue } from './schedule.js';
import type { WorldState } from './state.js';

const DT = TICK_MS / 1000;
const NOISE_RHO = Math.exp(-DT / NOISE_TAU_S);
const NOISE_INNOVATION = Math.sqrt(1 - NOISE_RHO * NOISE_RHO);

/** Scratch arrays, per datacenter count, reused across ticks. */
const scratch = new Map<number, { edge: Float64Array; rpc: Float64Array; dist: Float64Array }>();

export function tick(st: WorldState): void {
  const T = st.time + TICK_MS;
  applyDue(st, T);
  const { S, D } = st;
  let sc = scratch.get(D);
  if (!sc) {
    sc = { edge: new Float64Array(D), rpc: new Float64Array(D), dist: new Float64Array(D) };
    scratch.set(D, sc);
  }
  const f = st.curve.factor(T);
  st.inbound.fill(0);
  st.crossRpcRate = 0;
  const order = st.world.order;
  for (let k = 0; k < S; k++) flowService(st, order[k]!, f, sc.edge, sc.rpc, sc.dist);
  replicate(st);
  moveShards(st);
  for (let d = 0; d < D; d++) {
    const cap = Math.min(st.linkCapacity[d]!, st.backboneCap[d]!);
    const inb = st.inbound[d]!;
    // Links are judged on this tick's demand and throttle the next tick: a one-tick lag, no oscillation in practice.
    st.passFraction[d] = inb > cap ? cap / inb : 1;
    st.backboneTotal[d] = st.backboneTotal[d]! + Math.min(inb, cap) * DT;
  }
  st.crossRpcTotal += st.crossRpcRate * DT;
  st.time = T;
  st.tickNo++;
}

function flowService(
  st: WorldState,
  s: number,
  f: number,
  edge: Float64Array,
  rpc: Float64Array,
  dist: Float64Array,
): void {
  // Locals for the arrays touched per tick: keeps the hot loops free of property loads.
  const {
    offered: a_offered,
    failed: a_failed,
    load: a_load,
    served: a_served,
    effLoad: a_effLoad,
    inflight: a_inflight,
    rpcIn: a_rpcIn,
    clusterLoad: a_clusterLoad,
    inbound: a_inbound,
    passFraction: a_passFraction,
    lost: a_lost,
    capFraction: a_capFraction,
    warm: a_warm,
    backlog: a_backlog,
    jobFactor: a_jobFactor,
    ownLatency: a_ownLatency,
    capacity: a_capacity,
    overloadSeconds: a_overloadSeconds,
    maxUtilization: a_maxUtilization,
    routeCl: a_routeCl,
    routeFr: a_routeFr,
    routeLen: a_routeLen,
    nominal: a_nominal,
    deployed: a_deployed,
    edgeFrac: a_edgeFrac,
    edgeShare: a_edgeShare,
  } = st;
  const { D, C, P, world } = st;
  const svc = world.services[s]!;
  const base = s * D;
  let offered = 0;
  let failedCount = 0;
  edge.fill(0);
  for (let d = 0; d < D; d++) {
    rpc[d] = a_rpcIn[base + d]!;
    a_rpcIn[base + d] = 0;
    a_load[base + d] = 0;
    a_served[base + d] = 0;
    a_failed[base + d] = 0;
    a_effLoad[base + d] = 0;
    a_inflight[base + d] = 0;
    a_offered[base + d] = 0;
  }
  st.unrouted[s] = 0;

  // ---- user demand at the edge
  if (svc.userFacing) {
    let noise = 1;
    if (st.curve.noise > 0) {
      // AR(1): keeps a unit variance while correlating over NOISE_TAU_S, so readings wander rather than flicker.
      const n = NOISE_RHO * st.noiseState[s]! + NOISE_INNOVATION * gaussian(st.seed, s, st.tickNo);
      st.noiseState[s] = n;
      noise = Math.max(0, 1 + st.curve.noise * n);
    }
    const dem = svc.demand * f * noise;
    st.demand[s] = dem;
    dist.fill(0);
    let routedShare = 0;
    for (let p = 0; p < P; p++) {
      const share = world.popShare[p]!;
      const row = (s * P + p) * D;
      let rowSum = 0;
      for (let d = 0; d < D; d++) {
        const fr = a_edgeFrac[row + d]!;
        dist[d] = dist[d]! + share * fr;
        rowSum += fr;
      }
      if (rowSum > 0) routedShare += share;
    }
    let popTotal = 0;
    for (let p = 0; p < P; p++) popTotal += world.popShare[p]!;
    for (let d = 0; d < D; d++) a_edgeShare[base + d] = routedShare > 0 ? dist[d]! / routedShare : 0;
    if (svc.type === 'sticky') {
      stickySessions(st, s, dem, dist, edge, popTotal - routedShare);
    } else {
      for (let d = 0; d < D; d++) edge[d] = dem * dist[d]!;
      const lostDemand = dem * (popTotal - routedShare);
      if (lostDemand > 0) {
        st.unrouted[s] = lostDemand;
        failedCount += lostDemand;
        offered += lostDemand;
      }
    }
  }

  // ---- stateful writes go to the primary
  if (svc.type === 'stateful' && st.primary[s]! >= 0) {
    const pm = st.primary[s]!;
    const promo = st.promotions.get(s);
    const outage = promo !== undefined && st.time + TICK_MS > promo.catchUpEnd;
    for (let d = 0; d < D; d++) {
      const wr = rpc[d]! * WRITE_FRACTION;
      if (wr === 0 || pm === d) continue;
      rpc[d] = rpc[d]! - wr;
      offered += wr;
      if (outage || a_lost[pm]) {
        failedCount += wr;
        a_failed[base + d] = a_failed[base + d]! + wr;
        a_offered[base + d] = a_offered[base + d]! + wr;
        continue;
      }
      st.crossRpcRate += wr;
      a_inbound[pm] = a_inbound[pm]! + wr;
      const pass = wr * a_passFraction[pm]!;
      failedCount += wr - pass;
      a_failed[base + pm] = a_failed[base + pm]! + (wr - pass);
      a_offered[base + pm] = a_offered[base + pm]! + (wr - pass);
      rpc[pm] = rpc[pm]! + pass;
      offered -= pass; // counted again below as an arrival at the primary
    }
    if (outage) {
      for (let d = 0; d < D; d++) {
        if (d !== pm) continue;
        const wr = rpc[d]! * WRITE_FRACTION;
        rpc[d] = rpc[d]! - wr;
        offered += wr;
        failedCount += wr;
        a_failed[base + d] = a_failed[base + d]! + wr;
        a_offered[base + d] = a_offered[base + d]! + wr;
      }
    }
  }

  // ---- from each datacenter where requests arrive, to clusters
  for (let d = 0; d < D; d++) {
    const e = edge[d]!;
    const r = rpc[d]!;
    if (e === 0 && r === 0) continue;
    offered += e + r;
    let src = r;
    if (e > 0) {
      a_inbound[d] = a_inbound[d]! + e;
      const pass = a_lost[d] ? 0 : e * a_passFraction[d]!;
      if (e > pass) {
        failedCount += e - pass;
        a_failed[base + d] = a_failed[base + d]! + e - pass;
        a_offered[base + d] = a_offered[base + d]! + e - pass;
      }
      src += pass;
    }
    if (src === 0) continue;
    if (a_lost[d]) {
      failedCount += src;
      a_failed[base + d] = a_failed[base + d]! + src;
      a_offered[base + d] = a_offered[base + d]! + src;
      continue;
    }
    const rpcPart = src > 0 ? r / src : 0;
    if (a_deployed[base + d]) {
      const ro = (base + d) * C;
      const n = a_routeLen[base + d]!;
      if (n === 0) {
        failedCount += src;
        a_failed[base + d] = a_failed[base + d]! + src;
        a_offered[base + d] = a_offered[base + d]! + src;
        continue;
      }
      for (let k = ro; k < ro + n; k++) {
        const c = a_routeCl[k]!;
        const flow = src * a_routeFr[k]!;
        const to = world.clusterDc[c]!;
        let pass = flow;
        if (to !== d) {
          a_inbound[to] = a_inbound[to]! + flow;
          st.crossRpcRate += flow * rpcPart;
          pass = a_lost[to] ? 0 : flow * a_passFraction[to]!;
          if (flow > pass) {
            failedCount += flow - pass;
            a_failed[base + to] = a_failed[base + to]! + flow - pass;
          }
        }
        a_offered[base + to] = a_offered[base + to]! + flow;
        a_clusterLoad[s * C + c] = a_clusterLoad[s * C + c]! + pass;
      }
    } else {
      // The service does not run here: the call goes to the datacenters that run it, in proportion to capacity,
      // and on through that datacenter's cluster table (so a drained datacenter forwards it again).
      let total = 0;
      for (let to = 0; to < D; to++)
        if (a_deployed[base + to] && !a_lost[to]) total += a_nominal[base + to]! * a_capFraction[base + to]!;
      if (total === 0) {
        failedCount += src;
        a_failed[base + d] = a_failed[base + d]! + src;
        a_offered[base + d] = a_offered[base + d]! + src;
        continue;
      }
      for (let to = 0; to < D; to++) {
        if (!a_deployed[base + to] || a_lost[to]) continue;
        const flow = (src * a_nominal[base + to]! * a_capFraction[base + to]!) / total;
        if (flow === 0) continue;
        a_inbound[to] = a_inbound[to]! + flow;
        st.crossRpcRate += flow * rpcPart;
        const pass = flow * a_passFraction[to]!;
        if (flow > pass) {
          failedCount += flow - pass;
          a_failed[base + to] = a_failed[base + to]! + flow - pass;
          a_offered[base + to] = a_offered[base + to]! + flow - pass;
        }
        const ro = (base + to) * C;
        const n = a_routeLen[base + to]!;
        if (n === 0) {
          failedCount += pass;
          a_failed[base + to] = a_failed[base + to]! + pass;
          a_offered[base + to] = a_offered[base + to]! + pass;
          continue;
        }
        for (let k = ro; k < ro + n; k++) {
          const c = a_routeCl[k]!;
          const f2 = pass * a_routeFr[k]!;
          const e2 = world.clusterDc[c]!;
          let p2 = f2;
          if (e2 !== to) {
            a_inbound[e2] = a_inbound[e2]! + f2;
            st.crossRpcRate += f2 * rpcPart;
            p2 = a_lost[e2] ? 0 : f2 * a_passFraction[e2]!;
            if (f2 > p2) {
              failedCount += f2 - p2;
              a_failed[base + e2] = a_failed[base + e2]! + f2 - p2;
            }
          }
          a_offered[base + e2] = a_offered[base + e2]! + f2;
          a_clusterLoad[s * C + c] = a_clusterLoad[s * C + c]! + p2;
        }
      }
    }
  }

  // ---- serve in each cluster
  let servedCount = 0;
  for (let d = 0; d < D; d++) {
    if (!a_deployed[base + d]) continue;
    const cls = world.dcClusters[d]!;
    const kDc = a_lost[d] ? 0 : (a_nominal[base + d]! * a_capFraction[base + d]!) / cls.length;
    let load = 0,
      served = 0,
      failed = 0,
      eff = 0,
      cap = 0,
      inflight = 0;
    for (const c of cls) {
      const i = s * C + c;
      const L = a_clusterLoad[i]!;
      a_clusterLoad[i] = 0;
      const K = kDc * a_jobFactor[i]!;
      const w = st.priming ? L : a_warm[i]!;
      const cold = L > WARM_SLACK * w ? L - WARM_SLACK * w : 0;
      const E = L + (COLD_FACTOR - 1) * cold;
      a_warm[i] = w + (L - w) * (DT / WARM_TAU_S);
      const cost = L > 0 ? E / L : 1;
      const work = a_backlog[i]! + L * DT;
      const rate = K / cost;
      const srv = Math.min(work, rate * DT);
      const rem = work - srv;
      const limit = rate * QUEUE_TIMEOUT_S;
      const fl = rem > limit ? rem - limit : 0;
      const bl = rem - fl;
      a_backlog[i] = bl;
      const rho = K > 0 ? E / K : 0;
      const r4 = rho * rho * rho * rho;
      a_ownLatency[i] =
        K > 0 ? BASE_LATENCY_S * (1 + (2 * r4) / (1 - Math.min(rho, 0.95))) + (rate > 0 ? bl / rate : 0) : 0;
      load += L;
      served += srv;
      failed += fl;
      eff += E;
      cap += K;
      inflight += bl;
    }
    const j = base + d;
    a_load[j] = load;
    a_served[j] = served / DT;
    a_failed[j] = a_failed[j]! + failed / DT;
    a_effLoad[j] = eff;
    a_capacity[j] = cap;
    a_inflight[j] = inflight;
    servedCount += served;
    failedCount += failed;
    const util = cap > 0 ? eff / cap : load > 0 ? Number.POSITIVE_INFINITY : 0;
    if (util > 1) a_overloadSeconds[j] = a_overloadSeconds[j]! + DT;
    if (util > a_maxUtilization[j]! && Number.isFinite(util)) a_maxUtilization[j] = util;
  }

  // ---- what is served calls its dependencies from the same datacenter
  for (const callee of svc.callees) {
    const cb = callee.service * D;
    for (let d = 0; d < D; d++) {
      const srv = a_served[base + d]!;
      if (srv > 0) a_rpcIn[cb + d] = a_rpcIn[cb + d]! + srv * callee.fanout;
    }
  }
  if (svc.type === 'sticky' && !svc.userFacing) internalSessions(st, s);

  st.offeredByService[s] = st.offeredByService[s]! + offered * DT;
  st.failedByService[s] = st.failedByService[s]! + failedCount * DT;
  st.servedByService[s] = st.servedByService[s]! + servedCount;
  st.failedTotal += failedCount * DT;
  st.servedTotal += servedCount;
  st.offeredTotal += offered * DT;
}

/**
 * Sessions of a user-facing sticky service: new ones follow the edge weights, established ones stay where they
 * are until they end, are torn down (and reconnect through the edge), or their datacenter is lost.
 */
function stickySessions(
  st: WorldState,
  s: number,
  dem: number,
  dist: Float64Array,
  edge: Float64Array,
  unroutedShare: number,
): void {
  const { D } = st;
  const svc = st.world.services[s]!;
  const life = svc.sessionMs / 1000;
  const base = s * D;
  const newSessions = (dem / (SESSION_RPS * life)) * DT;
  let reconnects = 0;
  for (let d = 0; d < D; d++) {
    let sess = st.sessions[base + d]!;
    if (st.lost[d]) {
      reconnects += sess;
      st.sessions[base + d] = 0;
      continue;
    }
    sess -= (sess * DT) / life;
    const td = Math.min(sess, st.teardownRate[base + d]! * DT);
    st.sessions[base + d] = wholeSessions(sess - td);
    reconnects += td;
  }
  const connecting = newSessions + reconnects;
  for (let d = 0; d < D; d++) {
    const c = connecting * dist[d]!;
    if (!st.lost[d]) st.sessions[base + d] = st.sessions[base + d]! + c;
    edge[d] = st.sessions[base + d]! * SESSION_RPS + (c * CONNECT_COST) / DT;
  }
  // Connections from PoPs with no route fail; their sessions are lost rather than retried.
  // (Taken from the PoP shares, not from summing `dist`, so that a fully routed service loses exactly nothing.)
  const unrouted = (connecting * unroutedShare * CONNECT_COST) / DT;
  if (unrouted > 0) {
    st.unrouted[s] = unrouted;
    st.failedByService[s] = st.failedByService[s]! + unrouted * DT;
    st.failedTotal += unrouted * DT;
    st.offeredByService[s] = st.offeredByService[s]! + unrouted * DT;
    st.offeredTotal += unrouted * DT;
  }
}

/**
 * Sessions are modelled as a fluid, which decays towards zero without ever reaching it; less than half a session
 * left is no session, so that "all sessions have ended" can become true.
 */
function wholeSessions(n: number): number {
  return n < 0.5 ? 0 : n;
}

/** Sessions of an internal sticky service follow what it serves, and a teardown reconnects through the callers. */
function internalSessions(st: WorldState, s: number): void {
  const { D } = st;
  const life = st.world.services[s]!.sessionMs / 1000;
  const base = s * D;
  for (let d = 0; d < D; d++) {
    const target = st.served[base + d]! / SESSION_RPS;
    let sess = st.sessions[base + d]!;
    if (st.lost[d]) {
      st.sessions[base + d] = 0;
      continue;
    }
    sess += (target - sess) * Math.min(1, DT / life);
    const td = Math.min(sess, st.teardownRate[base + d]! * DT);
    st.sessions[base + d] = wholeSessions(sess - td);
    if (td > 0) st.rpcIn[base + d] = st.rpcIn[base + d]! + (td * CONNECT_COST) / DT;
  }
}

/** Replication streams and the catch-up of replicas, which share the links into the replica's datacenter. */
function replicate(st: WorldState): void {
  const { D } = st;
  for (const svc of st.world.services) {
    const s = svc.index;
    const src = svc.type === 'replication' ? st.replicationSource[s]! : svc.type === 'stateful' ? st.primary[s]! : -1;
    if (src < 0) continue;
    const base = s * D;
    const stream = STREAM_FRACTION * svc.capacity[src]!;
    st.lag[base + src] = 0;
    for (let d = 0; d < D; d++) {
      if (d === src || !svc.deployed[d]) continue;
      // With its source lost a replica keeps what it had received: its lag (what a promotion would lose) stays.
      if (st.lost[src] || st.lost[d] || stream === 0) continue;
      const behind = st.catchUp[base + d]!;
      const pull = Math.min(behind / DT, CATCH_UP_FACTOR * stream);
      st.inbound[d] = st.inbound[d]! + stream + pull;
      const pass = st.passFraction[d]!;
      // What the link does not carry of the stream falls behind; what it carries of the catch-up is applied.
      const next = behind + stream * (1 - pass) * DT - pull * pass * DT;
      st.catchUp[base + d] = next > 0 ? next : 0;
      st.lag[base + d] = BASE_LAG_S + st.catchUp[base + d]! / stream;
    }
  }
}

/** Shard moves, paced by their rate and by what the link into the receiving datacenter has to spare. */
function moveShards(st: WorldState): void {
  for (const [s, moves] of st.shardMoves) {
    const base = s * st.D;
    for (const mv of moves) {
      if (mv.remainingUnits <= 0) continue;
      if (st.lost[mv.from] || st.lost[mv.to]) continue;
      const cap = Math.min(st.linkCapacity[mv.to]!, st.backboneCap[mv.to]!);
      const spare = Math.max(0, cap - st.inbound[mv.to]!);
      const rate = Math.min(mv.unitsPerSecond, spare, mv.remainingUnits / DT);
      st.inbound[mv.to] = st.inbound[mv.to]! + rate;
      const units = rate * DT;
      mv.remainingUnits -= units;
      const shards = units / SHARD_UNITS;
      mv.moved += shards;
      st.shards[base + mv.from] = Math.max(0, st.shards[base + mv.from]! - shards);
      st.shards[base + mv.to] = st.shards[base + mv.to]! + shards;
    }
  }
}
