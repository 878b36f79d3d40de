/**
 * Sticky sessions, modelled as a fluid: new sessions follow the edge weights, established ones stay where they are
 * until they end, are torn down or lose their datacenter, and every teardown reconnects at once (the reconnect
 * storm). Part of a tick's flow (tick.ts), for the sticky services.
 */
import { CONNECT_COST, SESSION_RPS, TEARDOWN_LOSS, TICK_MS } from './constants.js';
import { CAUSE, NCAUSE, type WorldState } from './state.js';

const DT = TICK_MS / 1000;
const TEARDOWN = CAUSE.teardown;

/** Adds failed requests of service `s` in datacenter `d` (D: at the edge, before any datacenter) for `cause`. */
export function countFailure(st: WorldState, s: number, d: number, cause: number, requests: number): void {
  const k = (s * (st.D + 1) + d) * NCAUSE + cause;
  st.failedByCause[k] = st.failedByCause[k]! + requests;
}

/**
 * The requests in flight on `sessions` torn down in datacenter `d` fail (the clients retry them after they
 * reconnect): counted there as offered and failed, and in the service's totals.
 */
function teardownLoss(st: WorldState, s: number, d: number, sessions: number): void {
  const lost = sessions * TEARDOWN_LOSS;
  const j = s * st.D + d;
  st.failed[j] = st.failed[j]! + lost / DT;
  st.offered[j] = st.offered[j]! + lost / DT;
  st.failedByService[s] = st.failedByService[s]! + lost;
  st.failedTotal += lost;
  st.offeredByService[s] = st.offeredByService[s]! + lost;
  st.offeredTotal += lost;
  countFailure(st, s, d, TEARDOWN, lost);
}

/**
 * Sessions of a user-facing sticky service: new ones follow the edge weights, established ones stay where they
 * are until they end, are torn down (and reconnect through the edge), or their datacenter is lost.
 */
export function stickySessions(
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
    if (td > 0) teardownLoss(st, s, d, td);
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
    countFailure(st, s, D, CAUSE.unrouted, unrouted * DT);
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
export function internalSessions(st: WorldState, s: number): void {
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
    if (td > 0) {
      st.rpcIn[base + d] = st.rpcIn[base + d]! + (td * CONNECT_COST) / DT;
      teardownLoss(st, s, d, td);
    }
  }
}
