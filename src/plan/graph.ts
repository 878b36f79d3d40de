/**
 * Graph algorithms of the plan compiler, over nodes numbered 0..n-1 with adjacency lists (`succ[a]` holds b for
 * every edge a → b, "a before b"). Kept free of the domain so that they can be property-tested on random graphs.
 */

/** Strongly connected components (Tarjan, iterative so that deep chains do not overflow the stack). */
export function stronglyConnectedComponents(n: number, succ: readonly (readonly number[])[]): number[][] {
  const index = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const onStack = new Uint8Array(n);
  const stack: number[] = [];
  const components: number[][] = [];
  let counter = 0;
  // Explicit call stack: node and the position reached in its successor list.
  const callNode: number[] = [];
  const callPos: number[] = [];
  for (let root = 0; root < n; root++) {
    if (index[root] !== -1) continue;
    callNode.push(root);
    callPos.push(0);
    index[root] = low[root] = counter++;
    stack.push(root);
    onStack[root] = 1;
    while (callNode.length > 0) {
      const top = callNode.length - 1;
      const v = callNode[top]!;
      const next = succ[v] ?? [];
      const pos = callPos[top]!;
      if (pos < next.length) {
        callPos[top] = pos + 1;
        const w = next[pos]!;
        if (index[w] === -1) {
          index[w] = low[w] = counter++;
          stack.push(w);
          onStack[w] = 1;
          callNode.push(w);
          callPos.push(0);
        } else if (onStack[w]) {
          low[v] = Math.min(low[v]!, index[w]!);
        }
        continue;
      }
      callNode.pop();
      callPos.pop();
      if (callNode.length > 0) {
        const parent = callNode[callNode.length - 1]!;
        low[parent] = Math.min(low[parent]!, low[v]!);
      }
      if (low[v] === index[v]) {
        const component: number[] = [];
        let w: number;
        do {
          w = stack.pop()!;
          onStack[w] = 0;
          component.push(w);
        } while (w !== v);
        components.push(component.sort((a, b) => a - b));
      }
    }
  }
  return components;
}

/** A binary min-heap of node numbers ordered by a comparison, for Kahn's algorithm with priorities. */
class Heap {
  private readonly items: number[] = [];
  constructor(private readonly less: (a: number, b: number) => boolean) {}
  get size(): number {
    return this.items.length;
  }
  push(x: number): void {
    const a = this.items;
    a.push(x);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(a[i]!, a[p]!)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }
  pop(): number {
    const a = this.items;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1,
          r = l + 1;
        let m = i;
        if (l < a.length && this.less(a[l]!, a[m]!)) m = l;
        if (r < a.length && this.less(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}

export type TopoResult =
  | { readonly ok: true; readonly order: number[] }
  /** The graph has a cycle; `cycle` lists its nodes in edge order (first → … → last → first). */
  | { readonly ok: false; readonly cycle: number[] };

/**
 * A topological order (Kahn). Among nodes ready at the same time, `less` decides (for example priority then
 * name), so that the order is deterministic and the ones that matter more come first.
 */
export function topologicalOrder(
  n: number,
  succ: readonly (readonly number[])[],
  less: (a: number, b: number) => boolean = (a, b) => a < b,
): TopoResult {
  const indegree = new Int32Array(n);
  for (let a = 0; a < n; a++) for (const b of succ[a] ?? []) indegree[b]!++;
  const ready = new Heap(less);
  for (let a = 0; a < n; a++) if (indegree[a] === 0) ready.push(a);
  const order: number[] = [];
  while (ready.size > 0) {
    const a = ready.pop();
    order.push(a);
    for (const b of succ[a] ?? []) if (--indegree[b]! === 0) ready.push(b);
  }
  if (order.length === n) return { ok: true, order };
  return { ok: false, cycle: findCycle(n, succ, indegree) };
}

/**
 * A cycle among the nodes Kahn could not order. Every such node still has an unordered predecessor (that is what
 * kept its in-degree positive), so walking predecessors backwards must come back to a node already seen.
 */
function findCycle(n: number, succ: readonly (readonly number[])[], indegree: Int32Array): number[] {
  const blockedPred = new Int32Array(n).fill(-1);
  for (let a = 0; a < n; a++) {
    if (indegree[a] === 0) continue;
    for (const b of succ[a] ?? []) if (indegree[b]! > 0) blockedPred[b] = a;
  }
  const start = indegree.findIndex((d) => d > 0);
  if (start < 0) return [];
  const seenAt = new Map<number, number>();
  const back: number[] = [];
  let v = start;
  while (!seenAt.has(v) && v !== -1) {
    seenAt.set(v, back.length);
    back.push(v);
    v = blockedPred[v]!;
  }
  if (v === -1) return [];
  // `back` runs against the edges; the cycle in edge order is its tail reversed.
  return back.slice(seenAt.get(v)).reverse();
}

/** Predecessor lists from successor lists. */
export function predecessors(n: number, succ: readonly (readonly number[])[]): number[][] {
  const pred: number[][] = Array.from({ length: n }, () => []);
  for (let a = 0; a < n; a++) for (const b of succ[a] ?? []) pred[b]!.push(a);
  return pred;
}

/** Longest-path layering: wave(v) = 0 without predecessors, else 1 + the largest wave of its predecessors. */
export function waves(order: readonly number[], pred: readonly (readonly number[])[]): number[] {
  const wave = new Array<number>(pred.length).fill(0);
  for (const v of order) {
    let w = 0;
    for (const p of pred[v] ?? []) w = Math.max(w, wave[p]! + 1);
    wave[v] = w;
  }
  return wave;
}

export interface CriticalPath {
  /** Nodes of the longest weighted chain, first to last. */
  readonly path: number[];
  /** Its length: the estimated duration with unlimited concurrency. */
  readonly length: number;
  /** Earliest finish of every node. */
  readonly finish: number[];
}

/** The longest chain by node weight (earliest finish times along a topological order). */
export function criticalPath(
  order: readonly number[],
  pred: readonly (readonly number[])[],
  weight: readonly number[],
): CriticalPath {
  const n = pred.length;
  const finish = new Array<number>(n).fill(0);
  const via = new Int32Array(n).fill(-1);
  for (const v of order) {
    let start = 0;
    for (const p of pred[v] ?? []) {
      if (finish[p]! > start || (finish[p] === start && via[v] === -1)) {
        start = finish[p]!;
        via[v] = p;
      }
    }
    finish[v] = start + (weight[v] ?? 0);
  }
  let end = -1;
  let length = 0;
  for (const v of order)
    if (end === -1 || finish[v]! > length) {
      end = v;
      length = finish[v]!;
    }
  const path: number[] = [];
  for (let v = end; v !== -1; v = via[v]!) path.push(v);
  return { path: path.reverse(), length, finish };
}
