/**
 * One drain test from its start to its end: the drain run, the hold, the restore run. Every step is written to the
 * test's record before it is acted on, so that a controller that dies anywhere picks the test up where it was
 * (a run is found again by its origin when its id did not reach the record).
 *
 * While the drain runs and the datacenter is held drained, the test is cut short:
 * - when the tests are halted (outcome `halted`), an abort condition comes true, an incident starts in another
 *   datacenter, or too little of `maxDuration` is left for the restore (outcome `aborted`): the drain is aborted
 *   and the datacenter restored;
 * - when an incident acts in the test's own datacenter (outcome `handed-over`): the drain is aborted (the engine
 *   does it itself when the incident's plan needs the same services) and the datacenter left to the incident, with
 *   no restore, so that traffic does not return into a failing datacenter.
 * An alert's proposal for the test's own datacenter neither cuts the test short nor lets it restore while it waits
 * for a person: approved, it takes the datacenter over (the engine hands the test's run over to it); rejected or
 * lapsed, the test goes on.
 * The restore, once begun, runs to its end (an incident in the datacenter takes it over, as any test run).
 */
import type { RunView } from '../engine/controller.js';
import type { Schedule } from '../model/definitions.js';
import { toMaelstromError } from '../model/errors.js';
import { isActingRun, isTerminalRun, type TestOutcome } from '../model/states.js';
import type { TestPatch, TestRecord } from '../store/store.js';
import { calendarOf } from './calendar.js';
import { ScheduleConditions, firedAbort } from './conditions.js';
import { scheduleActor, type ScheduleDeps, type Waker } from './deps.js';
import { describeIncident, incidentsOf, startDrain } from './due.js';

/** Why a test is being cut short, and how it will end. */
interface Stop {
  readonly outcome: Extract<TestOutcome, 'halted' | 'aborted' | 'handed-over'>;
  readonly reason: string;
}

/** Not cut short, but held where it is: a proposal for the test's datacenter waits for a person. */
interface Wait {
  readonly outcome: 'waiting';
  readonly reason: string;
}

interface Context {
  readonly deps: ScheduleDeps;
  readonly schedule: Schedule;
  readonly waker: Waker;
  readonly signal: AbortSignal;
  readonly aborts: ScheduleConditions | undefined;
  /** When the drain and the hold must give way to the restore, so that the test ends within maxDuration. */
  readonly deadline: number;
}

async function update(ctx: Context, test: TestRecord, patch: TestPatch): Promise<TestRecord> {
  await ctx.deps.store.updateTest(test.id, patch);
  return { ...test, ...patch };
}

/** The run of the test's phase: by the id recorded, else by its origin (a controller died before recording it). */
async function runOf(ctx: Context, test: TestRecord, phase: 'drain' | 'restore'): Promise<string | undefined> {
  const recorded = phase === 'drain' ? test.drainRunId : test.restoreRunId;
  if (recorded !== undefined) return recorded;
  const runs = await ctx.deps.store.listRuns({ plan: phase === 'drain' ? test.drain : test.restore, limit: 20 });
  return runs.find((r) => r.origin?.test === test.id && r.origin.phase === phase)?.id;
}

/** Whether the test must be cut short now, and how. */
async function stopOf(ctx: Context, test: TestRecord): Promise<Stop | Wait | undefined> {
  const { store, clock, readings } = ctx.deps;
  // The decision, once taken, is kept with the test: a restarted controller carries on with the same one.
  if (test.outcome === 'halted' || test.outcome === 'aborted' || test.outcome === 'handed-over')
    return { outcome: test.outcome, reason: test.reason ?? test.outcome };
  const incidents = incidentsOf(await store.listRuns({ active: true }));
  const here = incidents.find((r) => r.datacenter === test.datacenter && isActingRun(r.state));
  if (here)
    return {
      outcome: 'handed-over',
      reason: `an incident acts in ${test.datacenter}: ${describeIncident(here)}; ${test.datacenter} is handed over to it, not restored`,
    };
  const halt = await store.testsHalt();
  if (halt?.halted)
    return {
      outcome: 'halted',
      reason: `tests halted by ${halt.actor}${halt.reason ? `: ${halt.reason}` : ''}`,
    };
  // An alert's proposal for this datacenter waits for a person: the test keeps the datacenter as it is (neither cut
  // short nor restored into a datacenter an alert calls failing); approved, it takes the datacenter over.
  if (incidents.some((r) => r.datacenter === test.datacenter)) return { outcome: 'waiting', reason: '' };
  const elsewhere = incidents[0];
  if (elsewhere) return { outcome: 'aborted', reason: `an incident is on: ${describeIncident(elsewhere)}` };
  if (ctx.aborts) {
    const fired = firedAbort(await ctx.aborts.check(readings, ctx.signal));
    if (fired) return { outcome: 'aborted', reason: fired };
  }
  if (clock.now() >= ctx.deadline)
    return {
      outcome: 'aborted',
      reason: `out of time: the test must end within maxDuration ${ctx.schedule.spec.maxDuration}, and the restore takes time`,
    };
  return undefined;
}

/** The reason of a test whose run the halt of every run stopped. */
function leftAsItIs(test: TestRecord, run: RunView): string {
  return (
    `run ${run.id} was halted with every run${run.reason ? ` (${run.reason})` : ''}; ${test.datacenter} is left as it ` +
    `is: restore it with ${test.restore} when it is time`
  );
}

const tookMs = (v: RunView): number | undefined =>
  v.finishedAt !== undefined ? v.finishedAt - (v.startedAt ?? v.createdAt) : undefined;

/** Tasks of a run that were flagged stuck, from its journal. */
async function stuckTasksOf(ctx: Context, runId: string | undefined): Promise<number> {
  if (runId === undefined) return 0;
  const events = await ctx.deps.store.listEvents({ runId, limit: 1_000_000 });
  return new Set(events.flatMap((e) => (e.type === 'task.state' && e.state === 'stuck' ? [e.taskId] : []))).size;
}

async function finish(
  ctx: Context,
  test: TestRecord,
  outcome: TestOutcome,
  reason: string | undefined,
  timing: Pick<TestPatch, 'drainMs' | 'restoreMs'> = {},
): Promise<TestRecord> {
  const stuck = (await stuckTasksOf(ctx, test.drainRunId)) + (await stuckTasksOf(ctx, test.restoreRunId));
  const done = await update(ctx, test, {
    phase: 'done',
    outcome,
    finishedAt: ctx.deps.clock.now(),
    stuckTasks: stuck,
    ...timing,
    ...(reason !== undefined ? { reason } : {}),
  });
  ctx.deps.logger.info(`test ${test.id} of ${test.datacenter}: ${outcome}${reason ? ` (${reason})` : ''}`);
  return done;
}

/** The drain: watched until it ends, aborted when the test is cut short. */
async function draining(ctx: Context, test: TestRecord): Promise<TestRecord> {
  const { deps } = ctx;
  const runId = await runOf(ctx, test, 'drain');
  if (runId === undefined) return startDrain(deps, test);
  if (test.drainRunId === undefined) test = await update(ctx, test, { drainRunId: runId });
  const run = await deps.controller.getRun(runId);
  if (isTerminalRun(run.state)) {
    const drainMs = tookMs(run);
    const timing = drainMs !== undefined ? { drainMs } : {};
    if (run.handedOverTo !== undefined)
      return finish(ctx, test, 'handed-over', test.reason ?? `handed over to run ${run.handedOverTo}`, timing);
    if (run.state === 'succeeded' && test.outcome === undefined)
      return update(ctx, test, {
        phase: 'holding',
        holdUntil: deps.clock.now() + calendarOf(ctx.schedule).holdMs,
        ...timing,
      });
    if (test.outcome === 'handed-over') return finish(ctx, test, 'handed-over', test.reason, timing);
    // The halt of every run leaves traffic where it is: the test does not restore against it.
    if (run.state === 'halted') return finish(ctx, test, 'halted', leftAsItIs(test, run), timing);
    // Stopped (by the test, an operator or a halt of every run), or ended after the test was cut short: restore.
    const reason = test.reason ?? `the drain run ended ${run.state}${run.reason ? `: ${run.reason}` : ''}`;
    return update(ctx, test, {
      phase: 'restoring',
      outcome: test.outcome ?? 'aborted',
      reason,
      ...timing,
    });
  }
  const stop = await stopOf(ctx, test);
  if (stop && stop.outcome !== 'waiting' && run.state !== 'aborting') {
    // The decision first, then the abort: a controller restarted in between aborts again, and ends the same way.
    test = await update(ctx, test, { outcome: stop.outcome, reason: stop.reason });
    deps.logger.warn(`test ${test.id} of ${test.datacenter} is cut short: ${stop.reason}`);
    try {
      await deps.controller.command(runId, { action: 'abort', reason: stop.reason }, scheduleActor(test.schedule));
    } catch (e) {
      deps.logger.warn(`test ${test.id}: aborting run ${runId}: ${toMaelstromError(e).message}`);
    }
    return test;
  }
  await ctx.waker.sleep(deps.clock, deps.pollMs, ctx.signal);
  return test;
}

/** The hold: the datacenter stays drained until `holdUntil`, or until the test is cut short. */
async function holding(ctx: Context, test: TestRecord): Promise<TestRecord> {
  const { clock, pollMs } = ctx.deps;
  const stop = await stopOf(ctx, test);
  if (stop?.outcome === 'handed-over') return finish(ctx, test, 'handed-over', stop.reason);
  if (stop?.outcome === 'waiting') {
    await ctx.waker.sleep(clock, pollMs, ctx.signal);
    return test;
  }
  if (stop) return update(ctx, test, { phase: 'restoring', outcome: stop.outcome, reason: stop.reason });
  const left = (test.holdUntil ?? 0) - clock.now();
  if (left <= 0) return update(ctx, test, { phase: 'restoring' });
  await ctx.waker.sleep(clock, Math.min(left, pollMs), ctx.signal);
  return test;
}

/** The restore: started, then watched to its end. */
async function restoring(ctx: Context, test: TestRecord): Promise<TestRecord> {
  const { deps } = ctx;
  let runId = await runOf(ctx, test, 'restore');
  if (runId === undefined) {
    try {
      const run = await deps.controller.startRun(test.restore, scheduleActor(test.schedule), {
        origin: { schedule: test.schedule, test: test.id, phase: 'restore' },
      });
      runId = run.id;
    } catch (e) {
      const err = toMaelstromError(e);
      // An incident acting in the datacenter keeps it: a refused restore is then a hand-over, not a failure.
      const incident = incidentsOf(await deps.store.listRuns({ active: true })).find(
        (r) => r.datacenter === test.datacenter,
      );
      if (incident)
        return finish(
          ctx,
          test,
          'handed-over',
          `an incident acts in ${test.datacenter}: ${describeIncident(incident)}`,
        );
      return finish(ctx, test, 'failed', `the restore did not start: ${err.message}`);
    }
  }
  if (test.restoreRunId === undefined) test = await update(ctx, test, { restoreRunId: runId });
  const run = await deps.controller.getRun(runId);
  if (!isTerminalRun(run.state)) {
    await ctx.waker.sleep(deps.clock, deps.pollMs, ctx.signal);
    return test;
  }
  const restoreMs = tookMs(run);
  const timing = restoreMs !== undefined ? { restoreMs } : {};
  if (run.state === 'succeeded') return finish(ctx, test, test.outcome ?? 'succeeded', test.reason, timing);
  if (run.handedOverTo !== undefined)
    return finish(ctx, test, 'handed-over', `the restore was handed over to run ${run.handedOverTo}`, timing);
  if (run.state === 'halted') return finish(ctx, test, 'halted', leftAsItIs(test, run), timing);
  const ended = `the restore run ${run.id} ended ${run.state}${run.reason ? `: ${run.reason}` : ''}`;
  return finish(ctx, test, 'failed', ended, timing);
}

/** How long the restore is expected to take: the longest of its last runs, else the plan's prediction. */
async function restoreEstimateMs(deps: ScheduleDeps, test: TestRecord): Promise<number> {
  const past = (await deps.store.listTests({ datacenter: test.datacenter, limit: 10 }))
    .filter((t) => t.restore === test.restore && t.restoreMs !== undefined)
    .map((t) => t.restoreMs!);
  if (past.length > 0) return Math.max(...past);
  try {
    return (await deps.controller.preview(test.restore)).estimateMs;
  } catch {
    return 0;
  }
}

/**
 * Carries the test out until it is done, or until `signal` aborts (the controller closes: the runs go on in the
 * engine, and the next controller picks the test up from the store). Answers the test as it stands.
 */
export async function carryOut(
  deps: ScheduleDeps,
  schedule: Schedule,
  test: TestRecord,
  waker: Waker,
  signal: AbortSignal,
): Promise<TestRecord> {
  const calendar = calendarOf(schedule);
  const fleet = deps.definitions.fleets.get(schedule.spec.fleet);
  const estimate = await restoreEstimateMs(deps, test);
  const ctx: Context = {
    deps,
    schedule,
    waker,
    signal,
    aborts:
      fleet && schedule.spec.abortWhen?.length ? new ScheduleConditions(schedule.spec.abortWhen, fleet) : undefined,
    // A restore slower than half the budget still leaves the drain half of it.
    deadline: test.startedAt + calendar.maxDurationMs - Math.min(estimate, calendar.maxDurationMs / 2),
  };
  // A run of the test that ends wakes it at once, rather than at its next look.
  const unsubscribe = deps.controller.subscribe((e) => {
    if (
      e.type === 'run.state' &&
      isTerminalRun(e.state) &&
      (e.runId === test.drainRunId || e.runId === test.restoreRunId)
    )
      waker.wake();
  });
  try {
    while (!signal.aborted) {
      switch (test.phase) {
        case 'draining':
          test = await draining(ctx, test);
          break;
        case 'holding':
          test = await holding(ctx, test);
          break;
        case 'restoring':
          test = await restoring(ctx, test);
          break;
        case 'done':
          return test;
      }
    }
    return test;
  } finally {
    unsubscribe();
  }
}
