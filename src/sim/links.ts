/**
 * The backbone links into each datacenter, shared by everything that crosses into it: user requests from the PoPs,
 * calls and writes from other datacenters, replication streams and catch-up, shard moves. Each tick adds what it asks
 * of them to `inbound`; at the end of the tick the links are judged on it, and what they cannot carry is lost in the
 * next tick (the pass fraction). Transfers paced by the network use only what is left below the planned utilisation.
 */
import { LINK_PLANNED_UTILIZATION, TICK_MS } from './constants.js';
import type { WorldState } from './state.js';

const DT = TICK_MS / 1000;

/** What the links into datacenter `d` carry now, request units per second (a backbone fault caps them). */
export function linkCapacity(st: WorldState, d: number): number {
  return Math.min(st.linkCapacity[d]!, st.backboneCap[d]!);
}

/**
 * What the links into `d` have to spare below their planned utilisation, after what this tick already asks of
 * them: the most a transfer paced by the network takes.
 */
export function plannedSpare(st: WorldState, d: number): number {
  return Math.max(0, LINK_PLANNED_UTILIZATION * linkCapacity(st, d) - st.inbound[d]!);
}

/**
 * Judges the links on this tick's demand: the pass fraction for the next tick (capacity / demand when they are asked
 * for more), what they carried, and the saturation counters. A one-tick lag, no oscillation in practice.
 */
export function settleLinks(st: WorldState): void {
  for (let d = 0; d < st.D; d++) {
    const cap = linkCapacity(st, d);
    const inb = st.inbound[d]!;
    st.passFraction[d] = inb > cap ? cap / inb : 1;
    st.backboneTotal[d] = st.backboneTotal[d]! + Math.min(inb, cap) * DT;
    if (inb > cap) st.linkSaturatedSeconds[d] = st.linkSaturatedSeconds[d]! + DT;
    const use = cap > 0 ? inb / cap : 0;
    if (use > st.linkPeak[d]!) st.linkPeak[d] = use;
  }
}
