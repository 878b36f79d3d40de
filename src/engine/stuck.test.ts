import { describe, expect, it } from 'vitest';
import { seededRandom } from '../model/random.js';
import { MIN_HISTORY, percentile, stuckFence } from './stuck.js';

/** One propagation delay and one settle window of the reference fleet's pacing (30 s + 60 s). */
const MARGIN_MS = 90_000;
const fenceOf = (history: readonly number[]) => stuckFence(history, { percentile: 75, marginMs: MARGIN_MS });

/** A standard normal number from two uniform ones (Box–Muller). */
function normal(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

describe('stuck fence', () => {
  it('takes the nearest-rank percentile', () => {
    expect(percentile([5, 1, 4, 2, 3], 75)).toBe(4);
    expect(percentile([5, 1, 4, 2, 3], 25)).toBe(2);
    expect(percentile([], 75)).toBeUndefined();
  });

  it('says nothing with fewer than five earlier durations', () => {
    expect(MIN_HISTORY).toBe(5);
    expect(fenceOf([10_000, 10_000, 10_000, 10_000])).toBeUndefined();
    expect(fenceOf([10_000, 10_000, 10_000, 10_000, 10_000])).toBeDefined();
  });

  it("sits Tukey's far-out fence above the 75th percentile, at least twice it and one step of the world above it", () => {
    // Spread out: p75 + 3 × IQR decides.
    expect(fenceOf([100_000, 200_000, 300_000, 400_000, 500_000])).toMatchObject({
      percentileMs: 400_000,
      iqrMs: 200_000,
      afterMs: 400_000 + 600_000,
    });
    // Tight and long: at least twice the 75th percentile.
    expect(fenceOf([600_000, 610_000, 620_000, 630_000, 640_000])!.afterMs).toBe(630_000 * 2);
    // Tight and short: at least one propagation and settle above it.
    expect(fenceOf([10_000, 10_000, 11_000, 12_000, 12_000])!.afterMs).toBe(12_000 + MARGIN_MS);
  });

  it('reads the most recent fifty durations only', () => {
    const old = Array.from({ length: 100 }, () => 1_000_000);
    const recent = Array.from({ length: 50 }, () => 100_000);
    expect(fenceOf([...recent, ...old])).toMatchObject({ percentileMs: 100_000, samples: 50 });
  });

  const lognormal = '40 runs of an 18-task plan with log-normal durations (σ = 0.3)';
  it(`${lognormal}: at most two flags in 720 task runs, and a task hung at 5× its usual time flagged`, () => {
    const random = seededRandom(20260302);
    // Medians from one to seven minutes, as the tasks of a plan of the reference fleet take.
    const medians = Array.from({ length: 18 }, (_, i) => 60_000 + i * 20_000);
    const history = medians.map((): number[] => []);
    let flags = 0;
    let runs = 0;
    for (let run = 0; run < 40; run++) {
      medians.forEach((median, task) => {
        const took = median * Math.exp(0.3 * normal(random));
        const fence = fenceOf(history[task]!);
        if (fence !== undefined && took > fence.afterMs) flags++;
        runs++;
        // The store answers the most recent first.
        history[task]!.unshift(took);
      });
    }
    expect(runs).toBe(720);
    expect(flags).toBeLessThanOrEqual(2);
    // The 41st run: each task in turn hangs at five times its usual time, and is flagged before it gets there.
    medians.forEach((median, task) => {
      expect(fenceOf(history[task]!)!.afterMs).toBeLessThan(5 * median);
    });
  });
});
