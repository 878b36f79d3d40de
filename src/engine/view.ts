/**
 * Records as the server, the CLI and the dashboard see them, with what an operator may do to each run and task now
 * (computed by states.ts, here and nowhere else).
 */
import type { RunView, TaskView } from '../model/api.js';
import type { PlannedTask } from '../model/compiled.js';
import {
  allowedRunActions,
  allowedTaskActions,
  isExecutingTask,
  isProposedRun,
  type RunState,
  type TaskShape,
} from '../model/states.js';
import type { RunRecord, TaskRecord } from '../store/store.js';
import { approversNeeded, hasApprovalStage } from './approvals.js';
import { parentSatisfied } from './scheduler.js';

/** What the state rules need to know of a task's plan and parents. */
export function taskShape(
  planned: PlannedTask,
  record: TaskRecord | undefined,
  records: ReadonlyMap<string, TaskRecord>,
): TaskShape {
  const overridden = record?.overrides?.dependencies ?? [];
  const overridable = planned.after.filter((p) => {
    const parent = records.get(p);
    if (overridden.includes(p) || (record && parentSatisfied(planned, record, p, parent))) return false;
    return planned.weakAfter.includes(p) || parent?.stuck === true;
  });
  return {
    hasApproval: hasApprovalStage(planned),
    hasConditions: planned.pre.length + planned.health.length + planned.post.length > 0,
    overridableDependencies: overridable.length,
  };
}

function taskView(
  runState: RunState,
  p: PlannedTask,
  t: TaskRecord | undefined,
  records: ReadonlyMap<string, TaskRecord>,
  progress: number | undefined,
): TaskView {
  const state = t?.state ?? 'pending';
  const facts = t ?? { state };
  return {
    id: p.id,
    service: p.service,
    template: p.template,
    state,
    after: [...p.after],
    ...(t && isExecutingTask(state) ? { stage: t.stage } : {}),
    stages: p.stages.map((s, i) => s.name ?? `${i + 1}:${s.uses}`),
    ...(t?.startedAt !== undefined ? { startedAt: t.startedAt } : {}),
    ...(t?.finishedAt !== undefined ? { finishedAt: t.finishedAt } : {}),
    ...(progress !== undefined
      ? { progress }
      : state === 'succeeded' && p.stages.some((s) => s.uses === 'traffic.shift')
        ? { progress: 1 }
        : {}),
    ...(t?.reason !== undefined ? { reason: t.reason } : {}),
    ...(t?.stuck ? { stuck: true } : {}),
    ...(t?.approved ? { approved: true } : {}),
    ...(hasApprovalStage(p) ? { approvers: approversNeeded(p) } : {}),
    ...(t?.approvals?.length ? { approvals: [...t.approvals] } : {}),
    allowedActions: allowedTaskActions(runState, facts, taskShape(p, t, records)),
  };
}

export function toRunView(
  run: RunRecord,
  tasks: readonly TaskRecord[],
  progress?: ReadonlyMap<string, number>,
): RunView {
  const byId = new Map(tasks.map((t) => [t.id, t]));
  return {
    id: run.id,
    plan: run.plan,
    state: run.state,
    datacenter: run.datacenter,
    direction: run.direction,
    createdAt: run.createdAt,
    ...(run.startedAt !== undefined ? { startedAt: run.startedAt } : {}),
    ...(run.finishedAt !== undefined ? { finishedAt: run.finishedAt } : {}),
    tasks: run.compiled.tasks.map((p) => taskView(run.state, p, byId.get(p.id), byId, progress?.get(p.id))),
    ...(run.reason !== undefined ? { reason: run.reason } : {}),
    ...(run.criticalPath !== undefined ? { criticalPath: [...run.criticalPath] } : {}),
    ...(run.proposal !== undefined ? { proposal: run.proposal } : {}),
    ...(isProposedRun(run.state) ? { preflight: run.compiled.preflight } : {}),
    allowedActions: allowedRunActions(run.state),
    ...(run.origin ? { origin: run.origin } : {}),
    ...(run.handedOverTo !== undefined ? { handedOverTo: run.handedOverTo } : {}),
  };
}
