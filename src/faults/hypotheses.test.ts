import { describe, expect, it } from 'vitest';
import { LineageHypotheses } from './hypotheses.js';

describe('lineage hypotheses', () => {
  it('proposes the single faults that break a derivation first, then none once each is ruled out', () => {
    const h = new LineageHypotheses(2);
    h.addDerivation('p', [3, 5]);
    const first = h.next(8);
    expect(first.map((x) => x.length)).toEqual([1, 1]);
    expect(first.flat().sort()).toEqual([3, 5]);
    // Both were counterexamples: nothing minimal remains.
    for (const x of first) h.blockSupersets(x);
    expect(h.next(8)).toEqual([]);
  });

  it('needs a fault in every derivation once a survivor showed redundancy', () => {
    const h = new LineageHypotheses(2);
    h.addDerivation('p', [1]);
    expect(h.next(4)).toEqual([[1]]);
    // Fault 1 did not break p: the run rested on support broken by 2 instead.
    h.addDerivation('p', [2]);
    h.blockExactly([1]);
    expect(h.next(4)).toEqual([[1, 2]]);
  });

  it('certifies when no set of at most K faults breaks every derivation of any property', () => {
    const h = new LineageHypotheses(1);
    h.addDerivation('p', [1]);
    h.addDerivation('p', [2]);
    expect(h.next(4)).toEqual([]);
  });

  it('never proposes a property nothing can break', () => {
    const h = new LineageHypotheses(2);
    h.addDerivation('p', []);
    h.addDerivation('q', [7]);
    expect(h.next(4)).toEqual([[7]]);
  });

  it('a batch holds no superset of another of its hypotheses', () => {
    const h = new LineageHypotheses(2);
    h.addDerivation('p', [1, 2]);
    h.addDerivation('q', [3]);
    const batch = h.next(10);
    for (const a of batch) for (const b of batch) if (a !== b) expect(a.every((x) => b.includes(x))).toBe(false);
    expect(batch.flat().sort()).toEqual([1, 2, 3]);
  });

  it('tries the faults of a lower tier first among hypotheses of one size, then the others before any larger one', () => {
    const h = new LineageHypotheses(
      2,
      (id) => id,
      (id) => (id >= 10 ? 1 : 0),
      2,
    );
    h.addDerivation('p', [11, 3, 12]);
    h.addDerivation('q', [4, 13]);
    const first = h.next(5);
    expect(first.slice(0, 2).flat().sort()).toEqual([3, 4]);
    expect(first.slice(2).flat().sort()).toEqual([11, 12, 13]);
  });

  it('the window: a hypothesis is no superset of a pending one, and a survivor opens its supersets again', () => {
    const h = new LineageHypotheses(2);
    h.addDerivation('p', [1]);
    const one = h.propose([]);
    expect(one).toEqual([1]);
    expect(h.propose([one!])).toBeUndefined();
    // Fault 1 did not break p: the run rested on support broken by 2.
    h.addDerivation('p', [2]);
    h.blockExactly([1]);
    expect(h.propose([])).toEqual([1, 2]);
  });
});
