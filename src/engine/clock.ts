/**
 * A clock whose sleeps never end early. A clock derived from the wall clock (a remote simulator's scaled time)
 * can wake a timer a few ms before its own `now()` reaches the target, and a stage that checks "has the wait
 * passed?" right after waking would then see that it has not. The engine hands stages this wrapper so that after
 * `sleep(ms)` resolves, `now()` is at least the time it was asked for.
 */
import type { Clock } from '../model/clock.js';

export function settledClock(clock: Clock): Clock {
  return {
    now: () => clock.now(),
    sleep: async (ms, signal) => {
      const target = clock.now() + Math.max(0, ms);
      await clock.sleep(ms, signal);
      for (let i = 0; i < 100 && clock.now() < target; i++)
        await clock.sleep(Math.max(1, target - clock.now()), signal);
    },
  };
}
