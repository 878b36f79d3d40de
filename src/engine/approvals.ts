/**
 * Approvals: of a task's approval stage, by `approvers` different operators (one by default), and of a proposed
 * run, which then starts. Each approval carries a reason, recorded with who gave it.
 */
import type { PlannedTask } from '../model/compiled.js';
import { MaelstromError } from '../model/errors.js';
import type { EngineEvent } from '../model/events.js';
import { canApprove, canApproveRun } from '../model/states.js';
import type { Approval } from '../model/api.js';
import type { TaskPatch } from '../store/store.js';
import { checkConflict, checkPreflight } from './admission.js';
import type { Actor } from './controller.js';
import type { RunRuntime } from './runtime.js';

/** `${{ params.name }}` alone, the way a runbook hands a template parameter to a stage. */
const PARAM_REF = /^\$\{\{\s*params\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}$/;

function wholeNumber(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : undefined;
  return n !== undefined && Number.isInteger(n) && n >= 1 ? n : undefined;
}

/** How many different operators must approve the task's approval stage: its `approvers` (1 when unset). */
export function approversNeeded(planned: PlannedTask): number {
  const stage = planned.stages.find((s) => s.uses === 'approval');
  const raw = stage?.with?.approvers;
  if (raw === undefined) return 1;
  const ref = typeof raw === 'string' ? PARAM_REF.exec(raw) : null;
  return wholeNumber(ref ? planned.params[ref[1]!] : raw) ?? 1;
}

export function hasApprovalStage(planned: PlannedTask): boolean {
  return planned.stages.some((s) => s.uses === 'approval');
}

function requireReason(what: string, reason: string | undefined): string {
  if (reason === undefined || reason.trim() === '')
    throw new MaelstromError('E_BAD_REQUEST', `${what} needs a reason (it is recorded with the approval)`);
  return reason.trim();
}

function operatorEvent(rt: RunRuntime, actor: Actor, reason: string, target: string): EngineEvent {
  return {
    type: 'operator',
    time: rt.deps.clock.now(),
    runId: rt.id,
    action: 'approve',
    actor: actor.name,
    reason,
    target,
  };
}

/**
 * One operator's approval of a task's approval stage: refused when that operator approved it already (the stage
 * needs different people); the task is approved once it has as many approvals as its stage's `approvers`.
 */
export function taskApproval(
  rt: RunRuntime,
  taskId: string,
  actor: Actor,
  reason: string | undefined,
): { readonly patch: TaskPatch; readonly event: EngineEvent } {
  const why = requireReason('approve', reason);
  const planned = rt.plannedTask(taskId);
  if (!hasApprovalStage(planned)) throw new MaelstromError('E_BAD_REQUEST', `task ${taskId} has no approval stage`);
  const rec = rt.task(taskId);
  if (!canApprove(rec, { hasApproval: true })) {
    const state = rec.approved ? 'it is approved already' : `it is ${rec.state}`;
    throw new MaelstromError('E_INVALID_STATE', `task ${taskId} cannot be approved: ${state}`);
  }
  const needed = approversNeeded(planned);
  const given: readonly Approval[] = rec.approvals ?? [];
  if (given.some((a) => a.actor === actor.name)) {
    throw new MaelstromError(
      'E_CONFLICT',
      `task ${taskId} needs the approval of ${needed} different operators: ${actor.name} has approved it already; ` +
        `${needed - given.length} more to go`,
    );
  }
  const approvals = [...given, { actor: actor.name, at: rt.deps.clock.now(), reason: why }];
  return {
    patch: { approvals, ...(approvals.length >= needed ? { approved: true } : {}) },
    event: operatorEvent(rt, actor, why, taskId),
  };
}

/**
 * Makes room for a run about to act: refuses (E_CONFLICT) when another run is in the way, or takes the datacenter
 * over from the drain tests acting there (incidents beat tests). Answers the runs handed over.
 */
export type Admit = (rt: RunRuntime, actor: Actor) => Promise<readonly string[]>;

/** Without an engine to hand drain tests over: any run acting on the same services is in the way. */
const refuseAnyConflict: Admit = async (rt) => {
  await checkConflict(rt.deps.store, rt.compiled, rt.id);
  return [];
};

/**
 * Approves a proposed run: it needs a reason and a pre-flight that passes now; then `admit` makes room (an
 * incident's run refuses it, a drain test's is handed over to it, as for an operator's start) and it is pending,
 * and the scheduler starts it.
 */
export async function approveRun(
  rt: RunRuntime,
  actor: Actor,
  reason: string | undefined,
  admit: Admit = refuseAnyConflict,
): Promise<void> {
  const why = requireReason('approving a proposed run', reason);
  if (!canApproveRun(rt.run.state)) {
    throw new MaelstromError(
      'E_INVALID_STATE',
      `run ${rt.id} is ${rt.run.state}: only a proposed run is approved as a whole ` +
        '(to approve the approval stage of a task, name the task)',
    );
  }
  rt.deciding = true;
  try {
    checkPreflight(rt.compiled);
    const handedOver = await admit(rt, actor);
    if (!canApproveRun(rt.run.state))
      throw new MaelstromError('E_INVALID_STATE', `run ${rt.id} is ${rt.run.state} now`);
    const time = rt.deps.clock.now();
    const took =
      handedOver.length > 0
        ? `; it takes ${rt.run.datacenter} over from the drain test run ${handedOver.join(', ')}`
        : '';
    const proposal = rt.run.proposal;
    await rt.commit({
      run: {
        state: 'pending',
        reason: `approved by ${actor.name}: ${why}${took}`,
        ...(proposal
          ? { proposal: { ...proposal, approvedBy: actor.name, approvedAt: time, approvalReason: why } }
          : {}),
      },
      events: [
        operatorEvent(rt, actor, why, rt.id),
        {
          type: 'run.state',
          time,
          runId: rt.id,
          plan: rt.run.plan,
          state: 'pending',
          reason: `approved by ${actor.name}`,
        },
      ],
    });
  } finally {
    rt.deciding = false;
    rt.wake();
  }
}
