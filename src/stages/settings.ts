/**
 * config.set and alerts.suppress: set a target value. The backend reports "no change" when it already holds it,
 * so running either twice is harmless; alerts.suppress checkpoints its end time so a re-run sends the same one.
 */
import { MaelstromError } from '../model/errors.js';
import { act, type StageFn } from './stage.js';
import { readParams } from './params.js';

export const configSet: StageFn = async (ctx) => {
  const p = readParams('config.set', ctx.with);
  const key = p.string('key');
  const value = p.raw('value');
  if (value === undefined) throw new MaelstromError('E_PARAM', 'config.set: `value` is required');
  const result = await act(ctx, { kind: 'config.set', key, value });
  return { outcome: 'success', detail: result.changed ? `${key} set` : `${key} already had that value` };
};

interface SuppressState {
  readonly until: number;
}

/**
 * Matchers come from `matchers` ("alertname=HighLatency,team=web" or a list of such pairs) and default to the
 * task's service and datacenter.
 */
export const alertsSuppress: StageFn = async (ctx) => {
  const p = readParams('alerts.suppress', ctx.with);
  const duration = p.duration('duration', '1h');
  const pairs = p
    .list('matchers')
    .flatMap((m) => m.split(','))
    .map((m) => m.trim())
    .filter((m) => m !== '');
  const matchers: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0)
      throw new MaelstromError('E_PARAM', `alerts.suppress: a matcher is name=value, got ${JSON.stringify(pair)}`);
    matchers[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  if (pairs.length === 0) {
    matchers.service = p.string('service', ctx.service);
    matchers.datacenter = p.string('datacenter', ctx.datacenter);
  }
  let state = ctx.state as SuppressState | undefined;
  if (state?.until === undefined) {
    state = { until: ctx.clock.now() + duration };
    await ctx.checkpoint(state);
  }
  const id = p.string('id', `${ctx.runId}/${ctx.taskId}/${ctx.stageIndex}`);
  const result = await act(ctx, { kind: 'alerts.suppress', matchers, until: state.until, id });
  return {
    outcome: 'success',
    detail: `alerts matching ${Object.entries(matchers)
      .map(([k, v]) => `${k}=${v}`)
      .join(',')} silenced until ${new Date(state.until).toISOString()}${result.changed ? '' : ' (already)'}`,
  };
};
