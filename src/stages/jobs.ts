/**
 * jobs.restart / jobs.stop / jobs.start: the desired state of a service's jobs in a datacenter (or one cluster).
 *
 * Each sends a target state, so sending it again changes nothing. A restart names its generation — by default the
 * run, task and attempt — so a restart re-sent after a crash is recognised as the same restart and not started
 * over, while a retry by an operator (a new attempt) restarts again. A restart at `rate` (the fraction of the jobs
 * restarted per second) takes 1/rate seconds; the stage waits for it, from a checkpointed end time.
 */
import type { StageFn } from './stage.js';
import { act } from './stage.js';
import { readParams } from './params.js';
import { sleepWithin } from './wait.js';

interface RestartState {
  readonly until: number;
}

export const jobsRestart: StageFn = async (ctx) => {
  const p = readParams('jobs.restart', ctx.with);
  const service = p.string('service', ctx.service);
  const datacenter = p.string('datacenter', ctx.datacenter);
  const cluster = p.optionalString('cluster');
  const rate = p.number('rate', 0.01);
  if (!(rate > 0)) return { outcome: 'failure', detail: `jobs.restart: rate must be above 0, got ${rate}` };
  const generation = p.string('generation', `${ctx.runId}/${ctx.taskId}/${ctx.stageIndex}/${ctx.attempt}`);
  let state = ctx.state as RestartState | undefined;
  if (state?.until === undefined) {
    state = { until: ctx.clock.now() + 1000 / rate };
    await ctx.checkpoint(state);
  }
  const result = await act(ctx, {
    kind: 'jobs.restart',
    service,
    datacenter,
    ...(cluster ? { cluster } : {}),
    rate,
    generation,
  });
  const left = state.until - ctx.clock.now();
  if (left > 0) await sleepWithin(ctx, left, ctx.deadline);
  if (ctx.clock.now() < state.until)
    return { outcome: 'timeout', detail: `the restart of ${service} in ${cluster ?? datacenter} had not finished` };
  return {
    outcome: 'success',
    detail: `restarted ${service} in ${cluster ?? datacenter} (generation ${generation}${result.changed ? '' : ', already under way'})`,
  };
};

function jobsState(kind: 'jobs.stop' | 'jobs.start'): StageFn {
  return async (ctx) => {
    const p = readParams(kind, ctx.with);
    const service = p.string('service', ctx.service);
    const datacenter = p.string('datacenter', ctx.datacenter);
    const cluster = p.optionalString('cluster');
    const result = await act(ctx, { kind, service, datacenter, ...(cluster ? { cluster } : {}) });
    const verb = kind === 'jobs.stop' ? 'stopped' : 'started';
    return {
      outcome: 'success',
      detail: result.changed
        ? `${verb} ${service} in ${cluster ?? datacenter}`
        : `${service} in ${cluster ?? datacenter} was already ${verb}`,
    };
  };
}

export const jobsStop = jobsState('jobs.stop');
export const jobsStart = jobsState('jobs.start');
