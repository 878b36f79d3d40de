/**
 * Every question about run and task states is answered here, so that the engine, the store, the server and the
 * dashboard agree on what "terminal" or "can be paused" means.
 */
export const RunState = [
  'pending',
  'running',
  'paused',
  'blocked',
  'aborting',
  'succeeded',
  'failed',
  'aborted',
  'halted',
] as const;
export type RunState = (typeof RunState)[number];

export const TaskState = [
  'pending',
  'waiting',
  'running',
  'blocked',
  'stuck',
  'succeeded',
  'failed',
  'skipped',
  'cancelled',
] as const;
export type TaskState = (typeof TaskState)[number];

export function isTerminalRun(s: RunState): boolean {
  return s === 'succeeded' || s === 'failed' || s === 'aborted' || s === 'halted';
}

export function isTerminalTask(s: TaskState): boolean {
  return s === 'succeeded' || s === 'failed' || s === 'skipped' || s === 'cancelled';
}

/** A dependent may start once its parent is in one of these states. */
export function isDoneTask(s: TaskState): boolean {
  return s === 'succeeded' || s === 'skipped';
}

export function canPause(s: RunState): boolean {
  return s === 'running' || s === 'blocked' || s === 'pending';
}

export function canResume(s: RunState): boolean {
  return s === 'paused';
}

export function canAbort(s: RunState): boolean {
  return !isTerminalRun(s) && s !== 'aborting';
}
