/**
 * The drain-test history as `GET /api/v1/tests`, `maelstrom tests` and the dashboard show it, read from a store:
 * per datacenter the last test and the next due (least recently tested first, past the freeze), the skips with
 * their reasons, and per drain plan the drain times of its last succeeded tests, oldest first.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrFail } from '../src/load/check.js';
import { testsView } from '../src/schedule/view.js';
import { createSqliteStore, type SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import type { TestRecord } from '../src/store/store.js';

const definitions = await loadOrFail(['examples']);
const at = (iso: string): number => Date.parse(iso);
const iso = (t: number | undefined): string | undefined => (t === undefined ? undefined : new Date(t).toISOString());
let store: SqliteStore;

/** A finished test of the reference schedule, started when due. */
function test(id: string, datacenter: string, due: string, outcome: 'succeeded' | 'aborted', drainS: number) {
  const dueAt = at(due);
  return {
    id,
    schedule: 'weekly-drain-tests',
    datacenter,
    drain: `evacuate-${datacenter}`,
    restore: `restore-${datacenter}`,
    dueAt,
    startedAt: dueAt,
    finishedAt: dueAt + 2 * 3_600_000,
    phase: 'done',
    outcome,
    drainMs: drainS * 1000,
    restoreMs: 815_000,
    stuckTasks: 0,
  } satisfies TestRecord;
}

beforeAll(async () => {
  store = createSqliteStore({ path: ':memory:' });
  await store.init();
  await store.createTest(test('t1', 'east', '2026-12-01T10:00:00Z', 'succeeded', 1500));
  await store.createTest(test('t2', 'west', '2026-12-03T10:00:00Z', 'succeeded', 1610));
  await store.createTest(test('t3', 'central', '2026-12-08T10:00:00Z', 'aborted', 700));
  await store.createTest(test('t4', 'east', '2026-12-10T10:00:00Z', 'succeeded', 1520));
  await store.recordSkip({
    schedule: 'weekly-drain-tests',
    at: at('2026-12-15T10:00:00Z'),
    datacenter: 'west',
    reason: "guard fleet-healthy does not hold (errorRate('web') < 0.01 is false)",
  });
});

afterAll(async () => {
  await store.close();
});

describe('the drain tests view', () => {
  it('shows per datacenter its last test and the next due, least recently tested first, past the freeze', async () => {
    const view = await testsView(store, definitions, at('2026-12-16T12:00:00Z'));
    expect(
      view.datacenters.map((d) => [d.datacenter, d.last?.id, d.last?.outcome, d.last?.drainSeconds, iso(d.next?.at)]),
    ).toEqual([
      ['east', 't4', 'succeeded', 1520, '2027-01-07T10:00:00.000Z'],
      ['west', 't2', 'succeeded', 1610, '2026-12-17T10:00:00.000Z'],
      ['central', 't3', 'aborted', 700, '2027-01-05T10:00:00.000Z'],
    ]);
    expect(view.recent.map((t) => t.id)).toEqual(['t4', 't3', 't2', 't1']);
    expect(view.running).toEqual([]);
  });

  it('lists the skips with their reasons, and per drain plan the drain times of its succeeded tests, oldest first', async () => {
    const view = await testsView(store, definitions, at('2026-12-16T12:00:00Z'));
    expect(view.skips).toEqual([
      {
        at: at('2026-12-15T10:00:00Z'),
        schedule: 'weekly-drain-tests',
        datacenter: 'west',
        reason: "guard fleet-healthy does not hold (errorRate('web') < 0.01 is false)",
      },
    ]);
    expect(view.trends).toEqual([
      {
        plan: 'evacuate-east',
        datacenter: 'east',
        points: [
          { at: at('2026-12-01T10:00:00Z'), drainSeconds: 1500 },
          { at: at('2026-12-10T10:00:00Z'), drainSeconds: 1520 },
        ],
      },
      { plan: 'evacuate-west', datacenter: 'west', points: [{ at: at('2026-12-03T10:00:00Z'), drainSeconds: 1610 }] },
    ]);
  });

  it('without definitions, shows the stored tests and no next due', async () => {
    const view = await testsView(store, undefined, at('2026-12-16T12:00:00Z'));
    expect(view.schedules).toEqual([]);
    expect(view.datacenters.map((d) => [d.datacenter, d.next])).toEqual([
      ['east', undefined],
      ['central', undefined],
      ['west', undefined],
    ]);
  });
});
