/**
 * One step of the model: demand enters at the PoPs, is routed by the effective edge weights to datacenters and by
 * cluster weights to clusters, is served up to capacity (the excess queues briefly, then fails), and what is served
 * calls its dependencies in the same datacenter. Services are visited callers first, so one tick carries a request
 * down the whole call graph.
 */
import {
  BASE_LATENCY_S, CATCH_UP_FACTOR, COLD_FACTOR, CONNECT_COST, QUEUE_TIMEOUT_S, SESSION_RPS, STREAM_FRACTION,
  TICK_MS, WARM_SLACK, WARM_TAU_S, WRITE_FRACTION, BASE_LAG_S, SHARD_UNITS,
} from './constants.js';
import { gaussian } from './demand.js';
import { applyDue } from './schedule.js';
import type { WorldState } from './state.js';

const DT = TICK_MS / 1000;

/** Scratch arrays, per datacenter count, reused across ticks. */
const scratch = new Map<number, { edge: Float64Array; rpc: Float64Array; dist: Float64Array }>();

export function tick(st: WorldState): void {
  const T = st.time + TICK_MS;
  applyDue(st, T);
  const { S, D } = st;
  let sc = scratch.get(D);
  if (!sc) { sc = { edge: new Float64Array(D), rpc: new Float64Array(D), dist: new Float64Array(D) }; scratch.set(D, sc); }
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

function flowService(st: WorldState, s: number, f: number, edge: Float64Array, rpc: Float64Array, dist: Float64Array): void {
  const { D, C, P, world } = st;
  const svc = world.services[s]!;
  const base = s * D;
  let offered = 0;
  let failedCount = 0;
  edge.fill(0);
  for (let d = 0; d < D; d++) {
    rpc[d] = st.rpcIn[base + d]!;
    st.rpcIn[base + d] = 0;
    st.load[base + d] = 0; st.served[base + d] = 0; st.failed[base + d] = 0; st.effLoad[base + d] = 0;
    st.inflight[base + d] = 0; st.offered[base + d] = 0;
  }
  st.unrouted[s] = 0;

  // ---- user demand at the edge
  if (svc.userFacing) {
    const noise = st.curve.noise > 0 ? Math.max(0, 1 + st.curve.noise * gaussian(st.seed, s, st.tickNo)) : 1;
    const dem = svc.demand * f * noise;
    st.demand[s] = dem;
    dist.fill(0);
    let routedShare = 0;
    for (let p = 0; p < P; p++) {
      const share = world.popShare[p]!;
      const row = (s * P + p) * D;
      let rowSum = 0;
      for (let d = 0; d < D; d++) { const fr = st.edgeFrac[row + d]!; dist[d] = dist[d]! + share * fr; rowSum += fr; }
      if (rowSum > 0) routedShare += share;
    }
    let popTotal = 0;
    for (let p = 0; p < P; p++) popTotal += world.popShare[p]!;
    for (let d = 0; d < D; d++) st.edgeShare[base + d] = routedShare > 0 ? dist[d]! / routedShare : 0;
    if (svc.type === 'sticky') {
      stickySessions(st, s, dem, dist, edge, popTotal);
    } else {
      for (let d = 0; d < D; d++) edge[d] = dem * dist[d]!;
      const lostDemand = dem * (popTotal - routedShare);
      if (lostDemand > 0) { st.unrouted[s] = lostDemand; failedCount += lostDemand; offered += lostDemand; }
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
      if (outage || st.lost[pm]) { failedCount += wr; st.failed[base + d] = st.failed[base + d]! + wr; st.offered[base + d] = st.offered[base + d]! + wr; continue; }
      st.crossRpcRate += wr;
      st.inbound[pm] = st.inbound[pm]! + wr;
      const pass = wr * st.passFraction[pm]!;
      failedCount += wr - pass;
      st.failed[base + pm] = st.failed[base + pm]! + (wr - pass);
      st.offered[base + pm] = st.offered[base + pm]! + (wr - pass);
      rpc[pm] = rpc[pm]! + pass;
      offered -= pass; // counted again below as an arrival at the primary
    }
    if (outage) {
      for (let d = 0; d < D; d++) {
        if (d !== pm) continue;
        const wr = rpc[d]! * WRITE_FRACTION;
        rpc[d] = rpc[d]! - wr;
        offered += wr; failedCount += wr;
        st.failed[base + d] = st.failed[base + d]! + wr; st.offered[base + d] = st.offered[base + d]! + wr;
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
      st.inbound[d] = st.inbound[d]! + e;
      const pass = st.lost[d] ? 0 : e * st.passFraction[d]!;
      if (e > pass) { failedCount += e - pass; st.failed[base + d] = st.failed[base + d]! + e - pass; st.offered[base + d] = st.offered[base + d]! + e - pass; }
      src += pass;
    }
    if (src === 0) continue;
    if (st.lost[d]) { failedCount += src; st.failed[base + d] = st.failed[base + d]! + src; st.offered[base + d] = st.offered[base + d]! + src; continue; }
    const rpcPart = src > 0 ? r / src : 0;
    if (svc.deployed[d]) {
      const cl = st.routeClusters[base + d]!;
      const fr = st.routeFractions[base + d]!;
      if (cl.length === 0) { failedCount += src; st.failed[base + d] = st.failed[base + d]! + src; st.offered[base + d] = st.offered[base + d]! + src; continue; }
      for (let k = 0; k < cl.length; k++) {
        const c = cl[k]!;
        const flow = src * fr[k]!;
        const to = world.clusterDc[c]!;
        let pass = flow;
        if (to !== d) {
          st.inbound[to] = st.inbound[to]! + flow;
          st.crossRpcRate += flow * rpcPart;
          pass = st.lost[to] ? 0 : flow * st.passFraction[to]!;
          if (flow > pass) { failedCount += flow - pass; st.failed[base + to] = st.failed[base + to]! + flow - pass; }
        }
        st.offered[base + to] = st.offered[base + to]! + flow;
        st.clusterLoad[s * C + c] = st.clusterLoad[s * C + c]! + pass;
      }
    } else {
      // The service does not run here: the call goes to the datacenters that run it, in proportion to capacity.
      let total = 0;
      for (let to = 0; to < D; to++) if (svc.deployed[to] && !st.lost[to]) total += svc.capacity[to]! * st.capFraction[base + to]!;
      if (total === 0) { failedCount += src; st.failed[base + d] = st.failed[base + d]! + src; st.offered[base + d] = st.offered[base + d]! + src; continue; }
      for (let to = 0; to < D; to++) {
        if (!svc.deployed[to] || st.lost[to]) continue;
        const flow = src * svc.capacity[to]! * st.capFraction[base + to]! / total;
        if (flow === 0) continue;
        st.inbound[to] = st.inbound[to]! + flow;
        st.crossRpcRate += flow * rpcPart;
        const pass = flow * st.passFraction[to]!;
        if (flow > pass) { failedCount += flow - pass; st.failed[base + to] = st.failed[base + to]! + flow - pass; }
        st.offered[base + to] = st.offered[base + to]! + flow;
        const cls = world.dcClusters[to]!;
        for (const c of cls) st.clusterLoad[s * C + c] = st.clusterLoad[s * C + c]! + pass / cls.length;
      }
    }
  }

  // ---- serve in each cluster
  let servedCount = 0;
  for (let d = 0; d < D; d++) {
    if (!svc.deployed[d]) continue;
    const cls = world.dcClusters[d]!;
    const kDc = st.lost[d] ? 0 : svc.capacity[d]! * st.capFraction[base + d]! / cls.length;
    let load = 0, served = 0, failed = 0, eff = 0, cap = 0, inflight = 0;
    for (const c of cls) {
      const i = s * C + c;
      const L = st.clusterLoad[i]!;
      st.clusterLoad[i] = 0;
      const K = kDc * st.jobFactor[i]!;
      const w = st.priming ? L : st.warm[i]!;
      const cold = L > WARM_SLACK * w ? L - WARM_SLACK * w : 0;
      const E = L + (COLD_FACTOR - 1) * cold;
      st.warm[i] = w + (L - w) * (DT / WARM_TAU_S);
      const cost = L > 0 ? E / L : 1;
      const work = st.backlog[i]! + L * DT;
      const rate = K / cost;
      const srv = Math.min(work, rate * DT);
      const rem = work - srv;
      const limit = rate * QUEUE_TIMEOUT_S;
      const fl = rem > limit ? rem - limit : 0;
      const bl = rem - fl;
      st.backlog[i] = bl;
      const rho = K > 0 ? E / K : 0;
      const r4 = rho * rho * rho * rho;
      st.ownLatency[i] = K > 0 ? BASE_LATENCY_S * (1 + 2 * r4 / (1 - Math.min(rho, 0.95))) + (rate > 0 ? bl / rate : 0) : 0;
      load += L; served += srv; failed += fl; eff += E; cap += K; inflight += bl;
    }
    const j = base + d;
    st.load[j] = load;
    st.served[j] = served / DT;
    st.failed[j] = st.failed[j]! + failed / DT;
    st.effLoad[j] = eff;
    st.capacity[j] = cap;
    st.inflight[j] = inflight;
    servedCount += served;
    failedCount += failed;
    const util = cap > 0 ? eff / cap : (load > 0 ? Number.POSITIVE_INFINITY : 0);
    if (util > 1) st.overloadSeconds[j] = st.overloadSeconds[j]! + DT;
    if (util > st.maxUtilization[j]! && Number.isFinite(util)) st.maxUtilization[j] = util;
  }

  // ---- what is served calls its dependencies from the same datacenter
  for (const callee of svc.callees) {
    const cb = callee.service * D;
    for (let d = 0; d < D; d++) {
      const srv = st.served[base + d]!;
      if (srv > 0) st.rpcIn[cb + d] = st.rpcIn[cb + d]! + srv * callee.fanout;
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
function stickySessions(st: WorldState, s: number, dem: number, dist: Float64Array, edge: Float64Array, popTotal: number): void {
  const { D } = st;
  const svc = st.world.services[s]!;
  const life = svc.sessionMs / 1000;
  const base = s * D;
  const newSessions = dem / (SESSION_RPS * life) * DT;
  let reconnects = 0;
  for (let d = 0; d < D; d++) {
    let sess = st.sessions[base + d]!;
    if (st.lost[d]) { reconnects += sess; st.sessions[base + d] = 0; continue; }
    sess -= sess * DT / life;
    const td = Math.min(sess, st.teardownRate[base + d]! * DT);
    st.sessions[base + d] = sess - td;
    reconnects += td;
  }
  const connecting = newSessions + reconnects;
  let routed = 0;
  for (let d = 0; d < D; d++) {
    const c = connecting * dist[d]!;
    routed += dist[d]!;
    if (!st.lost[d]) st.sessions[base + d] = st.sessions[base + d]! + c;
    edge[d] = st.sessions[base + d]! * SESSION_RPS + c * CONNECT_COST / DT;
  }
  // Connections from PoPs with no route fail; their sessions are lost rather than retried.
  const unrouted = connecting * Math.max(0, popTotal - routed) * CONNECT_COST / DT;
  if (unrouted > 0) {
    st.unrouted[s] = unrouted;
    st.failedByService[s] = st.failedByService[s]! + unrouted * DT;
    st.failedTotal += unrouted * DT;
    st.offeredByService[s] = st.offeredByService[s]! + unrouted * DT;
    st.offeredTotal += unrouted * DT;
  }
}

/** Sessions of an internal sticky service follow what it serves, and a teardown reconnects through the callers. */
function internalSessions(st: WorldState, s: number): void {
  const { D } = st;
  const life = st.world.services[s]!.sessionMs / 1000;
  const base = s * D;
  for (let d = 0; d < D; d++) {
    const target = st.served[base + d]! / SESSION_RPS;
    let sess = st.sessions[base + d]!;
    if (st.lost[d]) { st.sessions[base + d] = 0; continue; }
    sess += (target - sess) * Math.min(1, DT / life);
    const td = Math.min(sess, st.teardownRate[base + d]! * DT);
    st.sessions[base + d] = sess - td;
    if (td > 0) st.rpcIn[base + d] = st.rpcIn[base + d]! + td * CONNECT_COST / DT;
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
      if (st.lost[src] || st.lost[d] || stream === 0) { st.lag[base + d] = st.lag[base + d]! + DT; continue; }
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
