/**
 * Which datacenter a due test drains, pure: the one tested least recently (by any schedule; never tested first,
 * ties in the schedule's order), or the one after the schedule's last in its list (`in-order`). A datacenter a run is
 * already acting in is passed over. And a forecast: the next due tests, as they would go if each ran.
 */
import type { Schedule, ScheduleTest } from '../model/definitions.js';
import { blockedAt, type Calendar } from './calendar.js';

export interface PickHistory {
  /** When each datacenter's last test started (by any schedule). */
  readonly lastTested: ReadonlyMap<string, number>;
  /** The datacenter of this schedule's last test, if any. */
  readonly previous?: string;
}

/** The pick's history read off tests, newest first (`TestRecord`s or anything with their fields). */
export function pickHistoryOf(
  schedule: Schedule,
  tests: readonly { readonly schedule: string; readonly datacenter: string; readonly startedAt: number }[],
): PickHistory {
  const lastTested = new Map<string, number>();
  for (const t of tests) if (!lastTested.has(t.datacenter)) lastTested.set(t.datacenter, t.startedAt);
  const previous = tests.find((t) => t.schedule === schedule.metadata.name)?.datacenter;
  return { lastTested, ...(previous !== undefined ? { previous } : {}) };
}

/** The test to run, or undefined when every candidate's datacenter is busy. */
export function pickTest(
  schedule: Schedule,
  history: PickHistory,
  busy: ReadonlySet<string> = new Set(),
): ScheduleTest | undefined {
  return candidates(schedule, history).find((t) => !busy.has(t.datacenter));
}

/** Every test of the schedule, in the order the pick prefers them. */
export function candidates(schedule: Schedule, history: PickHistory): ScheduleTest[] {
  const tests = schedule.spec.tests;
  if (schedule.spec.pick === 'in-order') {
    const last = tests.findIndex((t) => t.datacenter === history.previous);
    return tests.map((_, i) => tests[(last + 1 + i) % tests.length]!);
  }
  const when = (t: ScheduleTest): number => history.lastTested.get(t.datacenter) ?? -Infinity;
  // A stable sort keeps the schedule's order among datacenters tested at the same time (or never).
  return [...tests].sort((a, b) => when(a) - when(b));
}

export interface ForecastEntry {
  readonly at: number;
  readonly datacenter: string;
  readonly drain: string;
  readonly restore: string;
}

/**
 * The next `count` tests from `from` on, as they would go if each ran when due: occurrences a blocked window keeps
 * out are passed over (guards and incidents cannot be foreseen).
 */
export function forecast(
  schedule: Schedule,
  calendar: Calendar,
  history: PickHistory,
  from: number,
  count: number,
): ForecastEntry[] {
  const lastTested = new Map(history.lastTested);
  let previous = history.previous;
  const out: ForecastEntry[] = [];
  let t = from;
  // Enough occurrences to get past a long freeze without walking the calendar for ever.
  for (let seen = 0; out.length < count && seen < 1000; seen++) {
    const at = calendar.cadence.next(t - 1);
    if (at === undefined) break;
    t = at + 1;
    if (blockedAt(calendar, at)) continue;
    const test = pickTest(schedule, { lastTested, ...(previous !== undefined ? { previous } : {}) });
    if (!test) break;
    out.push({ at, datacenter: test.datacenter, drain: test.drain, restore: test.restore });
    lastTested.set(test.datacenter, at);
    previous = test.datacenter;
  }
  return out;
}
