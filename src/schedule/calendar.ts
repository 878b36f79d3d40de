/**
 * A schedule's calendar, pure: when tests are due (the cadence), and whether a blocked window is open at a time or
 * would open before a test started then could end (`maxDuration`). Times are ms since the epoch; cron expressions
 * are read in the schedule's time zone.
 */
import type { BlockedWindow, Schedule } from '../model/definitions.js';
import { durationMs } from '../model/duration.js';
import { cronOf, type CronSchedule } from '../model/cron.js';

/** A schedule with its cron expressions and durations read once. */
export interface Calendar {
  readonly name: string;
  readonly cadence: CronSchedule;
  readonly holdMs: number;
  readonly maxDurationMs: number;
  readonly windows: readonly CompiledWindow[];
}

export interface CompiledWindow {
  readonly name: string;
  /** When it is open, if it is at `t`: `[from, to)`. */
  openAt(t: number): { readonly from: number; readonly to: number } | undefined;
  /** The first opening strictly after `t` and before `until`, if any. */
  opensBetween(t: number, until: number): number | undefined;
}

/** Why a test may not start at a time: the window, and what it says. */
export interface Blocked {
  readonly window: string;
  readonly reason: string;
}

function compileWindow(w: BlockedWindow, timeZone: string): CompiledWindow {
  if (w.from !== undefined && w.to !== undefined) {
    const from = Date.parse(w.from);
    const to = Date.parse(w.to);
    return {
      name: w.name,
      openAt: (t) => (t >= from && t < to ? { from, to } : undefined),
      opensBetween: (t, until) => (from > t && from < until ? from : undefined),
    };
  }
  const cron = cronOf(w.cron ?? '', timeZone);
  const length = durationMs(w.duration ?? '0s');
  return {
    name: w.name,
    openAt: (t) => {
      // Every opening lasts as long: if the latest one at or before t has closed, every earlier one has too.
      const start = cron.previous(t);
      return start !== undefined && start + length > t ? { from: start, to: start + length } : undefined;
    },
    opensBetween: (t, until) => {
      const next = cron.next(t);
      return next !== undefined && next < until ? next : undefined;
    },
  };
}

export function calendarOf(schedule: Schedule): Calendar {
  const spec = schedule.spec;
  return {
    name: schedule.metadata.name,
    cadence: cronOf(spec.cadence, spec.timeZone),
    holdMs: durationMs(spec.holdDrained),
    maxDurationMs: durationMs(spec.maxDuration),
    windows: (spec.blocked ?? []).map((w) => compileWindow(w, spec.timeZone)),
  };
}

const iso = (t: number): string => new Date(t).toISOString().replace(/:00\.000Z$/, 'Z');

/**
 * The window that keeps a test starting at `start` from running: one open then, or one that would open before the
 * test could end (`start + maxDuration`). Undefined when the way is clear.
 */
export function blockedAt(calendar: Calendar, start: number): Blocked | undefined {
  const end = start + calendar.maxDurationMs;
  for (const w of calendar.windows) {
    const open = w.openAt(start);
    if (open)
      return {
        window: w.name,
        reason: `blocked window ${w.name} is open (${iso(open.from)} to ${iso(open.to)})`,
      };
  }
  for (const w of calendar.windows) {
    const opens = w.opensBetween(start, end);
    if (opens !== undefined)
      return {
        window: w.name,
        reason:
          `blocked window ${w.name} opens at ${iso(opens)}, before a test started now could end ` +
          `(maxDuration ${Math.round(calendar.maxDurationMs / 60_000)} min)`,
      };
  }
  return undefined;
}

/** The due times of `[from, to)`, in order. */
export function dueTimes(calendar: Calendar, from: number, to: number, limit?: number): number[] {
  return calendar.cadence.between(from, to, limit);
}
