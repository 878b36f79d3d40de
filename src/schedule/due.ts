/**
 * A test falls due: it starts only if the tests are not halted, no incident is on, the schedule's previous test has
 * ended, a datacenter is free to test, no blocked window is open or would open before the test could end, every
 * guard holds, and the drain plan passes its pre-flight check. Otherwise it is recorded as skipped, with the first
 * reason found, and the datacenter it would have tested when the pick got that far.
 */
import type { Schedule, ScheduleTest } from '../model/definitions.js';
import { toMaelstromError } from '../model/errors.js';
import type { RunRecord, TestRecord, TestSkip } from '../store/store.js';
import { blockedAt, type Calendar } from './calendar.js';
import { ScheduleConditions, failedGuard } from './conditions.js';
import { scheduleActor, type ScheduleDeps } from './deps.js';
import { pickTest, type PickHistory } from './pick.js';

export type DueOutcome =
  { readonly kind: 'started'; readonly test: TestRecord } | { readonly kind: 'skipped'; readonly skip: TestSkip };

/** Runs not started by a schedule, active now: incidents, as far as the schedules are concerned. */
export function incidentsOf(active: readonly RunRecord[]): RunRecord[] {
  return active.filter((r) => r.origin === undefined);
}

export function describeIncident(r: RunRecord): string {
  const doing =
    r.state === 'proposed'
      ? `proposed to ${r.direction} ${r.datacenter}`
      : `${r.direction === 'drain' ? 'draining' : 'restoring'} ${r.datacenter}`;
  return `run ${r.id} (${r.plan}, ${doing})`;
}

/** When each of the schedule's datacenters was last tested (by any schedule), and the schedule's last pick. */
export async function pickHistory(deps: ScheduleDeps, schedule: Schedule): Promise<PickHistory> {
  const lastTested = new Map<string, number>();
  for (const t of schedule.spec.tests) {
    const [last] = await deps.store.listTests({ datacenter: t.datacenter, limit: 1 });
    if (last) lastTested.set(t.datacenter, last.startedAt);
  }
  const [previous] = await deps.store.listTests({ schedule: schedule.metadata.name, limit: 1 });
  return { lastTested, ...(previous ? { previous: previous.datacenter } : {}) };
}

/** Decides the test due at `dueAt` (now, on the deps' clock) and starts it, or records why not. */
export async function attemptDue(
  deps: ScheduleDeps,
  schedule: Schedule,
  calendar: Calendar,
  dueAt: number,
): Promise<DueOutcome> {
  const { store, clock, logger } = deps;
  const name = schedule.metadata.name;
  const skip = async (reason: string, datacenter?: string): Promise<DueOutcome> => {
    const record = { schedule: name, at: dueAt, ...(datacenter !== undefined ? { datacenter } : {}), reason };
    const id = await store.recordSkip(record);
    logger.info(`schedule ${name}: the test due at ${new Date(dueAt).toISOString()} is skipped: ${reason}`);
    deps.onSkip?.({ id, ...record });
    return { kind: 'skipped', skip: { id, ...record } };
  };

  const halt = await store.testsHalt();
  if (halt?.halted) return skip(`tests are halted (by ${halt.actor}${halt.reason ? `: ${halt.reason}` : ''})`);
  const active = await store.listRuns({ active: true });
  const incident = incidentsOf(active)[0];
  if (incident) return skip(`an incident is on: ${describeIncident(incident)}`);
  const [running] = await store.listTests({ schedule: name, active: true });
  if (running) return skip(`test ${running.id} of ${running.datacenter} has not ended`);

  const busy = new Set(active.map((r) => r.datacenter));
  const test = pickTest(schedule, await pickHistory(deps, schedule), busy);
  if (!test) return skip('a run is acting in every datacenter the schedule tests');
  const blocked = blockedAt(calendar, clock.now());
  if (blocked) return skip(blocked.reason, test.datacenter);

  const fleet = deps.definitions.fleets.get(schedule.spec.fleet);
  if (fleet && schedule.spec.guards?.length) {
    const verdicts = await new ScheduleConditions(schedule.spec.guards, fleet).check(deps.readings);
    const failed = failedGuard(verdicts);
    if (failed) return skip(failed, test.datacenter);
  }
  const refused = await preflightProblem(deps, test);
  if (refused) return skip(refused, test.datacenter);

  return { kind: 'started', test: await startTest(deps, schedule, test, dueAt) };
}

/** Why the test's drain plan would be refused (it does not compile, or its pre-flight check fails), if it would. */
async function preflightProblem(deps: ScheduleDeps, test: ScheduleTest): Promise<string | undefined> {
  try {
    const compiled = await deps.controller.preview(test.drain);
    if (compiled.preflight.ok) return undefined;
    const bad = compiled.preflight.services.filter((s) => !s.ok).map((s) => s.service);
    return `plan ${test.drain} fails its pre-flight check (${bad.slice(0, 5).join(', ')}${bad.length > 5 ? '…' : ''})`;
  } catch (e) {
    return `plan ${test.drain} cannot be compiled: ${toMaelstromError(e).message}`;
  }
}

/**
 * Records the test, then starts its drain run. The record comes first: a controller that dies in between finds a
 * test with no drain run and starts it; never a drain run whose test, and so whose restore, nobody knows of.
 */
async function startTest(
  deps: ScheduleDeps,
  schedule: Schedule,
  test: ScheduleTest,
  dueAt: number,
): Promise<TestRecord> {
  const record: TestRecord = {
    id: deps.newId(),
    schedule: schedule.metadata.name,
    datacenter: test.datacenter,
    drain: test.drain,
    restore: test.restore,
    dueAt,
    startedAt: deps.clock.now(),
    phase: 'draining',
  };
  await deps.store.createTest(record);
  deps.logger.info(`schedule ${record.schedule}: test ${record.id} of ${record.datacenter} starts (${record.drain})`);
  return startDrain(deps, record);
}

/** Starts the test's drain run and records it; a drain that does not start ends the test as failed. */
export async function startDrain(deps: ScheduleDeps, test: TestRecord): Promise<TestRecord> {
  try {
    const run = await deps.controller.startRun(test.drain, scheduleActor(test.schedule), {
      origin: { schedule: test.schedule, test: test.id, phase: 'drain' },
    });
    await deps.store.updateTest(test.id, { drainRunId: run.id });
    return { ...test, drainRunId: run.id };
  } catch (e) {
    const reason = `the drain did not start: ${toMaelstromError(e).message}`;
    const patch = { phase: 'done', outcome: 'failed', reason, finishedAt: deps.clock.now() } as const;
    await deps.store.updateTest(test.id, patch);
    deps.logger.warn(`test ${test.id}: ${reason}`);
    return { ...test, ...patch };
  }
}
