/**
 * Cron expressions of schedules (a cadence, the start of a blocked window), read in an IANA time zone by croner, a
 * maintained cron library. Five fields only (minute hour day-of-month month day-of-week), as the documents say:
 * croner would also take seconds and years, which would make `0 10 * * 2` and `0 0 10 * * 2` mean different things
 * to a reader who knows cron.
 */
import { Cron } from 'croner';

/** A cron expression in a time zone, checked; its times are ms since the epoch. */
export interface CronSchedule {
  readonly pattern: string;
  readonly timeZone: string;
  /** The first time strictly after `t`, or undefined when there is none (a pattern that never matches again). */
  next(t: number): number | undefined;
  /** The last time at or before `t`, or undefined. */
  previous(t: number): number | undefined;
  /** Every time in `[from, to)`, in order, at most `limit`. */
  between(from: number, to: number, limit?: number): number[];
}

/** Why a pattern or a time zone is refused, in a sentence. */
export interface CronProblem {
  readonly problem: string;
}

export function isCronProblem(x: CronSchedule | CronProblem): x is CronProblem {
  return 'problem' in x;
}

/** True for a time zone the runtime knows (`UTC`, `Europe/Paris`). */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** Parses `pattern` in `timeZone`; a problem, never a throw, for a bad one. */
export function parseCron(pattern: string, timeZone: string): CronSchedule | CronProblem {
  const fields = pattern.trim().split(/\s+/);
  if (fields.length !== 5)
    return {
      problem:
        `"${pattern}" is not a cron expression: it needs five fields (minute hour day-of-month month ` +
        `day-of-week), it has ${fields.length}`,
    };
  if (!isTimeZone(timeZone)) return { problem: `"${timeZone}" is not a time zone (an IANA name such as Europe/Paris)` };
  let cron: Cron;
  try {
    cron = new Cron(pattern, { timezone: timeZone, paused: true });
    // Some mistakes (an impossible date such as 31 February) show only when a time is asked for.
    cron.nextRun(new Date(0));
  } catch (e) {
    const message = (e instanceof Error ? e.message : String(e)).replace(/^CronPattern: /, '');
    return { problem: `"${pattern}" is not a cron expression: ${message}` };
  }
  const ms = (d: Date | null | undefined): number | undefined => (d ? d.getTime() : undefined);
  return {
    pattern,
    timeZone,
    next: (t) => ms(cron.nextRun(new Date(t))),
    // croner's previous runs are strictly before the reference; its times are whole seconds.
    previous: (t) => ms(cron.previousRuns(1, new Date(Math.floor(t / 1000) * 1000 + 1000))[0]),
    between: (from, to, limit = 10_000) => {
      const out: number[] = [];
      let t = from - 1;
      for (;;) {
        const n = ms(cron.nextRun(new Date(t)));
        if (n === undefined || n >= to || out.length >= limit) return out;
        out.push(n);
        t = n;
      }
    },
  };
}

/** Like parseCron, for patterns lint has already checked. */
export function cronOf(pattern: string, timeZone: string): CronSchedule {
  const c = parseCron(pattern, timeZone);
  if (isCronProblem(c)) throw new RangeError(c.problem);
  return c;
}
