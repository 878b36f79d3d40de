import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { criticalPath, predecessors, stronglyConnectedComponents, topologicalOrder, waves } from './graph.js';

/** A random directed graph: n nodes, edges as pairs (self-loops and duplicates allowed). */
const graph = fc.integer({ min: 1, max: 40 }).chain((n) =>
  fc.record({
    n: fc.constant(n),
    edges: fc.array(fc.tuple(fc.nat(n - 1), fc.nat(n - 1)), { maxLength: n * 3 }),
  }),
);

/** A random DAG: edges only from a lower to a higher number under a random permutation. */
const dag = graph.chain(({ n, edges }) =>
  fc.shuffledSubarray([...Array(n).keys()], { minLength: n, maxLength: n }).map((perm) => ({
    n,
    edges: edges.filter(([a, b]) => a < b).map(([a, b]) => [perm[a]!, perm[b]!] as [number, number]),
  })),
);

function adjacency(n: number, edges: readonly (readonly [number, number])[]): number[][] {
  const succ: number[][] = Array.from({ length: n }, () => []);
  for (const [a, b] of edges) succ[a]!.push(b);
  return succ;
}

function reachable(n: number, succ: readonly (readonly number[])[], from: number): Set<number> {
  const seen = new Set<number>([from]);
  const stack = [from];
  while (stack.length > 0)
    for (const w of succ[stack.pop()!]!)
      if (!seen.has(w)) {
        seen.add(w);
        stack.push(w);
      }
  return seen;
}

describe('graph algorithms', () => {
  it('a topological order of a DAG respects every edge and lists every node once', () => {
    fc.assert(
      fc.property(dag, ({ n, edges }) => {
        const r = topologicalOrder(n, adjacency(n, edges));
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        expect([...r.order].sort((a, b) => a - b)).toEqual([...Array(n).keys()]);
        const pos = new Map(r.order.map((v, i) => [v, i] as const));
        for (const [a, b] of edges) expect(pos.get(a)!).toBeLessThan(pos.get(b)!);
      }),
    );
  });

  it('a graph with a cycle yields a real cycle instead of an order', () => {
    fc.assert(
      fc.property(graph, ({ n, edges }) => {
        const succ = adjacency(n, edges);
        const r = topologicalOrder(n, succ);
        const cyclic =
          stronglyConnectedComponents(n, succ).some((c) => c.length > 1) || edges.some(([a, b]) => a === b);
        expect(r.ok).toBe(!cyclic);
        if (r.ok) return;
        expect(r.cycle.length).toBeGreaterThan(0);
        r.cycle.forEach((v, i) => expect(succ[v]).toContain(r.cycle[(i + 1) % r.cycle.length]));
      }),
    );
  });

  it('strongly connected components partition the nodes, and two nodes share one iff each reaches the other', () => {
    fc.assert(
      fc.property(graph, ({ n, edges }) => {
        const succ = adjacency(n, edges);
        const components = stronglyConnectedComponents(n, succ);
        const all = components.flat().sort((a, b) => a - b);
        expect(all).toEqual([...Array(n).keys()]);
        const componentOf = new Map<number, number>();
        components.forEach((c, i) => {
          for (const v of c) componentOf.set(v, i);
        });
        const reach = [...Array(n).keys()].map((v) => reachable(n, succ, v));
        const wrong: [number, number][] = [];
        for (let a = 0; a < n; a++)
          for (let b = 0; b < n; b++) {
            if ((componentOf.get(a) === componentOf.get(b)) !== (reach[a]!.has(b) && reach[b]!.has(a)))
              wrong.push([a, b]);
          }
        expect(wrong).toEqual([]);
      }),
    );
  });

  it('components come out callees first: no edge leads to a component emitted later', () => {
    fc.assert(
      fc.property(graph, ({ n, edges }) => {
        const components = stronglyConnectedComponents(n, adjacency(n, edges));
        const index = new Map<number, number>();
        components.forEach((c, i) => {
          for (const v of c) index.set(v, i);
        });
        for (const [a, b] of edges) expect(index.get(b)!).toBeLessThanOrEqual(index.get(a)!);
      }),
    );
  });

  it('waves are consistent: a node is one wave after its latest predecessor, sources in wave 0', () => {
    fc.assert(
      fc.property(dag, ({ n, edges }) => {
        const succ = adjacency(n, edges);
        const r = topologicalOrder(n, succ);
        if (!r.ok) throw new Error('a DAG has an order');
        const pred = predecessors(n, succ);
        const w = waves(r.order, pred);
        for (let v = 0; v < n; v++) {
          const ps = pred[v]!;
          expect(w[v]).toBe(ps.length === 0 ? 0 : Math.max(...ps.map((p) => w[p]! + 1)));
        }
      }),
    );
  });

  it('the critical path is a chain of edges whose weight is the largest finish time', () => {
    fc.assert(
      fc.property(
        dag.chain((g) =>
          fc.record({ g: fc.constant(g), weight: fc.array(fc.nat(100), { minLength: g.n, maxLength: g.n }) }),
        ),
        ({ g, weight }) => {
          const succ = adjacency(g.n, g.edges);
          const r = topologicalOrder(g.n, succ);
          if (!r.ok) throw new Error('a DAG has an order');
          const pred = predecessors(g.n, succ);
          const cp = criticalPath(r.order, pred, weight);
          expect(cp.path.length).toBeGreaterThan(0);
          for (let i = 1; i < cp.path.length; i++) expect(succ[cp.path[i - 1]!]).toContain(cp.path[i]);
          expect(cp.path.reduce((s, v) => s + weight[v]!, 0)).toBe(cp.length);
          expect(cp.length).toBe(Math.max(...cp.finish));
          // No predecessor finishes later than a node starts.
          for (let v = 0; v < g.n; v++)
            for (const p of pred[v]!) expect(cp.finish[p]!).toBeLessThanOrEqual(cp.finish[v]! - weight[v]!);
        },
      ),
    );
  });

  it('ready nodes are taken by the given preference', () => {
    // 0 → 3, with 1 and 2 free: preferring higher numbers takes 2, 1, 0, then 3.
    const r = topologicalOrder(4, [[3], [], [], []], (a, b) => a > b);
    expect(r).toEqual({ ok: true, order: [2, 1, 0, 3] });
  });

  it('handles a long chain without exhausting the stack', () => {
    const n = 100_000;
    const succ = Array.from({ length: n }, (_, i) => (i + 1 < n ? [i + 1] : []));
    succ[n - 1] = [0];
    expect(stronglyConnectedComponents(n, succ)).toHaveLength(1);
  });
});
