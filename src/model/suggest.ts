/**
 * "Did you mean" for a misspelt name: the one implementation every message that names an unknown value uses
 * (references in lint, `kind`, `apiVersion` and keys in the loader, functions in expressions).
 */

/** The known name closest to `name`, when it is close enough to be the likely intent; otherwise undefined. */
export function closest(name: string, known: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = distance(name, k);
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.max(1, Math.floor(name.length / 3)) ? best : undefined;
}

/** ` (did you mean "x"?)` to append to a message, or nothing when no known name is close. */
export function suggest(name: string, known: Iterable<string>): string {
  const best = closest(name, known);
  return best !== undefined ? ` (did you mean "${best}"?)` : '';
}

/** Edits between two names (insertions, deletions, substitutions, and swaps of two neighbours: `wiht` is 1 from `with`). */
function distance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 3) return Infinity;
  const rows: number[][] = [Array.from({ length: b.length + 1 }, (_, j) => j)];
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min((rows[i - 1]?.[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (rows[i - 1]?.[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d = Math.min(d, (rows[i - 2]?.[j - 2] ?? 0) + 1);
      cur[j] = d;
    }
    rows.push(cur);
  }
  return rows[a.length]?.[b.length] ?? Infinity;
}
