/**
 * What the schedule runner is handed: the controller it starts and stops runs through, the store it keeps tests in,
 * the fleet's readings its guards and abort conditions read, and the clock it lives in (the backend's: virtual for
 * a rehearsal, scaled for the demo, the wall clock for a real fleet). It depends on interfaces only.
 */
import type { MetricsSource } from '../backends/backend.js';
import type { Actor, Controller } from '../engine/controller.js';
import type { Logger } from '../engine/runtime.js';
import type { Clock } from '../model/clock.js';
import type { Definitions } from '../model/definitions.js';
import { MaelstromError } from '../model/errors.js';
import type { AuditLog, RunStore, TestSkip, TestStore, TestsHalt } from '../store/store.js';

/** The part of a store the runner reads and writes. */
export type ScheduleStore = TestStore & AuditLog & Pick<RunStore, 'listRuns' | 'listEvents'>;

export interface ScheduleDeps {
  readonly definitions: Definitions;
  readonly controller: Pick<Controller, 'startRun' | 'getRun' | 'command' | 'preview' | 'subscribe'>;
  readonly store: ScheduleStore;
  readonly readings: MetricsSource;
  readonly clock: Clock;
  readonly logger: Logger;
  /** How often a running test is looked at (its runs, the halt, incidents, the abort conditions), clock ms. */
  readonly pollMs: number;
  /** Ids of new tests. */
  readonly newId: () => string;
  /** Told of every due test recorded as skipped, once (serve sends it to the notifiers as `test.skipped`). */
  readonly onSkip?: (skip: TestSkip) => void;
  /**
   * Told once of each throw of the tests' kill switch, halt and resume, whichever process threw it (serve sends it
   * as `tests.halted`), with the datacenters of the tests running when it was halted.
   */
  readonly onSwitch?: (halt: TestsHalt, running: readonly string[]) => void;
}

/** 10 s of the clock: as often as the engine reads a task's health. */
export const DEFAULT_TEST_POLL_MS = 10_000;

/** Who a schedule acts as: the runs it starts and stops are recorded as its own. */
export function scheduleActor(schedule: string): Actor {
  return { name: `schedule/${schedule}`, role: 'operator' };
}

/** Sleeps on a clock that `wake()` ends early, for every sleeper at once (a halt wakes every running test). */
export class Waker {
  private sleepers = new Set<AbortController>();

  wake(): void {
    for (const s of this.sleepers) s.abort(new MaelstromError('E_ABORTED', 'woken'));
    this.sleepers.clear();
  }

  /** Resolves after `ms` of the clock, when woken, or when `signal` aborts; never rejects. */
  async sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return;
    const ac = new AbortController();
    const relay = (): void => {
      ac.abort(signal?.reason);
    };
    signal?.addEventListener('abort', relay, { once: true });
    this.sleepers.add(ac);
    try {
      await clock.sleep(Math.max(0, ms), ac.signal);
    } catch {
      // woken, or stopped
    } finally {
      this.sleepers.delete(ac);
      signal?.removeEventListener('abort', relay);
    }
  }
}
