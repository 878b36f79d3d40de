/**
 * The first difference between a recording and a new run, in a sentence a reader can act on: which event, which
 * field, what was recorded and what came now. Undefined when the two are the same.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const show = (v: unknown): string => (v === undefined ? '(absent)' : JSON.stringify(v));

/** The first path at which two JSON values differ (`.plans[0].drainSeconds: recorded 1506, now 1507`). */
export function firstDifference(recorded: Json, now: Json, path = ''): string | undefined {
  if (Object.is(recorded, now)) return undefined;
  const where = path === '' ? '(the whole document)' : path;
  if (Array.isArray(recorded) && Array.isArray(now)) {
    for (let i = 0; i < Math.min(recorded.length, now.length); i++) {
      const d = firstDifference(recorded[i]!, now[i]!, `${path}[${i}]`);
      if (d !== undefined) return d;
    }
    if (recorded.length !== now.length)
      return `${where}: ${recorded.length} items recorded, ${now.length} now; first unmatched: ${show(
        recorded.length > now.length ? recorded[now.length] : now[recorded.length],
      )}`;
    return undefined;
  }
  const isObject = (v: Json): v is { [key: string]: Json } => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (isObject(recorded) && isObject(now)) {
    const keys = [...new Set([...Object.keys(recorded), ...Object.keys(now)])];
    for (const k of keys) {
      if (!(k in recorded) || !(k in now)) return `${path}.${k}: recorded ${show(recorded[k])}, now ${show(now[k])}`;
      const d = firstDifference(recorded[k]!, now[k]!, `${path}.${k}`);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  return `${where}: recorded ${show(recorded)}, now ${show(now)}`;
}

/**
 * The first differing line of two JSON Lines texts (`what` names a line: "event", "action"), with the field that
 * differs in it and both lines in full.
 */
export function firstLineDifference(what: string, recorded: string, now: string): string | undefined {
  if (recorded === now) return undefined;
  const a = recorded.split('\n');
  const b = now.split('\n');
  // Both texts end with a newline, so the last element of each is empty and not a line.
  const count = (lines: string[]): number => lines.length - (lines.at(-1) === '' ? 1 : 0);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] === b[i]) continue;
    const head = `${what} ${i + 1} differs (${count(a)} ${what}s recorded, ${count(b)} now)`;
    if (a[i] === undefined || a[i] === '') return `${head}: not recorded, now ${b[i]}`;
    if (b[i] === undefined || b[i] === '') return `${head}: recorded ${a[i]}, absent now`;
    const field = firstDifference(JSON.parse(a[i]!) as Json, JSON.parse(b[i]!) as Json);
    return `${head} at ${field ?? 'its formatting'}\n  recorded: ${a[i]}\n  now:      ${b[i]}`;
  }
  return `the ${what}s differ in their formatting only`;
}
