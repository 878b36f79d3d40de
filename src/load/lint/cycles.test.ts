import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findCycles } from './cycles.js';

function graph(n: number, pairs: readonly [number, number][]): { nodes: string[]; edges: Map<string, string[]> } {
  const nodes = Array.from({ length: n }, (_, i) => `n${i}`);
  const edges = new Map<string, string[]>(nodes.map((x) => [x, []]));
  for (const [a, b] of pairs) edges.get(`n${a % n}`)?.push(`n${b % n}`);
  return { nodes, edges };
}

/** Kahn's algorithm: a graph is acyclic exactly when every node can be removed in topological order. */
function acyclic(nodes: readonly string[], edges: ReadonlyMap<string, readonly string[]>): boolean {
  const indegree = new Map(nodes.map((x) => [x, 0]));
  for (const out of edges.values()) for (const to of out) indegree.set(to, (indegree.get(to) ?? 0) + 1);
  const ready = nodes.filter((x) => indegree.get(x) === 0);
  let removed = 0;
  while (ready.length > 0) {
    const x = ready.pop() ?? '';
    removed++;
    for (const to of edges.get(x) ?? []) {
      const d = (indegree.get(to) ?? 0) - 1;
      indegree.set(to, d);
      if (d === 0) ready.push(to);
    }
  }
  return removed === nodes.length;
}

const arbitraryGraph = fc
  .integer({ min: 1, max: 12 })
  .chain((n) => fc.array(fc.tuple(fc.nat(n - 1), fc.nat(n - 1)), { maxLength: 30 }).map((pairs) => graph(n, pairs)));

describe('findCycles', () => {
  it('finds a cycle exactly when the graph has one', () => {
    fc.assert(
      fc.property(arbitraryGraph, ({ nodes, edges }) => {
        expect(findCycles(nodes, edges).length === 0).toBe(acyclic(nodes, edges));
      }),
    );
  });

  it('returns real cycles: closed paths along edges, each node once', () => {
    fc.assert(
      fc.property(arbitraryGraph, ({ nodes, edges }) => {
        for (const cycle of findCycles(nodes, edges)) {
          expect(cycle.length).toBeGreaterThanOrEqual(2);
          expect(cycle[0]).toBe(cycle[cycle.length - 1]);
          expect(new Set(cycle.slice(1)).size).toBe(cycle.length - 1);
          for (let i = 0; i + 1 < cycle.length; i++) expect(edges.get(cycle[i] ?? '')).toContain(cycle[i + 1]);
        }
      }),
    );
  });

  it('reports disjoint cycles separately, ignores edges to unknown nodes, and survives a long chain', () => {
    const { nodes, edges } = graph(4, [
      [0, 1],
      [1, 0],
      [2, 3],
      [3, 2],
    ]);
    edges.get('n0')?.push('ghost');
    expect(findCycles(nodes, edges)).toEqual([
      ['n0', 'n1', 'n0'],
      ['n2', 'n3', 'n2'],
    ]);
    const chain = graph(
      50_000,
      Array.from({ length: 49_999 }, (_, i) => [i, i + 1] as [number, number]),
    );
    expect(findCycles(chain.nodes, chain.edges)).toEqual([]);
  });
});
