/** Everything that takes effect at a time: propagated weights, faults, promotions, repoints, restarts. */
import { COLD_FACTOR, STREAM_FRACTION, TICK_MS, WARM_TAU_S } from './constants.js';
import { isActive } from './faults.js';
import type { WorldState } from './state.js';

/**
 * Applies every change due by the end of the next tick (ending at `st.time + TICK_MS`). Allocates nothing when
 * nothing is due: it runs every tick.
 */
export function applyDue(st: WorldState): void {
  const T = st.time + TICK_MS;
  if (st.pending.length > 0 && st.pending[0]!.at <= T) {
    let n = 0;
    while (n < st.pending.length && st.pending[n]!.at <= T) {
      const ch = st.pending[n]!;
      if (ch.layer === 'edge') st.applyEdge(ch.service, ch.source, ch.weights);
      else st.applyCluster(ch.service, ch.source, ch.weights);
      st.onChange?.({ kind: 'weights.effective', at: ch.at, change: ch });
      n++;
    }
    st.pending.splice(0, n);
  }
  applyFaults(st);
  if (st.promotions.size > 0) promote(st, T);
  if (st.repoints.size > 0) repoint(st, T);
  if (st.restarts.size > 0) finishRestarts(st, T);
}

function promote(st: WorldState, T: number): void {
  for (const [s, p] of st.promotions) {
    if (T < p.outageEnd) continue;
    const old = st.primary[s]!;
    st.primary[s] = p.to;
    st.catchUp[s * st.D + p.to] = 0;
    if (old >= 0) st.catchUp[s * st.D + old] = 0;
    st.promotions.delete(s);
  }
}

function repoint(st: WorldState, T: number): void {
  for (const [s, r] of st.repoints) {
    if (T < r.at) continue;
    const svc = st.world.services[s]!;
    const stream = STREAM_FRACTION * svc.capacity[r.to]!;
    st.replicationSource[s] = r.to;
    // Replicas re-synchronise from the new source: what it applied over the apply delay has to be fetched.
    for (let d = 0; d < st.D; d++) {
      if (d !== r.to && svc.deployed[d])
        st.catchUp[s * st.D + d] = st.catchUp[s * st.D + d]! + (stream * svc.applyDelayMs) / 1000;
    }
    st.catchUp[s * st.D + r.to] = 0;
    st.repoints.delete(s);
  }
}

function finishRestarts(st: WorldState, T: number): void {
  for (const [i, r] of st.restarts) {
    if (T < r.end) continue;
    st.jobFactor[i] = st.stopped[i] ? 0 : 1;
    st.restarts.delete(i);
  }
}

/**
 * Sets the world's fault state when the set of active faults changes (and on the first tick), telling the journal
 * of each fault that starts or ends: the ones that start first, then the ones that end, each in the scenario's order.
 */
function applyFaults(st: WorldState): void {
  const T = st.time + TICK_MS;
  const { faults, faultActive } = st;
  let changed = st.faultsUnsettled;
  for (let i = 0; i < faults.length && !changed; i++)
    if (isActive(faults[i]!, T) !== (faultActive[i] === 1)) changed = true;
  if (!changed) return;
  st.faultsUnsettled = false;
  if (st.onChange) {
    for (let i = 0; i < faults.length; i++)
      if (isActive(faults[i]!, T) && faultActive[i] === 0) st.onChange({ kind: 'fault.start', at: T, fault: i });
    for (let i = 0; i < faults.length; i++)
      if (!isActive(faults[i]!, T) && faultActive[i] === 1) st.onChange({ kind: 'fault.end', at: T, fault: i });
  }
  for (let i = 0; i < faults.length; i++) faultActive[i] = isActive(faults[i]!, T) ? 1 : 0;
  const { D, S, C } = st;
  st.lost.fill(0);
  st.capFraction.fill(1);
  st.backboneCap.fill(Number.POSITIVE_INFINITY);
  st.clusterCap.fill(1);
  st.latencyScale.fill(1);
  st.coldFactor.fill(COLD_FACTOR);
  st.warmRate.fill(TICK_MS / 1000 / WARM_TAU_S);
  st.faults.forEach((f, i) => {
    if (!isActive(f, T)) {
      st.faultCaps.delete(i);
      return;
    }
    switch (f.kind) {
      case 'datacenter-lost':
        st.lost[f.dc] = 1;
        break;
      case 'capacity':
        for (let s = 0; s < S; s++) {
          if (f.service >= 0 && f.service !== s) continue;
          for (let d = 0; d < D; d++)
            if (f.dc < 0 || f.dc === d) st.capFraction[s * D + d] = st.capFraction[s * D + d]! * f.fraction;
        }
        break;
      case 'backbone': {
        // The links keep a fraction of what they carried when the fault struck (the last tick's traffic).
        let cap = st.faultCaps.get(i);
        if (cap === undefined) {
          cap = f.fraction * st.inbound[f.dc]!;
          st.faultCaps.set(i, cap);
        }
        st.backboneCap[f.dc] = Math.min(st.backboneCap[f.dc]!, cap);
        break;
      }
      case 'receiver-slow':
        for (let s = 0; s < S; s++) {
          if (f.service >= 0 && f.service !== s) continue;
          const i = s * C + f.cluster;
          st.clusterCap[i] = st.clusterCap[i]! * f.fraction;
          st.latencyScale[i] = st.latencyScale[i]! * f.latencyFactor;
        }
        break;
      case 'cold-cache': {
        // The model's own cold-cache mechanism, raised: the larger factor and the slower warm-up win.
        const rate = TICK_MS / f.warmUpMs;
        for (let s = 0; s < S; s++) {
          if (f.service >= 0 && f.service !== s) continue;
          for (let d = 0; d < D; d++) {
            if (f.dc >= 0 && f.dc !== d) continue;
            const j = s * D + d;
            st.coldFactor[j] = Math.max(st.coldFactor[j]!, f.coldFactor);
            st.warmRate[j] = Math.min(st.warmRate[j]!, rate);
          }
        }
        break;
      }
      case 'mechanism':
      case 'metrics-missing':
      case 'metrics-lag':
        break;
      case 'propagation-slow':
        // Read when a weight change is set (commands.ts), not a state of the world between ticks.
        break;
    }
  });
}
