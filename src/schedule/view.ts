/**
 * The drain-test practice at a glance, as `GET /api/v1/tests`, `maelstrom tests` and the dashboard show it: per
 * datacenter the last test and the next one due, the running tests, the recent ones, the skips with their reasons,
 * and per drain plan the drain time of its last tests. Read from the store; the next due tests are forecast from the
 * schedules of the definitions (none without definitions).
 */
import type { TestSkipView, TestView, TestsView } from '../model/api.js';
import type { Definitions } from '../model/definitions.js';
import type { TestRecord, TestStore } from '../store/store.js';
import { calendarOf } from './calendar.js';
import { forecast, pickHistoryOf } from './pick.js';

/** How many points a plan's trend has at most, and how many recent tests and skips are shown. */
const TREND_POINTS = 12;
const RECENT = 20;
const SKIPS = 20;

export function testView(t: TestRecord): TestView {
  return {
    id: t.id,
    schedule: t.schedule,
    datacenter: t.datacenter,
    drain: t.drain,
    restore: t.restore,
    dueAt: t.dueAt,
    startedAt: t.startedAt,
    ...(t.finishedAt !== undefined ? { finishedAt: t.finishedAt } : {}),
    phase: t.phase,
    ...(t.outcome !== undefined ? { outcome: t.outcome } : {}),
    ...(t.reason !== undefined ? { reason: t.reason } : {}),
    ...(t.drainRunId !== undefined ? { drainRunId: t.drainRunId } : {}),
    ...(t.restoreRunId !== undefined ? { restoreRunId: t.restoreRunId } : {}),
    ...(t.drainMs !== undefined ? { drainSeconds: Math.round(t.drainMs / 1000) } : {}),
    ...(t.restoreMs !== undefined ? { restoreSeconds: Math.round(t.restoreMs / 1000) } : {}),
    ...(t.stuckTasks !== undefined ? { stuckTasks: t.stuckTasks } : {}),
  };
}

export async function testsView(
  store: TestStore,
  definitions: Pick<Definitions, 'schedules'> | undefined,
  now: number,
): Promise<TestsView> {
  const schedules = [...(definitions?.schedules.values() ?? [])];
  const halt = await store.testsHalt();
  const recent = await store.listTests({ limit: 200 });
  const running = await store.listTests({ active: true });
  const skips = await store.listSkips({ limit: SKIPS });

  // Every datacenter a schedule tests, or a stored test names, in the order first seen.
  const names = [
    ...new Set([
      ...schedules.flatMap((s) => s.spec.tests.map((t) => t.datacenter)),
      ...recent.map((t) => t.datacenter),
    ]),
  ];
  const next = new Map<string, { at: number; schedule: string; drain: string }>();
  for (const schedule of schedules) {
    const history = pickHistoryOf(schedule, recent);
    for (const f of forecast(schedule, calendarOf(schedule), history, now, schedule.spec.tests.length * 2)) {
      const known = next.get(f.datacenter);
      if (!known || f.at < known.at)
        next.set(f.datacenter, { at: f.at, schedule: schedule.metadata.name, drain: f.drain });
    }
  }
  const datacenters = names.map((datacenter) => {
    const last = recent.find((t) => t.datacenter === datacenter);
    const due = next.get(datacenter);
    return { datacenter, ...(last ? { last: testView(last) } : {}), ...(due ? { next: due } : {}) };
  });

  const trends = new Map<
    string,
    { plan: string; datacenter: string; points: { at: number; drainSeconds: number }[] }
  >();
  for (const t of recent) {
    if (t.outcome !== 'succeeded' || t.drainMs === undefined) continue;
    const trend = trends.get(t.drain) ?? { plan: t.drain, datacenter: t.datacenter, points: [] };
    if (trend.points.length < TREND_POINTS)
      trend.points.unshift({ at: t.startedAt, drainSeconds: Math.round(t.drainMs / 1000) });
    trends.set(t.drain, trend);
  }

  return {
    ...(halt ? { halt } : {}),
    schedules: schedules.map((s) => ({
      name: s.metadata.name,
      cadence: s.spec.cadence,
      timeZone: s.spec.timeZone,
      pick: s.spec.pick,
    })),
    datacenters,
    running: running.map(testView),
    recent: recent.slice(0, RECENT).map(testView),
    skips: skips.map((s): TestSkipView => ({
      at: s.at,
      schedule: s.schedule,
      ...(s.datacenter !== undefined ? { datacenter: s.datacenter } : {}),
      reason: s.reason,
    })),
    trends: [...trends.values()].sort((a, b) => a.plan.localeCompare(b.plan)),
  };
}
