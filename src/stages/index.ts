/**
 * The stage library: every StageKind of the definitions, by name. The executor looks stages up here; lint checks
 * `uses:` against the same keys.
 */
import type { ActionKind } from '../backends/backend.js';
import { StageKind } from '../model/definitions.js';
import type { StageFn, StageLibrary } from './stage.js';
import { trafficShift } from './traffic-shift.js';
import { approval, waitFor, waitUntil } from './wait.js';

const notYet = (kind: StageKind): StageFn => async () => ({ outcome: 'failure', detail: `${kind} is not available yet` });

export const stages: StageLibrary = {
  'traffic.shift': trafficShift,
  'sessions.drain': notYet('sessions.drain'),
  'jobs.restart': notYet('jobs.restart'),
  'jobs.stop': notYet('jobs.stop'),
  'jobs.start': notYet('jobs.start'),
  'replication.repoint': notYet('replication.repoint'),
  'stateful.promote': notYet('stateful.promote'),
  'shards.migrate': notYet('shards.migrate'),
  'config.set': notYet('config.set'),
  'alerts.suppress': notYet('alerts.suppress'),
  'wait.until': waitUntil,
  'wait.for': waitFor,
  approval,
  'http.call': notYet('http.call'),
  'command.run': notYet('command.run'),
};

/** The backend actions each stage may send, so a plan whose backend lacks one is refused before it starts. */
export const stageActions: Readonly<Record<StageKind, readonly ActionKind[]>> = {
  'traffic.shift': ['weights.set'],
  'sessions.drain': ['sessions.teardown'],
  'jobs.restart': ['jobs.restart'],
  'jobs.stop': ['jobs.stop'],
  'jobs.start': ['jobs.start'],
  'replication.repoint': ['replication.source'],
  'stateful.promote': ['stateful.primary'],
  'shards.migrate': ['shards.place'],
  'config.set': ['config.set'],
  'alerts.suppress': ['alerts.suppress'],
  'wait.until': [],
  'wait.for': [],
  approval: [],
  'http.call': [],
  'command.run': [],
};

export function isStageKind(uses: string): uses is StageKind {
  return StageKind.safeParse(uses).success;
}

export type { StageContext, StageFn, StageResult, ConditionVerdict } from './stage.js';
export { act } from './stage.js';
