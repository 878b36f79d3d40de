/**
 * Which tasks of a run may start now: pure functions over the run's task records, so that the rules are stated
 * once and tested without a clock or a backend.
 *
 * A task may start when, and only when, every parent is done. A parent is done when it succeeded or was skipped
 * and is not flagged stuck; a stuck parent stalls its dependents until an operator acts (retry or skip the
 * parent, or override the dependency). An operator may override a weak dependency, which then no longer waits.
 */
import type { PlannedTask } from '../model/compiled.js';
import { TaskState, isDoneTask, isStartableTask } from '../model/states.js';
import type { TaskRecord } from '../store/store.js';

/** Task states from which the scheduler may start a task (see states.ts). */
export const STARTABLE: readonly TaskState[] = TaskState.filter(isStartableTask);

/** Whether the edge parent → task no longer holds the task back. */
export function parentSatisfied(
  task: PlannedTask,
  record: TaskRecord,
  parentId: string,
  parent: TaskRecord | undefined,
): boolean {
  const overridden = record.overrides?.dependencies.includes(parentId) ?? false;
  if (overridden && task.weakAfter.includes(parentId)) return true;
  if (!parent || !isDoneTask(parent.state)) return false;
  // A stuck parent that finished anyway still stalls its dependents until an operator acts on this edge.
  return !parent.stuck || overridden;
}

export function parentsDone(task: PlannedTask, records: ReadonlyMap<string, TaskRecord>): boolean {
  const record = records.get(task.id);
  if (!record) return false;
  return task.after.every((p) => parentSatisfied(task, record, p, records.get(p)));
}

/** Parents that still hold the task back, for the operator ("waiting on …"). */
export function waitingOn(task: PlannedTask, records: ReadonlyMap<string, TaskRecord>): string[] {
  const record = records.get(task.id);
  if (!record) return [];
  return task.after.filter((p) => !parentSatisfied(task, record, p, records.get(p)));
}

/**
 * Tasks whose parents are done and that have not started their stages, best first: by priority class, then by
 * the plan's topological order.
 */
export function readyTasks(
  tasks: readonly PlannedTask[],
  records: ReadonlyMap<string, TaskRecord>,
  isBlockedByPre: (id: string) => boolean = () => false,
): PlannedTask[] {
  const order = new Map(tasks.map((t, i) => [t.id, i]));
  return tasks
    .filter((t) => {
      const r = records.get(t.id);
      if (!r) return false;
      const startable = isStartableTask(r.state) || (r.state === 'blocked' && isBlockedByPre(t.id));
      return startable && parentsDone(t, records);
    })
    .sort((a, b) => a.priority - b.priority || (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));
}

/**
 * How many more tasks may start now: the plan's concurrency less the tasks executing, resumed ones included, and
 * never fewer than none (a resumed run can find more executing than a lowered concurrency allows).
 */
export function freeSlots(concurrency: number, executing: number): number {
  return Math.max(0, concurrency - executing);
}

/** Whether every task is done (succeeded or skipped), so the run has succeeded. */
export function allDone(records: ReadonlyMap<string, TaskRecord>): boolean {
  for (const r of records.values()) if (!isDoneTask(r.state)) return false;
  return true;
}
