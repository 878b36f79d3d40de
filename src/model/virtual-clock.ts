/**
 * A clock whose time moves only when everything waiting on it is idle: sleeps complete in virtual time, in order,
 * as fast as the code under it can run. The simulator advances its world through `onAdvance`; the engine neither
 * knows nor cares that time is virtual.
 */
import type { Clock } from './clock.js';
import { objectList } from './shapes.js';

interface Timer {
  readonly at: number;
  readonly seq: number;
  readonly resolve: () => void;
}

/** Lets every pending promise callback (and those they queue) run before time moves. */
export async function flushPending(rounds = 3): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
}

export class VirtualClock implements Clock {
  private time: number;
  private seq = 0;
  // One array for the clock's life, changed in place (see shapes.ts): every sleep and advance reads it.
  private readonly timers = objectList<Timer>();
  /** Work outside the clock that time waits for (see `track`). */
  private busy = 0;
  private idle: (() => void)[] = [];
  /** Called with (from, to) before time moves forward, so a world can step itself to `to`. */
  onAdvance: ((from: number, to: number) => void) | undefined;

  constructor(startMs: number) {
    this.time = startMs;
  }

  now(): number {
    return this.time;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason as Error);
        return;
      }
      const timer: Timer = {
        at: this.time + Math.max(0, ms),
        seq: this.seq++,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = (): void => {
        const i = this.timers.indexOf(timer);
        if (i >= 0) this.timers.splice(i, 1);
        reject(signal?.reason as Error);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.insert(timer);
    });
  }

  /**
   * Makes time wait for work that is neither a sleep nor done within a few turns of the event loop, such as a round
   * trip to a database server: without it, time would run ahead to the next sleep while the engine still waits for
   * its store, and a whole run's time could pass in one query.
   */
  track<T>(work: Promise<T>): Promise<T> {
    this.busy++;
    return work.finally(() => {
      if (--this.busy === 0) for (const wake of this.idle.splice(0)) wake();
    });
  }

  /** Until everything queued has run and no tracked work is outstanding. */
  private async settle(): Promise<void> {
    await flushPending();
    while (this.busy > 0) {
      await new Promise<void>((resolve) => {
        this.idle.push(resolve);
      });
      await flushPending();
    }
  }

  /** Number of sleeps waiting. */
  pending(): number {
    return this.timers.length;
  }

  /** Time of the earliest waiting sleep, if any. */
  nextAt(): number | undefined {
    return this.timers.length > 0 ? this.timers[0]!.at : undefined;
  }

  /** Moves time to `to` (never backwards), firing every sleep due by then in order. */
  async advanceTo(to: number): Promise<void> {
    await this.settle();
    for (;;) {
      if (this.timers.length === 0) break;
      const next = this.timers[0]!;
      if (next.at > to) break;
      this.moveTo(next.at);
      // The timers are in time order: those due now are the first ones.
      let n = 1;
      while (n < this.timers.length && this.timers[n]!.at === next.at) n++;
      const due = this.timers.splice(0, n);
      for (const t of due) t.resolve();
      await this.settle();
    }
    this.moveTo(to);
  }

  /**
   * Runs until `done()` holds or time reaches `limit`: whenever nothing can run, time jumps to the next sleep.
   * Returns false when it stopped because nothing was waiting (everything finished or is stuck on non-clock work).
   */
  async runUntil(done: () => boolean, limit: number): Promise<boolean> {
    await this.settle();
    while (!done()) {
      if (this.timers.length === 0) return false;
      const next = this.timers[0]!;
      if (next.at > limit) {
        this.moveTo(limit);
        return done();
      }
      await this.advanceTo(next.at);
    }
    return true;
  }

  private moveTo(t: number): void {
    if (t <= this.time) return;
    const from = this.time;
    this.onAdvance?.(from, t);
    this.time = t;
  }

  private insert(timer: Timer): void {
    // Stable order: by time, then by the order sleeps were asked for, so runs are deterministic.
    let i = this.timers.length;
    while (i > 0 && this.timers[i - 1]!.at > timer.at) i--;
    this.timers.splice(i, 0, timer);
  }
}
