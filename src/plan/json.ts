/**
 * A compiled plan as JSON: what `maelstrom plan --json` prints and the API's plan preview answers, the same for
 * both (its shape is `PlanPreview` in model/api.ts).
 */
import type { PlanPreview } from '../model/api.js';
import type { CompiledPlan } from '../model/compiled.js';
import { describeWait } from './explain.js';

/** The fields of the documented shape first, then the rest of the compiled plan. */
export function planJson(c: CompiledPlan): PlanPreview {
  return {
    plan: c.plan,
    tasks: c.tasks.map((t) => ({
      id: t.id,
      service: t.service,
      runbook: t.runbook,
      task: t.task,
      template: t.template,
      after: [...t.after],
      weakAfter: [...t.weakAfter],
      priority: t.priority,
      expectedMs: t.expectedMs,
      ...(t.expectedNote !== undefined ? { expectedNote: t.expectedNote } : {}),
      params: { ...t.params },
      waits: (t.waits ?? []).map((w) => ({ after: w.after, weak: w.weak, why: describeWait(w, c.direction) })),
    })),
    waves: c.waves.map((w) => [...w]),
    hccs: [...c.hccs],
    preflight: c.preflight,
    criticalPath: [...c.criticalPath],
    fleet: c.fleet,
    direction: c.direction,
    datacenter: c.datacenter,
    concurrency: c.concurrency,
    estimateMs: c.estimateMs,
    predictedMs: c.estimateMs,
    hccGroups: (c.hccGroups ?? c.hccs.map((h) => [h])).map((g) => [...g]),
    ...(c.restorePlan === undefined ? {} : { restorePlan: c.restorePlan }),
  };
}
