/**
 * One step of the model. Each service's flow, visited callers first so that one tick carries a request down the
 * whole call graph, goes through five phases, in this order:
 *
 * 1. edge demand (`edgeDemand`): user demand enters at the PoPs and is routed by the effective edge weights;
 * 2. writes (`writesToPrimary`): a stateful service's writes go to its primary's datacenter;
 * 3. cluster routing (`routeArrivals`): from each datacenter where requests arrive, by its cluster table to
 *    clusters, or through the datacenters that run the service when it does not run there;
 * 4. serving (`serve`): each cluster serves up to its capacity; the excess queues briefly, then fails;
 * 5. calls (`callDependencies`): what is served calls the service's dependencies in the same datacenter.
 *
 * Then replication and shard moves use the links, and the links' pass fraction for the next tick is set.
 */
import {
  BASE_LATENCY_S,
  CATCH_UP_FACTOR,
  QUEUE_TIMEOUT_S,
  STREAM_FRACTION,
  TICK_MS,
  WARM_SLACK,
  NOISE_TAU_S,
  WRITE_FRACTION,
  BASE_LAG_S,
  SHARD_UNITS,
} from './constants.js';
import { gaussian } from './demand.js';
import { plannedSpare, settleLinks } from './links.js';
import { applyDue } from './schedule.js';
import { countFailure, internalSessions, stickySessions } from './sessions.js';
import { CAUSE, type WorldState } from './state.js';

const DT = TICK_MS / 1000;
const { overload: OVERLOAD, 'write-outage': WRITE_OUTAGE, unrouted: UNROUTED, backbone: BACKBONE } = CAUSE;
const LOST = CAUSE['datacenter-lost'];
const NOISE_RHO = Math.exp(-DT / NOISE_TAU_S);
const NOISE_INNOVATION = Math.sqrt(1 - NOISE_RHO * NOISE_RHO);

/**
 * One service's flow through a tick, shared by its phases: the requests arriving per datacenter, and what the
 * service offered, served and failed so far. Offered and failed are requests per second; served, requests.
 * Each total is one running sum across the phases, in their order: subtotals per phase would change the order
 * of the additions, and with it the last bits. One per datacenter count, reused for every service and tick.
 */
interface Flow {
  /** The service, and its row (s × D) in the per-service-and-datacenter arrays. */
  s: number;
  base: number;
  /** User requests per second entering at the edge, per datacenter they are routed to. */
  readonly edge: Float64Array;
  /** Calls per second from callers (and carried from the last tick), per datacenter they arrive in. */
  readonly rpc: Float64Array;
  /** The edge demand's share per datacenter (scratch of the edge phase). */
  readonly dist: Float64Array;
  offered: number;
  failed: number;
  served: number;
  /**
   * What `routeToClusters` routes: requests per second, and the part of them that came from callers. Passed in the
   * flow rather than as arguments: a double passed to a function the compiler does not inline is boxed on the
   * heap, and this call is made for every service, datacenter and tick.
   */
  src: number;
  rpcPart: number;
}

const flows = new Map<number, Flow>();

function flowFor(D: number): Flow {
  let fl = flows.get(D);
  if (!fl) {
    const edge = new Float64Array(D);
    const rpc = new Float64Array(D);
    const dist = new Float64Array(D);
    // Fractional starting values make the fields doubles from the start (never small integers first).
    fl = { s: 0, base: 0, edge, rpc, dist, offered: 0.5, failed: 0.5, served: 0.5, src: 0.5, rpcPart: 0.5 };
    flows.set(D, fl);
  }
  return fl;
}

/** Steps the world by one tick (TICK_MS of simulated time). */
export function tick(st: WorldState): void {
  applyDue(st);
  const T = st.time + TICK_MS;
  const { S, D } = st;
  const fl = flowFor(D);
  const f = st.curve.factor(T);
  st.inbound.fill(0);
  st.crossRpcRate = 0;
  st.crossCallRate = 0;
  const order = st.world.order;
  for (let k = 0; k < S; k++) flowService(st, fl, order[k]!, f);
  replicate(st);
  moveShards(st);
  settleLinks(st);
  st.crossRpcTotal += st.crossRpcRate * DT;
  st.crossCallTotal += st.crossCallRate * DT;
  st.time = T;
  st.tickNo++;
}

/** One service through one tick, phase by phase (the order matters: each phase adds to what the last left). */
function flowService(st: WorldState, fl: Flow, s: number, f: number): void {
  const svc = st.world.services[s]!;
  beginFlow(st, fl, s);
  if (svc.userFacing) edgeDemand(st, fl, f);
  if (svc.type === 'stateful' && st.primary[s]! >= 0) writesToPrimary(st, fl);
  routeArrivals(st, fl);
  serve(st, fl);
  callDependencies(st, fl);
  st.offeredByService[s] = st.offeredByService[s]! + fl.offered * DT;
  st.failedByService[s] = st.failedByService[s]! + fl.failed * DT;
  st.servedByService[s] = st.servedByService[s]! + fl.served;
  st.failedTotal += fl.failed * DT;
  st.servedTotal += fl.served;
  st.offeredTotal += fl.offered * DT;
}

/** Takes the calls that arrived since the last tick and clears the service's readings of the last one. */
function beginFlow(st: WorldState, fl: Flow, s: number): void {
  const { D, rpcIn, load, served, failed, effLoad, inflight, offered } = st;
  const base = s * D;
  const { edge, rpc } = fl;
  fl.s = s;
  fl.base = base;
  fl.offered = 0;
  fl.failed = 0;
  fl.served = 0;
  edge.fill(0);
  for (let d = 0; d < D; d++) {
    rpc[d] = rpcIn[base + d]!;
    rpcIn[base + d] = 0;
    load[base + d] = 0;
    served[base + d] = 0;
    failed[base + d] = 0;
    effLoad[base + d] = 0;
    inflight[base + d] = 0;
    offered[base + d] = 0;
  }
  st.unrouted[s] = 0;
}

/**
 * Requests of the flow that fail in datacenter `d` for `cause`: `sent − passed` of them (all of `sent` when nothing
 * passed), counted there as offered and failed, and in the service's totals as failed.
 */
function fail(st: WorldState, fl: Flow, d: number, cause: number, sent: number, passed = 0): void {
  const j = fl.base + d;
  fl.failed += sent - passed;
  st.failed[j] = st.failed[j]! + sent - passed;
  st.offered[j] = st.offered[j]! + sent - passed;
  countFailure(st, fl.s, d, cause, (sent - passed) * DT);
}

/** User demand at the edge (user-facing services): per datacenter by the effective edge fractions of the PoPs. */
function edgeDemand(st: WorldState, fl: Flow, f: number): void {
  const { D, P, world, edgeFrac, edgeShare } = st;
  const { s, base, edge, dist } = fl;
  const svc = world.services[s]!;
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
      const fr = edgeFrac[row + d]!;
      dist[d] = dist[d]! + share * fr;
      rowSum += fr;
    }
    if (rowSum > 0) routedShare += share;
  }
  let popTotal = 0;
  for (let p = 0; p < P; p++) popTotal += world.popShare[p]!;
  for (let d = 0; d < D; d++) edgeShare[base + d] = routedShare > 0 ? dist[d]! / routedShare : 0;
  if (svc.type === 'sticky') {
    stickySessions(st, s, dem, dist, edge, popTotal - routedShare);
    return;
  }
  for (let d = 0; d < D; d++) edge[d] = dem * dist[d]!;
  const lostDemand = dem * (popTotal - routedShare);
  if (lostDemand > 0) {
    st.unrouted[s] = lostDemand;
    fl.failed += lostDemand;
    fl.offered += lostDemand;
    countFailure(st, s, D, UNROUTED, lostDemand * DT);
  }
}

/**
 * A stateful service's writes go to the primary's datacenter, over the links into it (and their replies over the
 * links back); during the write outage of a promotion, and with the primary's datacenter lost, every write fails.
 */
function writesToPrimary(st: WorldState, fl: Flow): void {
  const { D, lost, inbound, passFraction } = st;
  const { s, rpc } = fl;
  const pm = st.primary[s]!;
  const promo = st.promotions.get(s);
  const outage = promo !== undefined && st.time + TICK_MS > promo.catchUpEnd;
  for (let d = 0; d < D; d++) {
    const wr = rpc[d]! * WRITE_FRACTION;
    if (wr === 0 || pm === d) continue;
    rpc[d] = rpc[d]! - wr;
    fl.offered += wr;
    if (outage || lost[pm]) {
      fail(st, fl, d, outage ? WRITE_OUTAGE : LOST, wr);
      continue;
    }
    st.crossRpcRate += wr;
    inbound[pm] = inbound[pm]! + wr;
    inbound[d] = inbound[d]! + wr; // the reply
    // What the links into the primary's datacenter drop fails there; a reply the links back drop, in the writer's.
    const crossed = wr * passFraction[pm]!;
    const pass = crossed * passFraction[d]!;
    fail(st, fl, pm, BACKBONE, wr - crossed);
    fail(st, fl, d, BACKBONE, crossed - pass);
    rpc[pm] = rpc[pm]! + pass;
    fl.offered -= pass; // counted again below as an arrival at the primary
  }
  if (outage) {
    const wr = rpc[pm]! * WRITE_FRACTION;
    rpc[pm] = rpc[pm]! - wr;
    fl.offered += wr;
    fail(st, fl, pm, WRITE_OUTAGE, wr);
  }
}

/**
 * From each datacenter where requests arrive (the edge's over the links into it, callers' from within), to
 * clusters: by its cluster table where the service runs, else through the datacenters that run it.
 */
function routeArrivals(st: WorldState, fl: Flow): void {
  const { D, inbound, lost, passFraction, deployed } = st;
  const { base, edge, rpc } = fl;
  for (let d = 0; d < D; d++) {
    const e = edge[d]!;
    const r = rpc[d]!;
    if (e === 0 && r === 0) continue;
    fl.offered += e + r;
    let src = r;
    if (e > 0) {
      inbound[d] = inbound[d]! + e;
      const pass = lost[d] ? 0 : e * passFraction[d]!;
      if (e > pass) fail(st, fl, d, lost[d] ? LOST : BACKBONE, e, pass);
      src += pass;
    }
    if (src === 0) continue;
    if (lost[d]) {
      fail(st, fl, d, LOST, src);
      continue;
    }
    fl.src = src;
    fl.rpcPart = src > 0 ? r / src : 0;
    if (deployed[base + d]) routeToClusters(st, fl, d);
    else forward(st, fl, d);
  }
}

/**
 * The service does not run in `from`: the call goes to the datacenters that run it, in proportion to capacity,
 * and on through that datacenter's cluster table (so a drained datacenter forwards it again). Its reply comes back
 * over the links into `from`.
 */
function forward(st: WorldState, fl: Flow, from: number): void {
  const { D, inbound, lost, passFraction, deployed, nominal, capFraction } = st;
  const { base, src, rpcPart } = fl;
  let total = 0;
  for (let to = 0; to < D; to++)
    if (deployed[base + to] && !lost[to]) total += nominal[base + to]! * capFraction[base + to]!;
  if (total === 0) {
    fail(st, fl, from, UNROUTED, src);
    return;
  }
  for (let to = 0; to < D; to++) {
    if (!deployed[base + to] || lost[to]) continue;
    const flow = (src * nominal[base + to]! * capFraction[base + to]!) / total;
    if (flow === 0) continue;
    inbound[to] = inbound[to]! + flow;
    inbound[from] = inbound[from]! + flow; // the reply
    st.crossRpcRate += flow * rpcPart;
    st.crossCallRate += flow * rpcPart;
    const crossed = flow * passFraction[to]!;
    const pass = crossed * passFraction[from]!;
    if (flow > crossed) fail(st, fl, to, BACKBONE, flow, crossed);
    if (crossed > pass) fail(st, fl, from, BACKBONE, crossed, pass); // the reply, lost on the links back into `from`
    fl.src = pass;
    routeToClusters(st, fl, to);
  }
}

/**
 * The flow's `src` requests per second in datacenter `from` go to clusters by its cluster table. A share bound for
 * another datacenter crosses the links into it (cross-datacenter RPC for the part `rpcPart` that came from callers), its
 * reply the links back into `from`, and a round trip that either link does not carry fails; with no route at all,
 * everything fails where it is.
 */
function routeToClusters(st: WorldState, fl: Flow, from: number): void {
  const { C, world, inbound, lost, passFraction, failed, offered, clusterLoad, routeCl, routeFr, routeLen } = st;
  const { base, src, rpcPart } = fl;
  const n = routeLen[base + from]!;
  if (n === 0) {
    fail(st, fl, from, UNROUTED, src);
    return;
  }
  const ro = (base + from) * C;
  const row = fl.s * C;
  for (let k = ro; k < ro + n; k++) {
    const c = routeCl[k]!;
    const flow = src * routeFr[k]!;
    const to = world.clusterDc[c]!;
    let pass = flow;
    let replyLost = 0;
    if (to !== from) {
      inbound[to] = inbound[to]! + flow;
      inbound[from] = inbound[from]! + flow; // the reply
      st.crossRpcRate += flow * rpcPart;
      st.crossCallRate += flow * rpcPart;
      const crossed = lost[to] ? 0 : flow * passFraction[to]!;
      pass = crossed * passFraction[from]!;
      if (flow > pass) {
        // Lost on the links: what the links into `to` drop fails there (offered in full just below, with what
        // passed); a reply the links back into `from` drop fails in `from`, where the call waits for it.
        replyLost = crossed - pass;
        fl.failed += flow - pass;
        failed[base + to] = failed[base + to]! + flow - crossed;
        if (flow > crossed) countFailure(st, fl.s, to, lost[to] ? LOST : BACKBONE, (flow - crossed) * DT);
        if (replyLost > 0) {
          failed[base + from] = failed[base + from]! + replyLost;
          offered[base + from] = offered[base + from]! + replyLost;
          countFailure(st, fl.s, from, BACKBONE, replyLost * DT);
        }
      }
    }
    offered[base + to] = offered[base + to]! + flow - replyLost;
    clusterLoad[row + c] = clusterLoad[row + c]! + pass;
  }
}

/**
 * Each cluster serves up to its capacity (less for the cold part of its load), queues at most QUEUE_TIMEOUT_S of
 * it and fails the rest; the datacenter's readings are the sums over its clusters.
 */
function serve(st: WorldState, fl: Flow): void {
  const {
    D,
    C,
    world,
    clusterLoad: a_clusterLoad,
    lost: a_lost,
    nominal: a_nominal,
    capFraction: a_capFraction,
    deployed: a_deployed,
    jobFactor: a_jobFactor,
    clusterCap: a_clusterCap,
    latencyScale: a_latencyScale,
    coldFactor: a_coldFactor,
    warmRate: a_warmRate,
    warm: a_warm,
    backlog: a_backlog,
    ownLatency: a_ownLatency,
    load: a_load,
    served: a_served,
    failed: a_failed,
    effLoad: a_effLoad,
    capacity: a_capacity,
    inflight: a_inflight,
    overloadSeconds: a_overloadSeconds,
    maxUtilization: a_maxUtilization,
  } = st;
  const { s, base } = fl;
  for (let d = 0; d < D; d++) {
    if (!a_deployed[base + d]) continue;
    const cls = world.dcClusters[d]!;
    const kDc = a_lost[d] ? 0 : (a_nominal[base + d]! * a_capFraction[base + d]!) / cls.length;
    const coldCost = a_coldFactor[base + d]! - 1;
    const warmRate = a_warmRate[base + d]!;
    let load = 0,
      served = 0,
      failed = 0,
      eff = 0,
      cap = 0,
      inflight = 0;
    for (let k = 0; k < cls.length; k++) {
      const i = s * C + cls[k]!;
      const L = a_clusterLoad[i]!;
      a_clusterLoad[i] = 0;
      const K = kDc * a_jobFactor[i]! * a_clusterCap[i]!;
      const w = st.priming ? L : a_warm[i]!;
      const cold = L > WARM_SLACK * w ? L - WARM_SLACK * w : 0;
      const E = L + coldCost * cold;
      a_warm[i] = w + (L - w) * warmRate;
      const cost = L > 0 ? E / L : 1;
      const work = a_backlog[i]! + L * DT;
      const rate = K / cost;
      const srv = Math.min(work, rate * DT);
      const rem = work - srv;
      const limit = rate * QUEUE_TIMEOUT_S;
      const timedOut = rem > limit ? rem - limit : 0;
      const bl = rem - timedOut;
      a_backlog[i] = bl;
      const rho = K > 0 ? E / K : 0;
      const r4 = rho * rho * rho * rho;
      a_ownLatency[i] =
        K > 0
          ? (BASE_LATENCY_S * (1 + (2 * r4) / (1 - Math.min(rho, 0.95))) + (rate > 0 ? bl / rate : 0)) *
            a_latencyScale[i]!
          : 0;
      load += L;
      served += srv;
      failed += timedOut;
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
    fl.served += served;
    fl.failed += failed;
    if (failed > 0) countFailure(st, s, d, OVERLOAD, failed);
    const util = cap > 0 ? eff / cap : load > 0 ? Number.POSITIVE_INFINITY : 0;
    if (util > 1) a_overloadSeconds[j] = a_overloadSeconds[j]! + DT;
    if (util > a_maxUtilization[j]! && Number.isFinite(util)) a_maxUtilization[j] = util;
  }
}

/**
 * What is served calls each callee `fanout` times from the same datacenter: served in this tick, since callees are
 * visited after their callers, except across a dependency cycle's back edge (the next tick).
 */
function callDependencies(st: WorldState, fl: Flow): void {
  const { D, rpcIn, served } = st;
  const { s, base } = fl;
  const svc = st.world.services[s]!;
  const callees = svc.callees;
  for (let k = 0; k < callees.length; k++) {
    const callee = callees[k]!;
    const cb = callee.service * D;
    for (let d = 0; d < D; d++) {
      const srv = served[base + d]!;
      if (srv > 0) rpcIn[cb + d] = rpcIn[cb + d]! + srv * callee.fanout;
    }
  }
  if (svc.type === 'sticky' && !svc.userFacing) internalSessions(st, s);
}

/**
 * Replication streams and the catch-up of replicas, which share the links into the replica's datacenter. A stopped
 * replica receives nothing and falls behind by the stream; a network-paced one catches up with only what the links
 * have to spare below their planned utilisation.
 */
function replicate(st: WorldState): void {
  const { D, S } = st;
  const services = st.world.services;
  for (let s = 0; s < S; s++) {
    const svc = services[s]!;
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
      if (st.replicaStopped[base + d]) {
        st.catchUp[base + d] = behind + stream * DT;
        st.lag[base + d] = BASE_LAG_S + st.catchUp[base + d]! / stream;
        continue;
      }
      let pull = Math.min(behind / DT, CATCH_UP_FACTOR * stream);
      if (pull > 0 && st.networkPaced[base + d]) pull = Math.min(pull, Math.max(0, plannedSpare(st, d) - stream));
      st.inbound[d] = st.inbound[d]! + stream + pull;
      const pass = st.passFraction[d]!;
      // What the link does not carry of the stream falls behind; what it carries of the catch-up is applied.
      const next = behind + stream * (1 - pass) * DT - pull * pass * DT;
      st.catchUp[base + d] = next > 0 ? next : 0;
      st.lag[base + d] = BASE_LAG_S + st.catchUp[base + d]! / stream;
    }
  }
}

/** Shard moves, paced by their rate and by what the links into the receiving datacenter have to spare (planned). */
function moveShards(st: WorldState): void {
  if (st.shardMoves.size === 0) return;
  for (const [s, moves] of st.shardMoves) {
    const base = s * st.D;
    for (const mv of moves) {
      if (mv.remainingUnits <= 0) continue;
      if (st.lost[mv.from] || st.lost[mv.to]) continue;
      const rate = Math.min(mv.unitsPerSecond, plannedSpare(st, mv.to), mv.remainingUnits / DT);
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
