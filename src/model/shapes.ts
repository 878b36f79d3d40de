/**
 * Helpers that keep objects of one kind in one shape (hidden class) for V8: code that runs at every poll is
 * optimised for the shapes it has seen, and one it meets later throws that code away to be compiled again.
 */

/**
 * A new empty array that V8 already holds as an array of any values. A literal `[]` is an array of small integers
 * until something else is pushed, so empty and filled lists read by the same code would be two kinds of array.
 */
export function objectList<T>(): T[] {
  const out = [undefined as T];
  out.length = 0;
  return out;
}

/** A copy of `items` as an `objectList`. */
export function objectListOf<T>(items: readonly T[]): T[] {
  const out = objectList<T>();
  for (const x of items) out.push(x);
  return out;
}

/**
 * `items.map(f)` as an `objectList`. What `Array.prototype.map` returns depends on how its caller runs: a packed
 * array from unoptimised code, a holey one (another kind to V8) where the caller has been optimised. The readers of
 * a list mapped in one function then see both kinds as that function is optimised and thrown away again, and each
 * switch throws their own optimised code away ("wrong map"). Pushed one by one, the list is of one kind always.
 */
export function mapList<T, U>(items: readonly T[], f: (item: T) => U): U[] {
  const out = objectList<U>();
  for (const x of items) out.push(f(x));
  return out;
}
