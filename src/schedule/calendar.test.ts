import { describe, expect, it } from 'vitest';
import type { Schedule } from '../model/definitions.js';
import { blockedAt, calendarOf, dueTimes } from './calendar.js';
import { candidates, forecast, pickHistoryOf, pickTest } from './pick.js';

const schedule = (over: Partial<Schedule['spec']> = {}): Schedule => ({
  apiVersion: 'maelstrom/v1',
  kind: 'Schedule',
  metadata: { name: 'weekly' },
  spec: {
    fleet: 'example',
    cadence: '0 10 * * 2,4',
    timeZone: 'UTC',
    pick: 'least-recently-tested',
    tests: [
      { datacenter: 'east', drain: 'evacuate-east', restore: 'restore-east' },
      { datacenter: 'west', drain: 'evacuate-west', restore: 'restore-west' },
      { datacenter: 'central', drain: 'evacuate-central', restore: 'restore-central' },
    ],
    holdDrained: '30m',
    maxDuration: '4h',
    blocked: [
      { name: 'weekend', cron: '0 16 * * 5', duration: '64h' },
      { name: 'year-end-freeze', from: '2026-12-21T00:00:00Z', to: '2027-01-04T00:00:00Z' },
    ],
    ...over,
  },
});
const at = (iso: string): number => Date.parse(iso);

describe('calendar', () => {
  it('lists the due times of the cadence', () => {
    const times = dueTimes(calendarOf(schedule()), at('2026-12-14T00:00:00Z'), at('2026-12-28T00:00:00Z'));
    expect(times.map((t) => new Date(t).toISOString().slice(0, 13))).toEqual([
      '2026-12-15T10',
      '2026-12-17T10',
      '2026-12-22T10',
      '2026-12-24T10',
    ]);
  });

  it('blocks a start inside a window, and one a window would open on before maxDuration ends', () => {
    const c = calendarOf(schedule());
    expect(blockedAt(c, at('2026-12-15T10:00:00Z'))).toBeUndefined();
    expect(blockedAt(c, at('2026-12-22T10:00:00Z'))?.reason).toBe(
      'blocked window year-end-freeze is open (2026-12-21T00:00Z to 2027-01-04T00:00Z)',
    );
    // Saturday: inside the weekend that opened on Friday at 16:00 for 64 hours.
    expect(blockedAt(c, at('2026-12-19T12:00:00Z'))?.window).toBe('weekend');
    // Monday 07:59 still is; Monday 08:00 no longer.
    expect(blockedAt(c, at('2026-12-14T07:59:00Z'))?.window).toBe('weekend');
    expect(blockedAt(c, at('2026-12-14T08:00:00Z'))).toBeUndefined();
    // Friday 13:00 + 4 h crosses 16:00.
    expect(blockedAt(c, at('2026-12-18T13:00:00Z'))?.reason).toMatch(
      /^blocked window weekend opens at 2026-12-18T16:00Z, before a test started now could end \(maxDuration 240 min\)/,
    );
    expect(blockedAt(c, at('2026-12-18T11:59:00Z'))).toBeUndefined();
  });
});

describe('pick', () => {
  it('picks the datacenter tested least recently, never tested first in the schedule order, and passes over busy ones', () => {
    const s = schedule();
    const none = pickHistoryOf(s, []);
    expect(pickTest(s, none)?.datacenter).toBe('east');
    const history = pickHistoryOf(s, [
      { schedule: 'weekly', datacenter: 'east', startedAt: 300 },
      { schedule: 'other', datacenter: 'central', startedAt: 200 },
    ]);
    expect(candidates(s, history).map((t) => t.datacenter)).toEqual(['west', 'central', 'east']);
    expect(pickTest(s, history, new Set(['west']))?.datacenter).toBe('central');
    expect(pickTest(s, history, new Set(['west', 'central', 'east']))).toBeUndefined();
  });

  it("in order, takes the one after the schedule's last test, round the list", () => {
    const s = schedule({ pick: 'in-order' });
    expect(pickTest(s, pickHistoryOf(s, []))?.datacenter).toBe('east');
    const last = pickHistoryOf(s, [{ schedule: 'weekly', datacenter: 'central', startedAt: 1 }]);
    expect(pickTest(s, last)?.datacenter).toBe('east');
    expect(pickTest(s, pickHistoryOf(s, [{ schedule: 'weekly', datacenter: 'east', startedAt: 1 }]))?.datacenter).toBe(
      'west',
    );
  });

  it('forecasts the next tests past the freeze, each datacenter in its turn', () => {
    const s = schedule();
    const f = forecast(s, calendarOf(s), pickHistoryOf(s, []), at('2026-12-16T00:00:00Z'), 4);
    expect(f.map((e) => `${new Date(e.at).toISOString().slice(0, 10)} ${e.datacenter}`)).toEqual([
      '2026-12-17 east',
      '2027-01-05 west',
      '2027-01-07 central',
      '2027-01-12 east',
    ]);
  });
});
