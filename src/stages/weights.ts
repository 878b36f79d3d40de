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

/** Takes `amount` of weight off `dests` of `now` (in place), in proportion to `by` of each, never below zero. */
function takeWeight(
  now: Record<string, number>,
  dests: readonly string[],
  amount: number,
  by: (d: string) => number,
): number {
  const total = dests.reduce((a, d) => a + Math.max(0, by(d)), 0);
  if (!(total > 0) || amount <= DUST) return 0;
  let taken = 0;
  for (const d of dests) {
    const share = (amount * Math.max(0, by(d))) / total;
    const t = Math.min(now[d] ?? 0, share);
    now[d] = round((now[d] ?? 0) - t);
    taken += t;
  }
  return taken;
}

/**
 * A targeted step back toward the source (move-back): each source's own destinations go back to
 * `start × (1 − to)` of their weight, as in drainTables, and the weight comes first off the `prefer` destinations
 * (the sick receivers, up to what they gained during the drain), then off the other receivers by what they gained,
 * then off any receiver by its weight.
 */
export function takeBackTables(
  start: Tables,
  current: Tables,
  own: readonly string[],
  to: number,
  prefer: readonly string[],
): Tables {
  const out: Record<string, Record<string, number>> = {};
  for (const [source, startWeights] of Object.entries(start)) {
    const now = { ...(current[source] ?? startWeights) };
    let back = 0;
    for (const d of own) {
      const target = (startWeights[d] ?? 0) * (1 - to);
      back += target - (now[d] ?? 0);
      if (d in now || target > 0) now[d] = round(target);
    }
    if (back > DUST) {
      const others = Object.keys(now).filter((d) => !own.includes(d));
      const gained = (d: string): number => Math.max(0, (now[d] ?? 0) - (startWeights[d] ?? 0));
      const first = others.filter((d) => prefer.includes(d));
      let left = back - takeWeight(now, first, back, gained);
      left -= takeWeight(
        now,
        others.filter((d) => !first.includes(d)),
        left,
        gained,
      );
      takeWeight(now, others, left, (d) => now[d] ?? 0);
    }
    out[source] = now;
  }
  return out;
}

/**
 * Route around: in each table, `shed[d]` (0..1) of the weight on destination `d` moves to the destinations of
 * `to` (fractions summing to 1). The datacenter's own share is untouched, so the drain's progress is too.
 */
export function rerouteTables(
  current: Tables,
  shed: Readonly<Record<string, number>>,
  to: Readonly<Record<string, number>>,
): Tables {
  const out: Record<string, Record<string, number>> = {};
  for (const [source, weights] of Object.entries(current)) {
    const now = { ...weights };
    let moved = 0;
    for (const [d, f] of Object.entries(shed)) {
      const w = now[d] ?? 0;
      if (w <= 0 || f <= 0) continue;
      const m = w * Math.min(1, f);
      now[d] = round(w - m);
      moved += m;
    }
    if (moved > DUST) for (const [d, f] of Object.entries(to)) now[d] = round((now[d] ?? 0) + moved * f);
    out[source] = now;
  }
  return out;
}

/**
 * Where the moved traffic sits: the share of it on each receiver datacenter, from how far each destination's
 * weight is above its start (at the edge weighted by each PoP's share of demand).
 */
export function movedShares(
  start: Tables,
  current: Tables,
  layer: Layer,
  datacenter: string,
  fleet: Fleet,
): Record<string, number> {
  const dcOf = new Map<string, string>();
  for (const d of fleet.spec.datacenters) {
    dcOf.set(d.name, d.name);
    for (const c of d.clusters) dcOf.set(c, d.name);
  }
  const pop = new Map(fleet.spec.pops.map((p) => [p.name, p.share]));
  const sums: Record<string, number> = {};
  for (const [source, s0] of Object.entries(start)) {
    const now = current[source] ?? s0;
    const total = Object.values(now).reduce((a, b) => a + b, 0);
    const total0 = Object.values(s0).reduce((a, b) => a + b, 0);
    if (!(total > 0) || !(total0 > 0)) continue;
    const weight = layer === 'edge' ? (pop.get(source) ?? 0) : 1;
    for (const [d, w] of Object.entries(now)) {
      const dc = layer === 'edge' ? d : dcOf.get(d);
      if (dc === undefined || dc === datacenter) continue;
      const gain = w / total - (s0[d] ?? 0) / total0;
      if (gain > 0) sums[dc] = (sums[dc] ?? 0) + weight * gain;
    }
  }
  return normalise(sums, {});
}
