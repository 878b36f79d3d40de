/**
 * "Did you mean" for a misspelt name: the one implementation every message that names an unknown value uses
 * (references in lint, `kind` and `apiVersion` in the loader).
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

function distance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 3) return Infinity;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(
        (prev[j] ?? 0) + 1,
        (cur[j - 1] ?? 0) + 1,
        (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    prev = cur;
  }
  return prev[b.length] ?? Infinity;
}
