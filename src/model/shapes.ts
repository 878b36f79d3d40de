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
