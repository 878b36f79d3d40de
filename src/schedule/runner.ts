/**
 * The schedule runner `maelstrom serve` starts once it holds the store's lease: every schedule of the definitions,
 * each test as it falls due (due.ts), each running test carried to its end (carry-out.ts), and the tests' kill
 * switch. On start it picks up the tests a previous controller left running, and records as skipped the tests that
 * fell due while no controller drove the store.
 */
import type { Actor } from '../engine/controller.js';
import type { TestsView } from '../model/api.js';
import type { Schedule } from '../model/definitions.js';
import { toMaelstromError } from '../model/errors.js';
import type { TestRecord, TestsHalt } from '../store/store.js';
import { calendarOf, dueTimes, type Calendar } from './calendar.js';
import { carryOut } from './carry-out.js';
import { Waker, type ScheduleDeps } from './deps.js';
import { attemptDue } from './due.js';
import { switchTests, type HaltResult } from './halt.js';
import { testsView } from './view.js';

/** The runner sleeps at most this long at a time (clock ms), so that a clock that jumps is noticed. */
const MAX_SLEEP_MS = 60_000;
/** At most this many missed due times are recorded as skipped when a controller starts. */
const MAX_MISSED = 20;

/** What the server asks of the schedules: the view, and the kill switch. */
export interface TestsControl {
  view(): Promise<TestsView>;
  halt(actor: Actor, reason: string): Promise<HaltResult>;
  resume(actor: Actor, reason?: string): Promise<HaltResult>;
}

export interface ScheduleRunner extends TestsControl {
  readonly schedules: readonly Schedule[];
  /** Picks up running tests, records missed ones, and starts watching the calendars. */
  start(): Promise<void>;
  /** Stops watching (the runs go on in the engine; the next controller picks the tests up). */
  close(): Promise<void>;
}

export function createScheduleRunner(
  deps: ScheduleDeps,
  schedules: readonly Schedule[] = [...deps.definitions.schedules.values()],
): ScheduleRunner {
  const { clock, store, logger } = deps;
  const calendars = new Map<string, Calendar>(schedules.map((s) => [s.metadata.name, calendarOf(s)]));
  const byName = new Map(schedules.map((s) => [s.metadata.name, s]));
  const waker = new Waker();
  const stop = new AbortController();
  const running = new Map<string, Promise<TestRecord | undefined>>();
  let loop: Promise<void> | undefined;

  const follow = (test: TestRecord): void => {
    const schedule = byName.get(test.schedule);
    if (!schedule || running.has(test.id)) {
      if (!schedule) logger.warn(`test ${test.id} belongs to schedule ${test.schedule}, which is not defined here`);
      return;
    }
    const done = carryOut(deps, schedule, test, waker, stop.signal)
      .catch((e: unknown) => {
        logger.warn(`test ${test.id}: ${toMaelstromError(e).message} (it is picked up again on the next start)`);
        return undefined;
      })
      .finally(() => running.delete(test.id));
    running.set(test.id, done);
  };

  /** Tests due while nobody drove the store, after the last one the store knows of for each schedule. */
  const recordMissed = async (now: number): Promise<void> => {
    for (const [name, calendar] of calendars) {
      const [test] = await store.listTests({ schedule: name, limit: 1 });
      const [skip] = await store.listSkips({ schedule: name, limit: 1 });
      const last = Math.max(test?.dueAt ?? -Infinity, skip?.at ?? -Infinity);
      if (!Number.isFinite(last)) continue;
      const missed = dueTimes(calendar, last + 1, now).slice(-MAX_MISSED);
      for (const at of missed) {
        const skip = { schedule: name, at, reason: 'no controller was driving the store when it was due' };
        const id = await store.recordSkip(skip);
        deps.onSkip?.({ id, ...skip });
      }
    }
  };

  /** The kill switch as last told (`halted@since`): each throw is told once, by whichever process it came from. */
  let toldSwitch: string | undefined;
  const switchKey = (h: TestsHalt | undefined): string | undefined => (h ? `${h.halted}@${h.since}` : undefined);
  const tellSwitch = async (stopping?: readonly TestRecord[]): Promise<void> => {
    if (!deps.onSwitch) return;
    const halt = await store.testsHalt();
    const key = switchKey(halt);
    if (!halt || key === toldSwitch) return;
    toldSwitch = key;
    const running = halt.halted ? (stopping ?? (await store.listTests({ active: true }))) : [];
    deps.onSwitch(
      halt,
      running.map((t) => t.datacenter),
    );
  };

  const watch = async (from: number): Promise<void> => {
    const cursor = new Map<string, number>([...calendars.keys()].map((n) => [n, from]));
    while (!stop.signal.aborted) {
      // A switch thrown by another process (`maelstrom tests halt`) is told within a minute of the clock.
      await tellSwitch().catch((e: unknown) => {
        logger.warn(`schedules: the tests' kill switch: ${toMaelstromError(e).message}`);
      });
      const now = clock.now();
      let nextAt = now + MAX_SLEEP_MS;
      for (const [name, calendar] of calendars) {
        const due = calendar.cadence.next(cursor.get(name)!);
        if (due === undefined) continue;
        if (due > now) {
          nextAt = Math.min(nextAt, due);
          continue;
        }
        cursor.set(name, due);
        try {
          const outcome = await attemptDue(deps, byName.get(name)!, calendar, due);
          if (outcome.kind === 'started') follow(outcome.test);
        } catch (e) {
          logger.warn(
            `schedule ${name}: the test due at ${new Date(due).toISOString()}: ${toMaelstromError(e).message}`,
          );
        }
        nextAt = now;
      }
      if (nextAt > now) await waker.sleep(clock, nextAt - now, stop.signal);
    }
  };

  return {
    schedules,
    start: async () => {
      if (loop || calendars.size === 0) return;
      const now = clock.now();
      // The switch as it stands was told by whoever drove the store when it was thrown.
      toldSwitch = switchKey(await store.testsHalt());
      for (const t of await store.listTests({ active: true })) follow(t);
      await recordMissed(now);
      loop = watch(now).catch((e: unknown) => {
        logger.warn(`schedules stopped: ${toMaelstromError(e).message}`);
      });
    },
    close: async () => {
      stop.abort();
      waker.wake();
      await loop;
      await Promise.all(running.values());
    },
    view: () => testsView(store, deps.definitions, clock.now()),
    /** The kill switch: no test starts, and every running one is aborted and restored. */
    halt: async (actor, reason) => {
      const result = await switchTests(store, actor, true, reason, clock.now());
      logger.warn(`tests halted by ${actor.name}: ${reason} (${result.stopping.length} running)`);
      await tellSwitch(result.stopping);
      waker.wake();
      return result;
    },
    resume: async (actor, reason) => {
      const result = await switchTests(store, actor, false, reason, clock.now());
      logger.info(`tests resumed by ${actor.name}`);
      await tellSwitch();
      return result;
    },
  };
}
