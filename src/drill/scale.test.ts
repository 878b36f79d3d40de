import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../model/virtual-clock.js';
import { scaledClock } from './scale.js';

describe('scaledClock', () => {
  it('sleeps a fraction of the time and keeps its own now() consistent with the sleep', async () => {
    const clock = new VirtualClock(1000);
    const fast = scaledClock(clock, 0.5);
    const until = fast.now() + 60_000;
    let woke = false;
    void fast.sleep(until - fast.now()).then(() => {
      woke = true;
    });
    await clock.advanceTo(1000 + 30_000);
    expect(woke).toBe(true);
    expect(fast.now()).toBe(until);
    expect(clock.now()).toBe(31_000);
  });
});
