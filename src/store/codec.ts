/**
 * Records ↔ table rows, shared by the SQL stores so that SQLite and PostgreSQL keep the same columns and the same
 * meaning. JSON values are stored as text; booleans as 0/1; absent values as NULL.
 *
 * A patch clears a column when it names the key with the value `undefined` (`{ reason: undefined }`), and leaves
 * the column alone when the key is not in the patch at all.
 */
import type { EngineEvent } from '../model/events.js';
import type { RunState, StopIntent, TaskState } from '../model/states.js';
import type { Approval, DeliveryState, Proposal } from '../model/api.js';
import type { NotifyEvent } from '../model/definitions.js';
import type {
  AuditEntry,
  ControllerRecord,
  Lease,
  DeliveryPatch,
  DeliveryRecord,
  NewOperatorRequest,
  OperatorRequest,
  RequestOutcome,
  Role,
  RunPatch,
  RunRecord,
  TaskPatch,
  TaskRecord,
  TokenRecord,
} from './store.js';
import type { CompiledPlan } from '../model/compiled.js';
import type { RunOrigin } from '../model/api.js';
import type {
  DiagnosisKind,
  ResolutionOutcome,
  ResolverKind,
  ResolverRecord,
  ResolverStats,
} from '../model/regulation.js';

export type SqlValue = string | number | null;
export type Row = Readonly<Record<string, unknown>>;

const json = (v: unknown): SqlValue => (v === undefined ? null : JSON.stringify(v));
const bool = (v: boolean | undefined): SqlValue => (v === undefined ? null : v ? 1 : 0);
const opt = (v: string | number | undefined): SqlValue => (v === undefined ? null : v);

function parseJson(v: unknown): unknown {
  return typeof v === 'string' ? (JSON.parse(v) as unknown) : undefined;
}
/** A column's number, if it holds one (PostgreSQL answers BIGINT as text). */
export function num(v: unknown): number | undefined {
  if (v === null || v === undefined) return undefined;
  return typeof v === 'number' ? v : Number(v);
}
/** A column's text, if it holds text. */
export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}
function flag(v: unknown): boolean | undefined {
  const n = num(v);
  return n === undefined ? undefined : n !== 0;
}

/** Drops keys whose value is undefined, so records read back compare equal to what was written. */
export function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

// ------------------------------------------------------------------------------------------------- runs

export const RUN_COLUMNS = [
  'id',
  'plan',
  'datacenter',
  'direction',
  'state',
  'compiled',
  'created_at',
  'started_at',
  'finished_at',
  'reason',
  'critical_path',
  'analysis',
  'actor',
  'stop_intent',
  'origin',
  'handed_over_to',
  'trigger_name',
  'proposal',
] as const;

export function runRow(r: RunRecord): SqlValue[] {
  return [
    r.id,
    r.plan,
    r.datacenter,
    r.direction,
    r.state,
    JSON.stringify(r.compiled),
    r.createdAt,
    opt(r.startedAt),
    opt(r.finishedAt),
    opt(r.reason),
    json(r.criticalPath),
    json(r.analysis),
    opt(r.actor),
    opt(r.stopIntent),
    json(r.origin),
    opt(r.handedOverTo),
    opt(r.trigger),
    json(r.proposal),
  ];
}

export function rowRun(row: Row): RunRecord {
  return compact({
    id: String(row.id),
    plan: String(row.plan),
    datacenter: String(row.datacenter),
    direction: row.direction as RunRecord['direction'],
    state: row.state as RunState,
    compiled: parseJson(row.compiled) as CompiledPlan,
    createdAt: num(row.created_at) ?? 0,
    startedAt: num(row.started_at),
    finishedAt: num(row.finished_at),
    reason: str(row.reason),
    criticalPath: parseJson(row.critical_path) as readonly string[] | undefined,
    analysis: parseJson(row.analysis),
    actor: str(row.actor),
    stopIntent: str(row.stop_intent) as StopIntent | undefined,
    origin: parseJson(row.origin) as RunOrigin | undefined,
    handedOverTo: str(row.handed_over_to),
    trigger: str(row.trigger_name),
    proposal: parseJson(row.proposal) as Proposal | undefined,
  });
}

const RUN_PATCH: Record<keyof Required<RunPatch>, [string, (v: never) => SqlValue]> = {
  state: ['state', (v: string) => v],
  startedAt: ['started_at', opt],
  finishedAt: ['finished_at', opt],
  reason: ['reason', opt],
  criticalPath: ['critical_path', json],
  analysis: ['analysis', json],
  stopIntent: ['stop_intent', opt],
  handedOverTo: ['handed_over_to', opt],
  proposal: ['proposal', json],
};

// ------------------------------------------------------------------------------------------------ tasks

export const TASK_COLUMNS = [
  'run_id',
  'id',
  'position',
  'state',
  'stage',
  'stage_state',
  'attempt',
  'started_at',
  'finished_at',
  'reason',
  'stuck',
  'approved',
  'overrides',
  'watches',
  'approvals',
] as const;

export function taskRow(t: TaskRecord, position: number): SqlValue[] {
  return [
    t.runId,
    t.id,
    position,
    t.state,
    t.stage,
    json(t.stageState),
    t.attempt,
    opt(t.startedAt),
    opt(t.finishedAt),
    opt(t.reason),
    bool(t.stuck),
    bool(t.approved),
    json(t.overrides),
    json(t.watches),
    json(t.approvals),
  ];
}

export function rowTask(row: Row): TaskRecord {
  return compact({
    runId: String(row.run_id),
    id: String(row.id),
    state: row.state as TaskState,
    stage: num(row.stage) ?? 0,
    stageState: parseJson(row.stage_state),
    attempt: num(row.attempt) ?? 1,
    startedAt: num(row.started_at),
    finishedAt: num(row.finished_at),
    reason: str(row.reason),
    stuck: flag(row.stuck),
    approved: flag(row.approved),
    overrides: parseJson(row.overrides) as TaskRecord['overrides'],
    watches: parseJson(row.watches) as TaskRecord['watches'],
    approvals: parseJson(row.approvals) as readonly Approval[] | undefined,
  });
}

const TASK_PATCH: Record<keyof Required<TaskPatch>, [string, (v: never) => SqlValue]> = {
  state: ['state', (v: string) => v],
  stage: ['stage', (v: number) => v],
  stageState: ['stage_state', json],
  attempt: ['attempt', (v: number) => v],
  startedAt: ['started_at', opt],
  finishedAt: ['finished_at', opt],
  reason: ['reason', opt],
  stuck: ['stuck', bool],
  approved: ['approved', bool],
  overrides: ['overrides', json],
  watches: ['watches', json],
  approvals: ['approvals', json],
};

/** Column assignments of a patch: [column, value] for every key the patch names. */
function patchColumns<P extends object>(
  patch: P,
  map: Record<string, [string, (v: never) => SqlValue]>,
): [string, SqlValue][] {
  const out: [string, SqlValue][] = [];
  for (const key of Object.keys(patch)) {
    const entry = map[key];
    if (!entry) continue;
    const [column, encode] = entry;
    const value = (patch as Record<string, unknown>)[key];
    out.push([column, value === undefined ? null : encode(value as never)]);
  }
  return out;
}

export const runPatchColumns = (p: RunPatch): [string, SqlValue][] => patchColumns(p, RUN_PATCH);
export const taskPatchColumns = (p: TaskPatch): [string, SqlValue][] => patchColumns(p, TASK_PATCH);

// ----------------------------------------------------------------------------------------------- events

/** The event as stored: everything but its sequence number, which is the row's key. */
/** The stored body: the event less its sequence number, with the epoch it was committed at when fenced. */
export function eventBody(e: EngineEvent, epoch?: number): string {
  const { seq: _seq, ...rest } = e;
  return JSON.stringify(epoch === undefined ? rest : { ...rest, epoch });
}

export function rowEvent(row: Row): EngineEvent {
  return { ...(JSON.parse(String(row.body)) as EngineEvent), seq: num(row.seq) ?? 0 };
}

// ------------------------------------------------------------------------------------------ tokens, audit

export function rowToken(row: Row): TokenRecord {
  return compact({
    id: String(row.id),
    name: String(row.name),
    role: row.role as Role,
    hash: String(row.hash),
    createdAt: num(row.created_at) ?? 0,
    revokedAt: num(row.revoked_at),
  });
}

export function rowAudit(row: Row): AuditEntry {
  return compact({
    id: num(row.id),
    time: num(row.time) ?? 0,
    actor: String(row.actor),
    action: String(row.action),
    target: str(row.target),
    reason: str(row.reason),
    details: parseJson(row.details),
  });
}

export function auditRow(e: AuditEntry): SqlValue[] {
  return [e.time, e.actor, e.action, opt(e.target), opt(e.reason), json(e.details)];
}

// ------------------------------------------------------------------------------------------------ requests

export const REQUEST_COLUMNS = ['time', 'actor', 'role', 'run_id', 'body', 'hlc'] as const;

export function requestRow(r: NewOperatorRequest, hlc?: string): SqlValue[] {
  return [r.time, r.actor, r.role, opt(r.runId), JSON.stringify(r.body ?? null), opt(hlc)];
}

export function rowRequest(row: Row): OperatorRequest {
  return compact({
    id: num(row.id) ?? 0,
    time: num(row.time) ?? 0,
    actor: String(row.actor),
    role: row.role as Role,
    runId: str(row.run_id),
    body: parseJson(row.body),
    appliedAt: num(row.applied_at),
    outcome: str(row.outcome) as RequestOutcome | undefined,
    error: str(row.error),
  });
}

// ------------------------------------------------------------------------------------------ leases, controllers

export function rowLease(row: Row): Lease {
  return compact({
    name: String(row.name),
    holder: String(row.holder),
    expiresAt: num(row.expires_at) ?? 0,
    epoch: num(row.epoch) ?? 0,
    renewedAt: num(row.renewed_at),
    handoverTo: str(row.handover_to),
  });
}

export const LEASE_COLUMNS = ['name', 'holder', 'expires_at', 'epoch', 'renewed_at', 'handover_to'] as const;

export function leaseRow(l: Lease): SqlValue[] {
  return [l.name, l.holder, l.expiresAt, l.epoch, opt(l.renewedAt), opt(l.handoverTo)];
}

export const CONTROLLER_COLUMNS = ['id', 'datacenter', 'url', 'role', 'epoch', 'started_at', 'seen_at'] as const;

export function controllerRow(c: ControllerRecord): SqlValue[] {
  return [c.id, opt(c.datacenter), opt(c.url), c.role, opt(c.epoch), c.startedAt, c.seenAt];
}

export function rowController(row: Row): ControllerRecord {
  return compact({
    id: String(row.id),
    datacenter: str(row.datacenter),
    url: str(row.url),
    role: row.role as ControllerRecord['role'],
    epoch: num(row.epoch),
    startedAt: num(row.started_at) ?? 0,
    seenAt: num(row.seen_at) ?? 0,
  });
}
// ------------------------------------------------------------------------------------------ resolver records

export const RESOLUTION_COLUMNS = [
  'time',
  'run_id',
  'task_id',
  'service',
  'datacenter',
  'diagnosis',
  'resolver',
  'outcome',
  'detail',
] as const;

export function resolutionRow(r: ResolverRecord): SqlValue[] {
  return [r.time, r.runId, r.taskId, r.service, r.datacenter, r.diagnosis, r.resolver, r.outcome, opt(r.detail)];
}

export function rowResolution(row: Row): ResolverRecord {
  return compact({
    time: num(row.time) ?? 0,
    runId: String(row.run_id),
    taskId: String(row.task_id),
    service: String(row.service),
    datacenter: String(row.datacenter),
    diagnosis: row.diagnosis as DiagnosisKind,
    resolver: row.resolver as ResolverKind,
    outcome: row.outcome as ResolutionOutcome,
    detail: str(row.detail),
  });
}

/** Statistics per diagnosis and resolver, in a stable order (SQL `GROUP BY` orders differently per dialect). */
export function rowStats(row: Row): ResolverStats {
  return {
    diagnosis: row.diagnosis as DiagnosisKind,
    resolver: row.resolver as ResolverKind,
    tried: num(row.tried) ?? 0,
    helped: num(row.helped) ?? 0,
    partly: num(row.partly) ?? 0,
  };
}

export function sortStats(stats: ResolverStats[]): ResolverStats[] {
  return stats.sort((a, b) =>
    a.diagnosis === b.diagnosis ? (a.resolver < b.resolver ? -1 : 1) : a.diagnosis < b.diagnosis ? -1 : 1,
  );
}

// ---------------------------------------------------------------------------------------------- deliveries

export const DELIVERY_COLUMNS = [
  'notifier',
  'event',
  'run_id',
  'task_id',
  'summary',
  'state',
  'attempts',
  'created_at',
  'last_attempt_at',
  'delivered_at',
  'error',
  'body',
  'content_type',
] as const;

export function deliveryRow(d: DeliveryRecord): SqlValue[] {
  return [
    d.notifier,
    d.event,
    opt(d.runId),
    opt(d.taskId),
    d.summary,
    d.state,
    d.attempts,
    d.createdAt,
    opt(d.lastAttemptAt),
    opt(d.deliveredAt),
    opt(d.error),
    d.body,
    d.contentType,
  ];
}

export function rowDelivery(row: Row): DeliveryRecord {
  return compact({
    id: num(row.id),
    notifier: String(row.notifier),
    event: row.event as NotifyEvent,
    runId: str(row.run_id),
    taskId: str(row.task_id),
    summary: String(row.summary),
    state: row.state as DeliveryState,
    attempts: num(row.attempts) ?? 0,
    createdAt: num(row.created_at) ?? 0,
    lastAttemptAt: num(row.last_attempt_at),
    deliveredAt: num(row.delivered_at),
    error: str(row.error),
    body: String(row.body),
    contentType: String(row.content_type),
  });
}

const DELIVERY_PATCH: Record<keyof Required<DeliveryPatch>, [string, (v: never) => SqlValue]> = {
  state: ['state', (v: string) => v],
  attempts: ['attempts', (v: number) => v],
  lastAttemptAt: ['last_attempt_at', opt],
  deliveredAt: ['delivered_at', opt],
  error: ['error', opt],
};

export const deliveryPatchColumns = (p: DeliveryPatch): [string, SqlValue][] => patchColumns(p, DELIVERY_PATCH);
