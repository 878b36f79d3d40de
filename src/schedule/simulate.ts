/**
 * `maelstrom schedule simulate`: a schedule's calendar rehearsed on virtual time against the in-process simulator,
 * from an empty history. Every due time goes through the same decision as under `maelstrom serve` (due.ts), and
 * every test that starts is carried out by the same code (carry-out.ts), on a controller built by the composition
 * root over one store, so that history (least recently tested, task durations for stuck detection) builds up from
 * one test to the next.
 *
 * Quiet hours are simulated coarsely: the fleet returns to its baseline between tests, so each due time gets a
 * world of its own, started `WARM_UP_MS` before it (the scenario's load curve and a seed of its own, no faults)
 * rather than one world stepped second by second through weeks of nothing. Series are recorded at 5-minute
 * resolution and no report is built: a test costs about a second of wall time.
 */
import { createSimBackend } from '../backends/sim/backend.js';
import { createController } from '../compose/controller.js';
import type { Definitions, Scenario, Schedule } from '../model/definitions.js';
import { MaelstromError } from '../model/errors.js';
import type { TestOutcome } from '../model/states.js';
import { VirtualClock } from '../model/virtual-clock.js';
import { createSqliteStore } from '../store/sqlite/sqlite-store.js';
import type { TestRecord } from '../store/store.js';
import { calendarOf, dueTimes } from './calendar.js';
import { carryOut } from './carry-out.js';
import { DEFAULT_TEST_POLL_MS, Waker, type ScheduleDeps } from './deps.js';
import { attemptDue } from './due.js';

/** How long each due time's world runs before it, so that caches are warm and readings settled. */
export const WARM_UP_MS = 10 * 60_000;
/** Series resolution of the worlds: nothing reads them but the guards' and abort conditions' instant readings. */
const SERIES_RESOLUTION_MS = 300_000;
/** A test still going this long after maxDuration is given up on (a restore blocked for good). */
const OVERTIME_MS = 6 * 3_600_000;

export interface SimulateOptions {
  readonly definitions: Definitions;
  readonly schedule: string;
  readonly fromMs: number;
  readonly weeks: number;
  /** Load curve and seed from this scenario; otherwise the simulator's default world. */
  readonly scenario?: string;
  /** How often a running test is looked at, simulated ms (default 10 s, as under serve). */
  readonly pollMs?: number;
  /** Told of each test and skip as it is decided (progress). */
  readonly onEntry?: (entry: SimulatedTest | SimulatedSkip) => void;
}

/** One test of the rehearsed calendar, as `schedule simulate --json` prints it. */
export interface SimulatedTest {
  readonly datacenter: string;
  readonly drain: string;
  readonly restore: string;
  readonly dueAt: string;
  readonly startedAt: string;
  readonly outcome: TestOutcome | 'unfinished';
  readonly drainSeconds: number | null;
  readonly restoreSeconds: number | null;
  readonly stuckTasks: number;
  /** Why it ended as it did, when it did not simply succeed. */
  readonly reason?: string;
  /** When it ended (not part of the printed contract's minimum; handy to check windows). */
  readonly finishedAt: string | null;
}

export interface SimulatedSkip {
  readonly at: string;
  readonly datacenter?: string;
  readonly reason: string;
}

export interface SimulatedCalendar {
  readonly schedule: string;
  readonly from: string;
  readonly to: string;
  readonly tests: readonly SimulatedTest[];
  readonly skipped: readonly SimulatedSkip[];
}

const iso = (t: number): string => new Date(t).toISOString();
const seconds = (ms: number | undefined): number | null => (ms === undefined ? null : Math.round(ms / 1000));

function findSchedule(definitions: Definitions, name: string): Schedule {
  const schedule = definitions.schedules.get(name);
  if (!schedule)
    throw new MaelstromError(
      'E_NOT_FOUND',
      `no schedule "${name}" (schedules: ${[...definitions.schedules.keys()].sort().join(', ') || 'none'})`,
    );
  return schedule;
}

function findScenario(definitions: Definitions, name: string | undefined, fleet: string): Scenario | undefined {
  if (name === undefined) return undefined;
  const scenario = definitions.scenarios.get(name);
  if (!scenario)
    throw new MaelstromError(
      'E_NOT_FOUND',
      `no scenario "${name}" (scenarios: ${[...definitions.scenarios.keys()].sort().join(', ') || 'none'})`,
    );
  if (scenario.spec.fleet !== fleet)
    throw new MaelstromError('E_FLEET', `scenario "${name}" simulates fleet "${scenario.spec.fleet}", not "${fleet}"`);
  return scenario;
}

/** The world of one due time: the scenario's load and propagation from `startMs`, a seed of its own, no faults. */
function worldScenario(scenario: Scenario, startMs: number, seed: number): Scenario {
  const { faults: _faults, run: _run, ...spec } = scenario.spec;
  return { ...scenario, spec: { ...spec, seed, start: iso(startMs), duration: '7d' } };
}

function simulatedTest(t: TestRecord): SimulatedTest {
  return {
    datacenter: t.datacenter,
    drain: t.drain,
    restore: t.restore,
    dueAt: iso(t.dueAt),
    startedAt: iso(t.startedAt),
    outcome: t.outcome ?? 'unfinished',
    drainSeconds: seconds(t.drainMs),
    restoreSeconds: seconds(t.restoreMs),
    stuckTasks: t.stuckTasks ?? 0,
    ...(t.outcome !== 'succeeded' && t.reason !== undefined ? { reason: t.reason } : {}),
    finishedAt: t.finishedAt !== undefined ? iso(t.finishedAt) : null,
  };
}

export async function simulateSchedule(options: SimulateOptions): Promise<SimulatedCalendar> {
  const { definitions } = options;
  if (!Number.isFinite(options.weeks) || options.weeks <= 0)
    throw new MaelstromError('E_BAD_REQUEST', `--weeks must be a positive number, got ${options.weeks}`);
  if (!Number.isFinite(options.fromMs)) throw new MaelstromError('E_BAD_REQUEST', '--from must be an ISO time');
  const schedule = findSchedule(definitions, options.schedule);
  const fleet = definitions.fleets.get(schedule.spec.fleet);
  if (!fleet)
    throw new MaelstromError('E_UNKNOWN_REF', `schedule "${options.schedule}" tests fleet "${schedule.spec.fleet}"`);
  const scenario = findScenario(definitions, options.scenario, fleet.metadata.name);
  const calendar = calendarOf(schedule);
  const toMs = options.fromMs + options.weeks * 7 * 86_400_000;

  const store = createSqliteStore({ path: ':memory:', durability: 'process' });
  await store.init();
  const tests: SimulatedTest[] = [];
  const skipped: SimulatedSkip[] = [];
  let runs = 0;
  let ids = 0;
  try {
    for (const [index, dueAt] of dueTimes(calendar, options.fromMs, toMs).entries()) {
      const clock = new VirtualClock(dueAt - WARM_UP_MS);
      const seed = (scenario?.spec.seed ?? 1) + index;
      const backend = createSimBackend({
        fleet,
        clock,
        name: 'sim',
        seed,
        seriesResolutionMs: SERIES_RESOLUTION_MS,
        ...(scenario ? { scenario: worldScenario(scenario, dueAt - WARM_UP_MS, seed) } : {}),
      });
      await clock.advanceTo(dueAt);
      const controller = await createController({
        definitions,
        backend,
        store,
        clock,
        requestPollMs: false,
        idGenerator: () => `run-${++runs}`,
      });
      const deps: ScheduleDeps = {
        definitions,
        controller,
        store,
        readings: backend,
        clock,
        logger: { info: () => undefined, warn: () => undefined },
        pollMs: options.pollMs ?? DEFAULT_TEST_POLL_MS,
        newId: () => `test-${++ids}`,
      };
      try {
        const outcome = await attemptDue(deps, schedule, calendar, dueAt);
        if (outcome.kind === 'skipped') {
          const s = outcome.skip;
          const entry = {
            at: iso(s.at),
            ...(s.datacenter !== undefined ? { datacenter: s.datacenter } : {}),
            reason: s.reason,
          };
          skipped.push(entry);
          options.onEntry?.(entry);
          continue;
        }
        const stop = new AbortController();
        let finished: TestRecord | undefined;
        const carried = carryOut(deps, schedule, outcome.test, new Waker(), stop.signal).then((t) => {
          finished = t;
        });
        await clock.runUntil(() => finished !== undefined, dueAt + calendar.maxDurationMs + OVERTIME_MS);
        stop.abort();
        await carried;
        const record = (await store.getTest(outcome.test.id)) ?? outcome.test;
        const entry = simulatedTest(record);
        tests.push(entry);
        options.onEntry?.(entry);
      } finally {
        await controller.close();
        await backend.close();
      }
    }
  } finally {
    await store.close();
  }
  return { schedule: schedule.metadata.name, from: iso(options.fromMs), to: iso(toMs), tests, skipped };
}
