/**
 * Weight-table arithmetic for traffic.shift, kept pure so that it is tested on its own: where the moved weight goes
 * (to the receivers by their headroom), how a restore interpolates back to the baseline, and the share of traffic
 * a set of tables leaves in a datacenter.
 */
import type { Fleet } from '../model/definitions.js';
import type { Layer } from '../model/readings.js';

/** Source → destination → weight. */
export type Tables = Readonly<Record<string, Readonly<Record<string, number>>>>;

/** Below this, weight is zero: floating dust must not keep a datacenter "almost drained". */
const DUST = 1e-9;

/** Weight shares of destinations, normalised to sum 1; `fallback` when every share is zero. */
export function normalise(
  shares: Readonly<Record<string, number>>,
  fallback: Readonly<Record<string, number>>,
): Record<string, number> {
  const pick = (o: Readonly<Record<string, number>>): Record<string, number> | undefined => {
    const total = Object.values(o).reduce((a, b) => a + Math.max(0, b), 0);
    if (!(total > 0)) return undefined;
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Math.max(0, v) / total]));
  };
  return pick(shares) ?? pick(fallback) ?? {};
}

/** The clusters of each datacenter. */
export function clustersOf(fleet: Fleet): ReadonlyMap<string, readonly string[]> {
  return new Map(fleet.spec.datacenters.map((d) => [d.name, d.clusters]));
}

/** Destinations of a layer that belong to the datacenter: itself at the edge, its clusters at the cluster layer. */
export function ownDestinations(layer: Layer, datacenter: string, fleet: Fleet): readonly string[] {
  return layer === 'edge' ? [datacenter] : (clustersOf(fleet).get(datacenter) ?? []);
}

function round(x: number): number {
  return Math.abs(x) < DUST ? 0 : x;
}

/**
 * Drain tables at progress `to`: each source keeps `start × (1 − to)` of its weight on the datacenter's own
 * destinations, and the difference from `current` moves to (or, on a back-off, comes back from) the receivers.
 * `split` gives, per receiver destination, the fraction of moved weight it gets (summing to 1).
 */
export function drainTables(
  start: Tables,
  current: Tables,
  own: readonly string[],
  to: number,
  split: Readonly<Record<string, number>>,
): Tables {
  const out: Record<string, Record<string, number>> = {};
  for (const [source, startWeights] of Object.entries(start)) {
    const now = { ...(current[source] ?? startWeights) };
    let moved = 0;
    for (const d of own) {
      const target = (startWeights[d] ?? 0) * (1 - to);
      moved += (now[d] ?? 0) - target;
      if (d in now || target > 0) now[d] = round(target);
    }
    if (moved > DUST) {
      for (const [d, f] of Object.entries(split)) now[d] = round((now[d] ?? 0) + moved * f);
    } else if (moved < -DUST) {
      // Back-off: take the weight back from the receivers in proportion to what they gained during the drain.
      const gained = Object.fromEntries(
        Object.keys(now)
          .filter((d) => !own.includes(d))
          .map((d) => [d, Math.max(0, (now[d] ?? 0) - (startWeights[d] ?? 0))]),
      );
      const from = normalise(
        gained,
        Object.fromEntries(
          Object.keys(now)
            .filter((d) => !own.includes(d))
            .map((d) => [d, now[d] ?? 0]),
        ),
      );
      for (const [d, f] of Object.entries(from)) now[d] = round(Math.max(0, (now[d] ?? 0) + moved * f));
    }
    out[source] = now;
  }
  return out;
}

/** Restore tables at progress `to`: each entry moves linearly from `start` to `baseline`. */
export function restoreTables(start: Tables, baseline: Tables, to: number): Tables {
  const out: Record<string, Record<string, number>> = {};
  for (const [source, base] of Object.entries(baseline)) {
    const from = start[source] ?? base;
    const keys = new Set([...Object.keys(from), ...Object.keys(base)]);
    out[source] = Object.fromEntries(
      [...keys].map((k) => [k, round((from[k] ?? 0) + to * ((base[k] ?? 0) - (from[k] ?? 0)))]),
    );
  }
  return out;
}

export function sameWeights(
  a: Readonly<Record<string, number>> | undefined,
  b: Readonly<Record<string, number>>,
): boolean {
  if (!a) return false;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) if (Math.abs((a[k] ?? 0) - (b[k] ?? 0)) > 1e-9) return false;
  return true;
}

/**
 * Share of the service's traffic the tables send to the datacenter's own destinations: at the edge weighted by
 * each PoP's share of demand, at the cluster layer of the datacenter's own source table.
 */
export function ownShare(tables: Tables, layer: Layer, datacenter: string, fleet: Fleet): number {
  const own = ownDestinations(layer, datacenter, fleet);
  const fraction = (w: Readonly<Record<string, number>>): number => {
    const total = Object.values(w).reduce((a, b) => a + b, 0);
    return total > 0 ? own.reduce((a, d) => a + (w[d] ?? 0), 0) / total : 0;
  };
  if (layer === 'cluster') return tables[datacenter] ? fraction(tables[datacenter]) : 0;
  let share = 0;
  let weight = 0;
  for (const pop of fleet.spec.pops) {
    const w = tables[pop.name];
    if (!w) continue;
    share += pop.share * fraction(w);
    weight += pop.share;
  }
  return weight > 0 ? share / weight : 0;
}
