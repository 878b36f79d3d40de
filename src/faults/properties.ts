/**
 * The properties of a good outcome of a drill, checked after every execution (docs/report.md lists them). Each is a
 * pure function of the drill's record: the engine's events, the runs as the store left them, the simulator's
 * counters and journal. A drain-test report carries the names of those that failed as `violations`.
 */
import { durationMs } from '../model/duration.js';
import type { EngineEvent } from '../model/events.js';
import { ENGINE_POLL_MS, type ExecutionRecord } from './record.js';

export const PROPERTY_NAMES = [
  'plans-succeeded',
  'datacenter-drained',
  'no-overload',
  'failed-requests',
  'dependency-order',
  'holds-announced',
] as const;
export type PropertyName = (typeof PROPERTY_NAMES)[number];

/** What each property asks, in a sentence (the report lists them). */
export const PROPERTY_DESCRIPTIONS: Readonly<Record<PropertyName, string>> = {
  'plans-succeeded': 'every plan of the schedule succeeded, within its deadline',
  'datacenter-drained': "the drained datacenter's share of the fleet's load is at most 1 % when each drain plan ends",
  'no-overload': 'zero overload-seconds: no service in any datacenter ran above 100 % utilisation',
  'failed-requests': 'failed requests within the budget (expect.failedRequests, by default 0.1 % of all requests)',
  'dependency-order': 'no task started before every strong dependency of it was done',
  'holds-announced': 'every hold or block was announced by an event within one poll',
};

/** Share of the fleet's load the drained datacenter may keep when its drain ends. */
export const DRAINED_SHARE = 0.01;
/** Failed requests allowed when the scenario sets no budget: this fraction of all requests. */
export const DEFAULT_FAILED_FRACTION = 0.001;

export interface PropertyResult {
  readonly name: PropertyName;
  readonly ok: boolean;
  /** Why it failed (the first few reasons). */
  readonly detail?: string;
}

const MAX_REASONS = 3;

function result(name: PropertyName, reasons: readonly string[]): PropertyResult {
  if (reasons.length === 0) return { name, ok: true };
  const more = reasons.length > MAX_REASONS ? ` (and ${reasons.length - MAX_REASONS} more)` : '';
  return { name, ok: false, detail: reasons.slice(0, MAX_REASONS).join('; ') + more };
}

function plansSucceeded(r: ExecutionRecord): string[] {
  const reasons: string[] = [];
  const deadlineOf = new Map((r.scenario.spec.run ?? []).map((e) => [e.plan, e.deadline]));
  for (const run of r.runs) {
    const view = run.view;
    if (!view) {
      reasons.push(`${run.plan} did not run${run.error ? `: ${run.error}` : ''}`);
      continue;
    }
    if (view.state !== 'succeeded') {
      reasons.push(`${run.plan} ended ${view.state}`);
      continue;
    }
    const deadline = deadlineOf.get(run.plan);
    const took = (view.finishedAt ?? r.endMs) - (view.startedAt ?? view.createdAt);
    if (deadline !== undefined && took > durationMs(deadline))
      reasons.push(`${run.plan} took ${Math.round(took / 1000)}s, past its deadline of ${deadline}`);
  }
  return reasons;
}

function datacenterDrained(r: ExecutionRecord): string[] {
  const reasons: string[] = [];
  for (const run of r.runs) {
    if (run.compiled?.direction !== 'drain' || run.runId === undefined) continue;
    const dc = run.compiled.datacenter;
    const share = r.drainedShares?.[run.runId]?.[dc];
    if (share === undefined) reasons.push(`${run.plan} never ended, so ${dc} was not drained`);
    else if (share > DRAINED_SHARE)
      reasons.push(`${dc} kept ${(share * 100).toFixed(1)} % of the load when ${run.plan} ended`);
  }
  return reasons;
}

function noOverload(r: ExecutionRecord): string[] {
  const reasons: string[] = [];
  for (const [service, byDc] of Object.entries(r.counters.overloadSeconds))
    for (const [dc, seconds] of Object.entries(byDc))
      if (seconds > 0) reasons.push(`${service} in ${dc} overloaded for ${Math.round(seconds)}s`);
  return reasons;
}

/** The failed requests a scenario allows: its `expect.failedRequests`, or 0.1 % of all requests. */
export function failedRequestBudget(r: ExecutionRecord): number {
  return (
    r.scenario.spec.expect?.failedRequests ??
    DEFAULT_FAILED_FRACTION * (r.counters.failedRequests + r.counters.servedRequests)
  );
}

function failedRequests(r: ExecutionRecord): string[] {
  const budget = failedRequestBudget(r);
  const failed = r.counters.failedRequests;
  return failed > budget ? [`${Math.round(failed)} requests failed, over the budget of ${Math.round(budget)}`] : [];
}

function dependencyOrder(r: ExecutionRecord): string[] {
  const reasons: string[] = [];
  for (const run of r.runs) {
    if (!run.compiled || run.runId === undefined) continue;
    const firstRun = new Map<string, number>();
    const done = new Map<string, number>();
    for (const e of r.events) {
      if (e.type !== 'task.state' || e.runId !== run.runId) continue;
      if (e.state === 'running' && !firstRun.has(e.taskId)) firstRun.set(e.taskId, e.time);
      if ((e.state === 'succeeded' || e.state === 'skipped') && !done.has(e.taskId)) done.set(e.taskId, e.time);
    }
    // An action sent on behalf of a task counts as its start too, even one no event announced.
    for (const a of r.journal ?? []) {
      if (a.origin?.runId !== run.runId) continue;
      const t = firstRun.get(a.origin.taskId);
      if (t === undefined || a.time < t) firstRun.set(a.origin.taskId, a.time);
    }
    for (const task of run.compiled.tasks) {
      const started = firstRun.get(task.id);
      if (started === undefined) continue;
      for (const parent of task.after) {
        if (task.weakAfter.includes(parent)) continue;
        const parentDone = done.get(parent);
        if (parentDone === undefined || parentDone > started)
          reasons.push(`${run.plan}: ${task.id} started before ${parent} was done`);
      }
    }
  }
  return reasons;
}

const isAnnouncement = (e: EngineEvent, taskId: string): boolean =>
  (e.type === 'condition.blocked' && e.taskId === taskId) ||
  (e.type === 'health' && e.taskId === taskId && e.ok !== true) ||
  (e.type === 'task.state' && e.taskId === taskId && (e.state === 'blocked' || e.state === 'waiting'));

/**
 * Holds the world imposes are announced: while a reading a task's health checks need is missing (a metrics
 * fault), or the task is held on its conditions, an event says so within one poll of it starting. `reads` names,
 * per task id, the readings its health checks rest on (`service/datacenter`, `service/*` for fleet-wide figures).
 */
function holdsAnnounced(r: ExecutionRecord, reads: ReadonlyMap<string, readonly string[]>): string[] {
  const reasons: string[] = [];
  const tolerance = ENGINE_POLL_MS + 1_000;
  for (const run of r.runs) {
    if (!run.view || run.runId === undefined) continue;
    const events = r.events.filter((e) => e.runId === run.runId);
    // Every hold the engine entered carries its reason with it.
    for (const e of events) {
      if (e.type !== 'task.state' || (e.state !== 'blocked' && e.state !== 'waiting')) continue;
      const near = events.some(
        (o) =>
          o !== e &&
          Math.abs(o.time - e.time) <= tolerance &&
          (o.type === 'condition.blocked' || o.type === 'health') &&
          'taskId' in o &&
          o.taskId === e.taskId,
      );
      if (!near && e.reason === undefined) reasons.push(`${e.taskId} turned ${e.state} with no reason given`);
    }
    // Every missing reading a running task's health rests on is noticed within one poll.
    const missing = (r.scenario.spec.faults ?? []).filter((f) => f.kind === 'metrics-missing');
    for (const task of run.view.tasks) {
      if (task.startedAt === undefined) continue;
      const needs = reads.get(`${run.plan}:${task.id}`) ?? [];
      const end = task.finishedAt ?? r.endMs;
      for (const f of missing) {
        const from = r.startMs + durationMs(f.at);
        const to = f.duration === undefined ? Number.POSITIVE_INFINITY : from + durationMs(f.duration);
        const hit = needs.some((k) => {
          const [svc, dc] = k.split('/');
          return (f.service === undefined || f.service === svc) && (f.datacenter === undefined || f.datacenter === dc);
        });
        const since = Math.max(from, task.startedAt);
        // Only a gap that outlasts a poll, while the task is still running, must have been seen.
        if (!hit || Math.min(to, end) - since <= tolerance) continue;
        const seen = events.some((e) => e.time >= since && e.time <= since + tolerance && isAnnouncement(e, task.id));
        if (!seen)
          reasons.push(`${task.id}: readings of ${f.service ?? 'every service'} missing, no event within one poll`);
      }
    }
  }
  return reasons;
}

/**
 * Every property of the outcome. `healthReads` (from `taskReads` in lineage.ts) lets `holds-announced` check that
 * missing readings were noticed; without it only the engine's own holds are checked.
 */
export function checkProperties(
  r: ExecutionRecord,
  healthReads: ReadonlyMap<string, readonly string[]> = new Map(),
): PropertyResult[] {
  return [
    result('plans-succeeded', plansSucceeded(r)),
    result('datacenter-drained', datacenterDrained(r)),
    result('no-overload', noOverload(r)),
    result('failed-requests', failedRequests(r)),
    result('dependency-order', dependencyOrder(r)),
    result('holds-announced', holdsAnnounced(r, healthReads)),
  ];
}

/** Names of the properties that failed, in the order of PROPERTY_NAMES. */
export function violationsOf(results: readonly PropertyResult[]): PropertyName[] {
  return results.filter((p) => !p.ok).map((p) => p.name);
}
