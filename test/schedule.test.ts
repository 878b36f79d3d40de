/**
 * Drain tests as a practice, on the reference definitions and the in-process simulator, on virtual time: the
 * rehearsed calendar of the reference schedule around the year-end freeze, and the runner `maelstrom serve` starts
 * — a test halted mid-drain and restored, incidents that take a test's datacenter over or cut a test elsewhere
 * short, skips with their reasons.
 */
import { describe, expect, it } from 'vitest';
import { createSimBackend, type SimBackend } from '../src/backends/sim/backend.js';
import { createAlertIntake } from '../src/alerts/intake.js';
import { createController, type EngineController } from '../src/compose/controller.js';
import { loadOrFail } from '../src/load/check.js';
import type { AlertmanagerWebhook } from '../src/model/api.js';
import type { Definitions, Schedule } from '../src/model/definitions.js';
import { VirtualClock } from '../src/model/virtual-clock.js';
import { blockedAt, calendarOf } from '../src/schedule/calendar.js';
import { createScheduleRunner, type ScheduleRunner } from '../src/schedule/runner.js';
import { simulateSchedule } from '../src/schedule/simulate.js';
import { createSqliteStore, type SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import type { TestRecord } from '../src/store/store.js';

const definitions = await loadOrFail(['examples']);
const reference = definitions.schedules.get('weekly-drain-tests')!;
const operator = { name: 'ana', role: 'operator' } as const;

/** East's share of all traffic served, as the dashboard's fleet table shows it. */
function shareOf(backend: SimBackend, dc: string): number {
  const services = Object.values(backend.simulation.snapshot().services);
  const total = (d?: string): number =>
    services.reduce(
      (n, s) =>
        n +
        Object.entries(s.datacenters)
          .filter(([name]) => d === undefined || name === d)
          .reduce((m, [, r]) => m + (r.traffic ?? 0), 0),
      0,
    );
  return total(dc) / total();
}

interface World {
  readonly clock: VirtualClock;
  readonly backend: SimBackend;
  readonly store: SqliteStore;
  readonly controller: EngineController;
  readonly runner: ScheduleRunner;
  /** Runs virtual time until `done` holds (checked between steps), at most `limitMs` more. */
  until(done: () => Promise<boolean>, limitMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** The reference fleet from `startIso`, with the schedule (the reference one by default) run by the runner. */
async function world(startIso: string, schedule: Schedule = reference): Promise<World> {
  const clock = new VirtualClock(Date.parse(startIso));
  const backend = createSimBackend({
    fleet: definitions.fleets.get('example')!,
    clock,
    name: 'sim',
    seriesResolutionMs: 60_000,
  });
  const store = createSqliteStore({ path: ':memory:' });
  await store.init();
  let runs = 0;
  const controller = await createController({
    definitions,
    backend,
    store,
    clock,
    requestPollMs: false,
    idGenerator: () => `run-${++runs}`,
  });
  let tests = 0;
  const runner = createScheduleRunner(
    {
      definitions,
      controller,
      store,
      readings: backend,
      clock,
      logger: { info: () => undefined, warn: () => undefined },
      pollMs: 10_000,
      newId: () => `test-${++tests}`,
    },
    [schedule],
  );
  await runner.start();
  return {
    clock,
    backend,
    store,
    controller,
    runner,
    until: async (done, limitMs = 12 * 3_600_000) => {
      const limit = clock.now() + limitMs;
      let met = false;
      while (!met && clock.now() < limit) {
        await clock.advanceTo(Math.min(limit, clock.now() + 60_000));
        met = await done();
      }
      expect(met, 'the condition was not met in time').toBe(true);
    },
    close: async () => {
      await runner.close();
      await controller.close();
      await store.close();
    },
  };
}

/** Alertmanager's delivery of east failing, as the reference trigger east-unhealthy matches it. */
function eastFailing(): AlertmanagerWebhook {
  return {
    version: '4',
    groupKey: '{}:{alertname="DatacenterErrorRateHigh"}',
    truncatedAlerts: 0,
    status: 'firing',
    receiver: 'maelstrom',
    groupLabels: { alertname: 'DatacenterErrorRateHigh' },
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://alertmanager:9093',
    alerts: [
      {
        status: 'firing',
        labels: { alertname: 'DatacenterErrorRateHigh', datacenter: 'east', severity: 'critical' },
        annotations: { summary: 'east answers 12% errors' },
        startsAt: '2026-12-15T10:09:00Z',
        fingerprint: 'east-errors',
      },
    ],
  };
}

/** The reference triggers, each in the mode given. */
function triggersIn(mode: 'propose' | 'start'): Pick<Definitions, 'triggers'> {
  return {
    triggers: new Map(
      [...definitions.triggers].map(([name, t]) => [name, { ...t, spec: { ...t.spec, mode } }] as const),
    ),
  };
}

const alertmanager = { name: 'alertmanager', role: 'alerts' } as const;

const onlyTest = async (w: World): Promise<TestRecord> => (await w.store.listTests())[0]!;

/** A copy of the reference schedule with its spec changed. */
function variant(spec: Partial<Schedule['spec']>): Schedule {
  return { ...reference, spec: { ...reference.spec, ...spec } };
}

describe('schedule simulate', () => {
  it('rehearses four weeks around the year-end freeze: east, west, central, east, four skipped, none in a window', async () => {
    const result = await simulateSchedule({
      definitions,
      schedule: 'weekly-drain-tests',
      fromMs: Date.parse('2026-12-14T00:00:00Z'),
      weeks: 4,
    });
    expect(result.tests.map((t) => t.datacenter)).toEqual(['east', 'west', 'central', 'east']);
    expect(result.tests.map((t) => t.outcome)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
    expect(result.skipped.map((s) => s.at)).toEqual([
      '2026-12-22T10:00:00.000Z',
      '2026-12-24T10:00:00.000Z',
      '2026-12-29T10:00:00.000Z',
      '2026-12-31T10:00:00.000Z',
    ]);
    for (const s of result.skipped) expect(s.reason).toMatch(/^blocked window year-end-freeze is open/);
    const calendar = calendarOf(reference);
    for (const t of result.tests) {
      expect(t.drainSeconds).toBeGreaterThan(0);
      expect(t.restoreSeconds).toBeGreaterThan(0);
      expect(t.stuckTasks).toBe(0);
      // Neither its start nor any minute of it falls in a blocked window.
      for (let m = Date.parse(t.startedAt); m <= Date.parse(t.finishedAt!); m += 60_000)
        expect(calendar.windows.some((w) => w.openAt(m))).toBe(false);
      expect(blockedAt(calendar, Date.parse(t.startedAt))).toBeUndefined();
    }
    expect(result).toMatchObject({ schedule: 'weekly-drain-tests', from: '2026-12-14T00:00:00.000Z' });
  }, 300_000);

  it('refuses an unknown schedule or scenario with E_NOT_FOUND', async () => {
    const base = { definitions, fromMs: Date.parse('2026-12-14T00:00:00Z'), weeks: 1 };
    await expect(simulateSchedule({ ...base, schedule: 'nope' })).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
    await expect(simulateSchedule({ ...base, schedule: 'weekly-drain-tests', scenario: 'nope' })).rejects.toMatchObject(
      { code: 'E_NOT_FOUND' },
    );
  });
});

describe('the schedule runner', () => {
  it('a test halted mid-drain is aborted and its datacenter restored to within 2 % of its share', async () => {
    const w = await world('2026-12-15T09:50:00Z');
    const before = shareOf(w.backend, 'east');
    await w.until(async () => (await w.store.listTests()).length > 0);
    const started = await onlyTest(w);
    expect(started).toMatchObject({ datacenter: 'east', drain: 'evacuate-east', phase: 'draining' });
    // Ten minutes into the drain, east carries visibly less.
    await w.clock.advanceTo(w.clock.now() + 10 * 60_000);
    expect(shareOf(w.backend, 'east')).toBeLessThan(before * 0.9);
    const halted = await w.runner.halt(operator, 'incident review');
    expect(halted.stopping.map((t) => t.id)).toEqual([started.id]);
    await w.until(async () => (await onlyTest(w)).phase === 'done');
    const test = await onlyTest(w);
    expect(test).toMatchObject({ outcome: 'halted', reason: 'tests halted by ana: incident review' });
    expect((await w.controller.getRun(test.drainRunId!)).state).toBe('aborted');
    expect((await w.controller.getRun(test.restoreRunId!)).state).toBe('succeeded');
    await w.clock.advanceTo(w.clock.now() + 5 * 60_000);
    const after = shareOf(w.backend, 'east');
    expect(Math.abs(after - before) / before).toBeLessThan(0.02);
    const audit = (await w.store.listAudit()).filter((a) => a.action.startsWith('tests.'));
    expect(audit.map((a) => [a.action, a.actor, a.reason])).toEqual([
      ['tests.halt', 'ana (operator)', 'incident review'],
    ]);
    await w.runner.resume(operator);
    await w.close();
    console.log(`halted test: east's share ${before.toFixed(4)} before, ${after.toFixed(4)} after the restore`);
  }, 300_000);

  it("an incident in the test's datacenter takes it over: the drain stops and east is not restored", async () => {
    const w = await world('2026-12-15T09:50:00Z');
    await w.until(async () => (await w.store.listTests()).length > 0);
    await w.clock.advanceTo(w.clock.now() + 10 * 60_000);
    const incident = await w.controller.startRun('evacuate-east-now', operator);
    await w.until(async () => (await onlyTest(w)).phase === 'done');
    const test = await onlyTest(w);
    expect(test.outcome).toBe('handed-over');
    expect(test.restoreRunId).toBeUndefined();
    expect(await w.controller.getRun(test.drainRunId!)).toMatchObject({ state: 'aborted', handedOverTo: incident.id });
    expect((await w.controller.getRun(incident.id)).state).not.toBe('aborted');
    await w.close();
  }, 300_000);

  it("an alert's proposal, approved, takes the test's datacenter over: the test's run is handed over, not restored", async () => {
    const w = await world('2026-12-15T09:50:00Z');
    await w.until(async () => (await w.store.listTests()).length > 0);
    await w.clock.advanceTo(w.clock.now() + 10 * 60_000);
    const intake = createAlertIntake({ definitions, controller: w.controller, clock: w.clock });
    // The drain test holds east: the proposal is not refused for it.
    const received = await intake.receive(eastFailing(), alertmanager);
    expect(received.results).toEqual([expect.objectContaining({ outcome: 'proposed', trigger: 'east-unhealthy' })]);
    const proposalId = received.results[0]!.run!;
    expect((await w.controller.getRun(proposalId)).state).toBe('proposed');
    // While it waits for a person, the test goes on as it was: neither cut short nor handed over.
    await w.clock.advanceTo(w.clock.now() + 5 * 60_000);
    const waiting = await onlyTest(w);
    expect(waiting).toMatchObject({ phase: 'draining' });
    expect(waiting.outcome).toBeUndefined();
    expect((await w.controller.getRun(waiting.drainRunId!)).state).not.toBe('aborted');
    // Approved, it takes east over as an operator's start does.
    const approved = await w.controller.command(
      proposalId,
      { action: 'approve', reason: 'east errors confirmed on the graphs' },
      operator,
    );
    expect(approved.state).not.toBe('proposed');
    expect(approved.reason).toMatch(/takes east over from the drain test run run-1$/);
    await w.until(async () => (await onlyTest(w)).phase === 'done');
    const test = await onlyTest(w);
    expect(test.outcome).toBe('handed-over');
    expect(test.restoreRunId).toBeUndefined();
    expect(await w.controller.getRun(test.drainRunId!)).toMatchObject({ state: 'aborted', handedOverTo: proposalId });
    // The incident's run drives east to its end.
    await w.until(async () => (await w.controller.getRun(proposalId)).state === 'succeeded');
    expect(shareOf(w.backend, 'east')).toBeLessThan(0.01);
    await w.close();
  }, 300_000);

  it("a proposal for the test's datacenter that nobody approves holds its restore until it lapses, then the test ends", async () => {
    const w = await world('2026-12-15T09:50:00Z');
    await w.until(async () => (await w.store.listTests()).length > 0);
    await w.clock.advanceTo(w.clock.now() + 10 * 60_000);
    const intake = createAlertIntake({ definitions, controller: w.controller, clock: w.clock });
    const proposalId = (await intake.receive(eastFailing(), alertmanager)).results[0]!.run!;
    const lapses = (await w.controller.getRun(proposalId)).proposal!.expiresAt!;
    await w.until(async () => (await onlyTest(w)).phase === 'done');
    const test = await onlyTest(w);
    expect(test.outcome).toBe('succeeded');
    const proposal = await w.controller.getRun(proposalId);
    expect(proposal.state).toBe('aborted');
    // The hold was over at 10:55; the restore waited for the proposal to lapse (11:10), not into an alerting east.
    const restore = await w.controller.getRun(test.restoreRunId!);
    expect(restore.createdAt).toBeGreaterThanOrEqual(lapses);
    expect(restore.state).toBe('succeeded');
    await w.close();
  }, 300_000);

  it('a trigger in start mode starts at once over a drain test of its datacenter, which is handed over', async () => {
    const w = await world('2026-12-15T09:50:00Z');
    await w.until(async () => (await w.store.listTests()).length > 0);
    await w.clock.advanceTo(w.clock.now() + 10 * 60_000);
    const intake = createAlertIntake({ definitions: triggersIn('start'), controller: w.controller, clock: w.clock });
    const received = await intake.receive(eastFailing(), alertmanager);
    expect(received.results).toEqual([expect.objectContaining({ outcome: 'started', trigger: 'east-unhealthy' })]);
    const runId = received.results[0]!.run!;
    await w.until(async () => (await onlyTest(w)).phase === 'done');
    const test = await onlyTest(w);
    expect(test.outcome).toBe('handed-over');
    expect(test.restoreRunId).toBeUndefined();
    expect(await w.controller.getRun(test.drainRunId!)).toMatchObject({ state: 'aborted', handedOverTo: runId });
    await w.until(async () => (await w.controller.getRun(runId)).state === 'succeeded');
    await w.close();
  }, 300_000);

  it('an incident in another datacenter cuts the test short, and its datacenter is restored', async () => {
    const w = await world('2026-12-15T09:50:00Z');
    await w.until(async () => (await w.store.listTests()).length > 0);
    await w.clock.advanceTo(w.clock.now() + 5 * 60_000);
    await w.controller.startRun('evacuate-central', operator);
    await w.until(async () => (await onlyTest(w)).phase === 'done');
    const test = await onlyTest(w);
    expect(test.outcome).toBe('aborted');
    expect(test.reason).toMatch(/^an incident is on: run run-2 \(evacuate-central, draining central\)/);
    expect((await w.controller.getRun(test.restoreRunId!)).state).toBe('succeeded');
    await w.close();
  }, 300_000);

  it('an abort condition that comes true aborts the drain, names itself, and the datacenter is restored', async () => {
    // True from the first look once the drain has begun: errors are never negative.
    const w = await world(
      '2026-12-15T09:50:00Z',
      variant({ abortWhen: [{ name: 'always', expr: "errorRate('web') >= 0.0" }] }),
    );
    const before = shareOf(w.backend, 'east');
    await w.until(async () => (await w.store.listTests()).length > 0);
    await w.until(async () => (await onlyTest(w)).phase === 'done');
    const test = await onlyTest(w);
    expect(test).toMatchObject({
      outcome: 'aborted',
      reason: "abort condition always came true (errorRate('web') >= 0.0)",
    });
    expect((await w.controller.getRun(test.drainRunId!)).state).toBe('aborted');
    expect((await w.controller.getRun(test.restoreRunId!)).state).toBe('succeeded');
    await w.clock.advanceTo(w.clock.now() + 5 * 60_000);
    expect(Math.abs(shareOf(w.backend, 'east') - before) / before).toBeLessThan(0.02);
    await w.close();
  }, 300_000);

  it('records as skipped the tests that fell due while no controller drove the store', async () => {
    const w = await world('2026-12-17T09:00:00Z');
    await w.runner.close();
    // The store's last test was due on Thursday the 10th; nobody drove the store on Tuesday the 15th.
    const last = Date.parse('2026-12-10T10:00:00Z');
    await w.store.createTest({
      id: 'test-0',
      schedule: reference.metadata.name,
      datacenter: 'east',
      drain: 'evacuate-east',
      restore: 'restore-east',
      dueAt: last,
      startedAt: last,
      phase: 'done',
      outcome: 'succeeded',
    });
    const again = createScheduleRunner(
      {
        definitions,
        controller: w.controller,
        store: w.store,
        readings: w.backend,
        clock: w.clock,
        logger: { info: () => undefined, warn: () => undefined },
        pollMs: 10_000,
        newId: () => 'test-again',
      },
      [reference],
    );
    await again.start();
    const skips = await w.store.listSkips();
    expect(skips.map((k) => [new Date(k.at).toISOString(), k.reason])).toEqual([
      ['2026-12-15T10:00:00.000Z', 'no controller was driving the store when it was due'],
    ]);
    await again.close();
    await w.controller.close();
    await w.store.close();
  }, 300_000);

  it('a guard that does not hold, an incident or the halt skips the due test with its reason', async () => {
    const w = await world(
      '2026-12-15T09:50:00Z',
      variant({ guards: [{ name: 'never', expr: "errorRate('web') < 0.0" }] }),
    );
    await w.clock.advanceTo(Date.parse('2026-12-15T10:01:00Z'));
    expect(await w.store.listTests()).toEqual([]);
    expect(await w.store.listSkips()).toEqual([
      expect.objectContaining({ datacenter: 'east', reason: expect.stringMatching(/^guard never does not hold/) }),
    ]);
    await w.close();
    const v = await world('2026-12-17T09:50:00Z');
    await v.controller.startRun('evacuate-west', operator);
    await v.clock.advanceTo(Date.parse('2026-12-17T10:01:00Z'));
    expect(await v.store.listTests()).toEqual([]);
    expect((await v.store.listSkips())[0]!.reason).toMatch(/^an incident is on: run run-1 \(evacuate-west/);
    await v.close();
    const h = await world('2026-12-17T09:50:00Z');
    await h.runner.halt(operator, 'incident review');
    await h.clock.advanceTo(Date.parse('2026-12-17T10:01:00Z'));
    expect(await h.store.listTests()).toEqual([]);
    const [skip] = await h.store.listSkips();
    expect(skip?.reason).toBe('tests are halted (by ana: incident review)');
    expect(skip?.datacenter).toBeUndefined();
    await h.runner.resume(operator, 'review done');
    const audit = (await h.store.listAudit()).filter((a) => a.action.startsWith('tests.'));
    expect(audit.map((a) => [a.action, a.actor, a.reason])).toEqual([
      ['tests.halt', 'ana (operator)', 'incident review'],
      ['tests.resume', 'ana (operator)', 'review done'],
    ]);
    await h.close();
  }, 300_000);
});
