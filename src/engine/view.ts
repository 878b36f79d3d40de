/** Records as the server, the CLI and the dashboard see them. */
import type { RunRecord, TaskRecord } from '../store/store.js';
import type { RunView, TaskView } from './controller.js';

export function toRunView(
  run: RunRecord,
  tasks: readonly TaskRecord[],
  progress?: ReadonlyMap<string, number>,
): RunView {
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const views: TaskView[] = run.compiled.tasks.map((p) => {
    const t = byId.get(p.id);
    const state = t?.state ?? 'pending';
    const executing = state === 'running' || state === 'stuck' || state === 'blocked';
    const prog = progress?.get(p.id);
    return {
      id: p.id,
      service: p.service,
      template: p.template,
      state,
      after: p.after,
      ...(t && executing ? { stage: t.stage } : {}),
      stages: p.stages.map((s, i) => s.name ?? `${i + 1}:${s.uses}`),
      ...(t?.startedAt !== undefined ? { startedAt: t.startedAt } : {}),
      ...(t?.finishedAt !== undefined ? { finishedAt: t.finishedAt } : {}),
      ...(prog !== undefined
        ? { progress: prog }
        : state === 'succeeded' && p.stages.some((s) => s.uses === 'traffic.shift')
          ? { progress: 1 }
          : {}),
      ...(t?.reason !== undefined ? { reason: t.reason } : {}),
      ...(t?.stuck ? { stuck: true } : {}),
    };
  });
  return {
    id: run.id,
    plan: run.plan,
    state: run.state,
    datacenter: run.datacenter,
    direction: run.direction,
    createdAt: run.createdAt,
    ...(run.startedAt !== undefined ? { startedAt: run.startedAt } : {}),
    ...(run.finishedAt !== undefined ? { finishedAt: run.finishedAt } : {}),
    tasks: views,
    ...(run.reason !== undefined ? { reason: run.reason } : {}),
    ...(run.criticalPath !== undefined ? { criticalPath: run.criticalPath } : {}),
  };
}
