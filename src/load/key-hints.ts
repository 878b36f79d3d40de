/**
 * Where an unknown key belongs. A key that is misspelt gets the closest key of its own mapping; a key that is
 * spelt right but sits at the wrong level (dedented out of `pacing`, say) is found elsewhere in its kind's schema
 * and named by its path from where it was written: `did you mean pacing.targetUtilization?`.
 */
import { z } from 'zod';
import { documentSchemas, type Kind } from '../model/definitions.js';
import { closest } from '../model/suggest.js';

/** A key of the schema and where it lives: `["spec", "pacing"]` for `targetUtilization`; `*` for items and entries. */
interface KeyPlace {
  readonly parent: readonly string[];
  readonly key: string;
}

type JsonSchema = {
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly items?: JsonSchema;
  readonly additionalProperties?: JsonSchema | boolean;
  readonly anyOf?: readonly JsonSchema[];
  readonly oneOf?: readonly JsonSchema[];
  readonly allOf?: readonly JsonSchema[];
};

const places = new Map<Kind, KeyPlace[]>();

/** Every key the kind's schema knows, with the generic path of the mapping that holds it (computed once a kind). */
function keysOf(kind: Kind): KeyPlace[] {
  let known = places.get(kind);
  if (known) return known;
  const out: KeyPlace[] = [];
  const walk = (schema: JsonSchema | boolean | undefined, at: readonly string[], depth: number): void => {
    if (schema === undefined || typeof schema === 'boolean' || depth > 12) return;
    for (const [key, value] of Object.entries(schema.properties ?? {})) {
      out.push({ parent: at, key });
      walk(value, [...at, key], depth + 1);
    }
    walk(schema.items, [...at, '*'], depth + 1);
    if (typeof schema.additionalProperties === 'object') walk(schema.additionalProperties, [...at, '*'], depth + 1);
    for (const alt of [...(schema.anyOf ?? []), ...(schema.oneOf ?? []), ...(schema.allOf ?? [])])
      walk(alt, at, depth + 1);
  };
  walk(z.toJSONSchema(documentSchemas[kind], { io: 'input', unrepresentable: 'any' }) as JsonSchema, [], 0);
  known = out;
  places.set(kind, known);
  return known;
}

function generic(path: readonly (string | number)[]): string[] {
  return path.map((p) => (typeof p === 'number' ? '*' : p));
}

function startsWith(path: readonly string[], prefix: readonly string[]): boolean {
  return prefix.length <= path.length && prefix.every((p, i) => p === '*' || path[i] === '*' || path[i] === p);
}

function sameMapping(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && startsWith(a, b);
}

/** `pacing.targetUtilization`, `tasks[].after`: a path as a person reads it. */
function show(path: readonly string[]): string {
  return path.reduce((s, p) => (p === '*' ? `${s}[]` : s === '' ? p : `${s}.${p}`), '');
}

/**
 * `; did you mean …?` for the unknown `key` found in the mapping at `at` (its path from the document), or an empty
 * string when nothing in the schema is close.
 */
export function unknownKeyHint(kind: Kind, at: readonly (string | number)[], key: string): string {
  const here = generic(at);
  const all = keysOf(kind);
  const siblings = all.filter((p) => sameMapping(p.parent, here)).map((p) => p.key);
  const spelt = closest(key, siblings);
  if (spelt !== undefined) return `; did you mean "${spelt}"?`;
  // The same key (or a near spelling) elsewhere: below this mapping first, then anywhere, the shortest path first.
  const exact = all.filter((p) => p.key === key);
  const near = exact.length > 0 ? exact : all.filter((p) => closest(key, [p.key]) !== undefined);
  const ranked = [...near].sort(
    (a, b) =>
      Number(startsWith(b.parent, here)) - Number(startsWith(a.parent, here)) ||
      a.parent.length - b.parent.length ||
      a.key.localeCompare(b.key),
  );
  const best = ranked[0];
  if (!best) return '';
  const full = [...best.parent, best.key];
  const below = startsWith(best.parent, here) && best.parent.length >= here.length;
  return `; did you mean ${show(below ? full.slice(here.length) : full)}?`;
}
