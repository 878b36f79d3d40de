import { describe, expect, it } from 'vitest';
import { isCronProblem, parseCron } from './cron.js';

const at = (iso: string): number => Date.parse(iso);

describe('cron', () => {
  it('finds the next time strictly after, and the last at or before, in the time zone', () => {
    const c = parseCron('0 10 * * 2,4', 'UTC');
    if (isCronProblem(c)) throw new Error(c.problem);
    expect(new Date(c.next(at('2026-12-15T10:00:00Z'))!).toISOString()).toBe('2026-12-17T10:00:00.000Z');
    expect(new Date(c.previous(at('2026-12-15T10:00:00Z'))!).toISOString()).toBe('2026-12-15T10:00:00.000Z');
    expect(
      c.between(at('2026-12-14T00:00:00Z'), at('2026-12-21T00:00:00Z')).map((t) => new Date(t).getUTCDate()),
    ).toEqual([15, 17]);
    const paris = parseCron('0 8 * * 2', 'Europe/Paris');
    if (isCronProblem(paris)) throw new Error(paris.problem);
    // 08:00 in Paris is 07:00 UTC in winter and 06:00 UTC in summer.
    expect(new Date(paris.next(at('2026-03-01T00:00:00Z'))!).toISOString()).toBe('2026-03-03T07:00:00.000Z');
    expect(new Date(paris.next(at('2026-06-01T00:00:00Z'))!).toISOString()).toBe('2026-06-02T06:00:00.000Z');
  });

  it('refuses what is not five fields, a bad field and an unknown time zone, saying which', () => {
    const problem = (p: string, z = 'UTC'): string => {
      const c = parseCron(p, z);
      return isCronProblem(c) ? c.problem : 'accepted';
    };
    expect(problem('0 10 * *')).toMatch(/needs five fields .* it has 4/);
    expect(problem('0 0 10 * * 2')).toMatch(/it has 6/);
    expect(problem('0 16 * * 9')).toMatch(/dayOfWeek/);
    expect(problem('0 10 * * 2', 'Mars/Olympus')).toMatch(/"Mars\/Olympus" is not a time zone/);
    expect(problem('*/15 8-18 * * 1-5')).toBe('accepted');
  });
});
