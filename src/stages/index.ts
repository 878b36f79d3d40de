/**
 * The stage library: every StageKind of the definitions, by name. The executor looks stages up here; lint checks
 * `uses:` against the same keys.
 */
import type { ActionKind } from '../backends/backend.js';
import { StageKind } from '../model/definitions.js';
import type { StageLibrary, WatchLibrary } from './stage.js';
import { commandRun, httpCall } from './external.js';
import { jobsRestart, jobsStart, jobsStop } from './jobs.js';
import { sessionsDrain } from './sessions.js';
import { alertsSuppress, configSet } from './settings.js';
import { replicationReplica, replicationRepoint, shardsMigrate, statefulPromote } from './state-moves.js';
import { trafficShift, watchShift } from './traffic-shift.js';
import { approval, waitFor, waitUntil } from './wait.js';

export const stages: StageLibrary = {
  'traffic.shift': trafficShift,
  'sessions.drain': sessionsDrain,
  'jobs.restart': jobsRestart,
  'jobs.stop': jobsStop,
  'jobs.start': jobsStart,
  'replication.repoint': replicationRepoint,
  'replication.replica': replicationReplica,
  'stateful.promote': statefulPromote,
  'shards.migrate': shardsMigrate,
  'config.set': configSet,
  'alerts.suppress': alertsSuppress,
  'wait.until': waitUntil,
  'wait.for': waitFor,
  approval,
  'http.call': httpCall,
  'command.run': commandRun,
};

/** What keeps a finished stage regulated while its run goes on: a self-regulating shift's watch. */
export const watchers: WatchLibrary = { 'traffic.shift': watchShift };

/** The backend actions each stage may send, so a plan whose backend lacks one is refused before it starts. */
export const stageActions: Readonly<Record<StageKind, readonly ActionKind[]>> = {
  'traffic.shift': ['weights.set'],
  'sessions.drain': ['sessions.teardown'],
  'jobs.restart': ['jobs.restart'],
  'jobs.stop': ['jobs.stop'],
  'jobs.start': ['jobs.start'],
  'replication.repoint': ['replication.source'],
  'replication.replica': ['replication.replica'],
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

export type {
  StageContext,
  StageFn,
  StageResult,
  StageWith,
  ConditionVerdict,
  WatchContext,
  WatchFn,
  WatchLibrary,
} from './stage.js';
export { act } from './stage.js';
