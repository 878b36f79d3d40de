import { describe, expect, it } from 'vitest';
import {
  RunState,
  TaskState,
  allowedRunActions,
  allowedTaskActions,
  isActingRun,
  isResumable,
  isSchedulingRun,
  isTerminalRun,
  type TaskShape,
} from './states.js';

const plain: TaskShape = { hasApproval: false, hasConditions: false, overridableDependencies: 0 };

describe('states', () => {
  it('offers approve and abort on a proposed run, nothing on its tasks, and schedules none of it', () => {
    expect(allowedRunActions('proposed')).toEqual(['approve', 'abort']);
    for (const state of TaskState)
      expect(allowedTaskActions('proposed', { state }, { ...plain, hasApproval: true })).toEqual([]);
    expect(isSchedulingRun('proposed')).toBe(false);
    expect(isTerminalRun('proposed')).toBe(false);
    // It acts on nothing: another run may take its services meanwhile.
    expect(RunState.filter(isActingRun)).toEqual(['pending', 'running', 'paused', 'blocked', 'aborting']);
    for (const s of RunState.filter((x) => x !== 'proposed')) expect(allowedRunActions(s)).not.toContain('approve');
  });

  it('offers pause on a moving run, resume on a paused one, abort until it stops, nothing once finished', () => {
    expect(allowedRunActions('running')).toEqual(['pause', 'abort']);
    expect(allowedRunActions('blocked')).toEqual(['pause', 'abort']);
    expect(allowedRunActions('pending')).toEqual(['pause', 'abort']);
    expect(allowedRunActions('paused')).toEqual(['resume', 'abort']);
    expect(allowedRunActions('aborting')).toEqual([]);
    for (const s of RunState.filter(isTerminalRun)) expect(allowedRunActions(s)).toEqual([]);
  });

  it('offers approve on a running task in its approval stage, until it is approved', () => {
    const gate = { ...plain, hasApproval: true };
    expect(allowedTaskActions('running', { state: 'running', startedAt: 1 }, gate)).toEqual(['skip', 'approve']);
    expect(allowedTaskActions('running', { state: 'pending' }, gate)).toContain('approve');
    expect(allowedTaskActions('running', { state: 'running', approved: true }, gate)).not.toContain('approve');
    expect(allowedTaskActions('running', { state: 'running' }, plain)).not.toContain('approve');
    expect(allowedTaskActions('running', { state: 'succeeded' }, gate)).toEqual([]);
  });

  it('offers retry on failed, blocked and stuck tasks, and on a stuck task that finished anyway', () => {
    expect(allowedTaskActions('blocked', { state: 'blocked', startedAt: 1 }, plain)).toEqual(['retry', 'skip']);
    expect(allowedTaskActions('blocked', { state: 'failed' }, plain)).toEqual(['retry', 'skip']);
    expect(allowedTaskActions('running', { state: 'stuck', stuck: true }, plain)).toEqual(['retry', 'skip']);
    expect(allowedTaskActions('blocked', { state: 'succeeded', stuck: true }, plain)).toEqual(['retry']);
    expect(allowedTaskActions('running', { state: 'running' }, plain)).toEqual(['skip']);
  });

  it('offers overrides only on unfinished tasks that have something to override', () => {
    const shape = { hasApproval: false, hasConditions: true, overridableDependencies: 1 };
    expect(allowedTaskActions('blocked', { state: 'waiting' }, shape)).toEqual([
      'skip',
      'override-condition',
      'override-dependency',
    ]);
    expect(allowedTaskActions('blocked', { state: 'failed' }, shape)).toEqual(['retry', 'skip']);
  });

  it('offers nothing on the tasks of a run being stopped or finished, and a paused run’s tasks may still be acted on', () => {
    for (const run of ['aborting', 'aborted', 'halted', 'succeeded'] as const)
      for (const state of TaskState) expect(allowedTaskActions(run, { state }, plain)).toEqual([]);
    expect(allowedTaskActions('paused', { state: 'failed' }, plain)).toEqual(['retry', 'skip']);
  });

  it('schedules only pending, running and blocked runs; resumes only tasks that had started', () => {
    expect(RunState.filter(isSchedulingRun)).toEqual(['pending', 'running', 'blocked']);
    expect(isResumable({ state: 'blocked' })).toBe(false);
    expect(isResumable({ state: 'blocked', startedAt: 5 })).toBe(true);
    expect(isResumable({ state: 'waiting', startedAt: 5 })).toBe(false);
  });
});
