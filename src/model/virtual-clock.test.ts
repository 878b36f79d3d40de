import { describe, expect, it } from 'vitest';
import { VirtualClock } from './virtual-clock.js';

describe('virtual clock', () => {
  it('fires sleeps in time order without real waiting', async () => {
    const clock = new VirtualClock(0);
    const seen: string[] = [];
    const a = (async () => {
      await clock.sleep(60_000);
      seen.push(`a@${clock.now()}`);
    })();
    const b = (async () => {
      await clock.sleep(1_000);
      seen.push(`b@${clock.now()}`);
      await clock.sleep(120_000);
      seen.push(`b2@${clock.now()}`);
    })();
    let finished = 0;
    void a.then(() => finished++);
    void b.then(() => finished++);
    expect(await clock.runUntil(() => finished === 2, 1e9)).toBe(true);
    expect(seen).toEqual(['b@1000', 'a@60000', 'b2@121000']);
  });

  it('tells the world how far time moved', async () => {
    const clock = new VirtualClock(100);
    const steps: [number, number][] = [];
    clock.onAdvance = (from, to) => steps.push([from, to]);
    await clock.advanceTo(500);
    expect(steps).toEqual([[100, 500]]);
    expect(clock.now()).toBe(500);
  });

  it('an aborted sleep rejects and no longer holds time', async () => {
    const clock = new VirtualClock(0);
    const ac = new AbortController();
    const p = clock.sleep(10_000, ac.signal);
    ac.abort(new Error('stop'));
    await expect(p).rejects.toThrow('stop');
    expect(clock.pending()).toBe(0);
  });

  it('waits for tracked work outside the clock before moving time', async () => {
    const clock = new VirtualClock(0);
    const seen: string[] = [];
    // A deadline far away, and work that answers only after some real turns of the event loop (as a database does).
    void clock.sleep(3_600_000).then(() => seen.push(`deadline@${clock.now()}`));
    let release!: () => void;
    const query = new Promise<void>((resolve) => {
      release = resolve;
    });
    void (async () => {
      await clock.track(query);
      seen.push(`answered@${clock.now()}`);
      await clock.sleep(1_000);
      seen.push(`next@${clock.now()}`);
    })();
    setTimeout(() => {
      release();
    }, 5);
    expect(await clock.runUntil(() => seen.length === 3, 1e9)).toBe(true);
    expect(seen).toEqual(['answered@0', 'next@1000', 'deadline@3600000']);
  });
});
