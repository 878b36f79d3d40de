/**
 * HAProxy weights are integers 0..256 and relative within a backend. Integer tables that fit are sent as they are
 * (so an operator's `60/30/10` reads back unchanged); any other table is scaled so its largest weight is 256, which
 * keeps a drain's small fractional steps visible. A positive weight never rounds down to 0: that would drain a
 * destination the table meant to keep.
 */
export const HAPROXY_MAX_WEIGHT = 256;

export function toHaproxyWeights(weights: Readonly<Record<string, number>>): Record<string, number> {
  const values = Object.values(weights);
  const max = Math.max(0, ...values);
  const asIs = values.every((w) => Number.isInteger(w) && w <= HAPROXY_MAX_WEIGHT);
  const scale = asIs || max === 0 ? 1 : HAPROXY_MAX_WEIGHT / max;
  const out: Record<string, number> = {};
  for (const [k, w] of Object.entries(weights))
    out[k] = w <= 0 ? 0 : Math.min(HAPROXY_MAX_WEIGHT, Math.max(1, Math.round(w * scale)));
  return out;
}

export function sameIntegers(a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) if ((a[k] ?? 0) !== (b[k] ?? 0)) return false;
  return true;
}
