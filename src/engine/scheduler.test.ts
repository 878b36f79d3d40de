/** The scheduler's rules over plain task records: what may start, in which order, and what holds a task back. */
import { describe, expect, it } from 'vitest';
import type { PlannedTask } from '../model/compiled.js';
import type { TaskState } from '../model/states.js';
import type { TaskRecord } from '../store/store.js';
import { allDone, freeSlots, parentsDone, parentSatisfied, readyTasks, waitingOn } from './scheduler.js';

/** Priority classes as the planner assigns them (src/plan/services.ts `priorityOf`). */
const USER_FACING = 0;
const STICKY = 1;
const REPLICATION = 2;
const STATEFUL = 3;
const OTHER = 4;

function task(
  id: string,
  options: { after?: readonly string[]; weak?: readonly string[]; priority?: number } = {},
): PlannedTask {
  const [service = id, name = 'task'] = id.split('/');
  const priority = options.priority ?? OTHER;
  return {
    id,
    service,
    runbook: 'drain',
    task: name,
    template: 'shift',
    after: [...(options.after ?? []), ...(options.weak ?? [])],
    weakAfter: options.weak ?? [],
    params: {},
    stages: [],
    health: [],
    pre: [],
    post: [],
    expectedMs: 60_000,
    priority,
    trafficType: 'stateless',
    userFacing: priority === USER_FACING,
  };
}

function record(
  id: string,
  state: TaskState,
  extra: { stuck?: boolean; overridden?: readonly string[]; startedAt?: number } = {},
): TaskRecord {
  return {
    runId: 'run-1',
    id,
    state,
    stage: 0,
    attempt: 1,
    ...(extra.startedAt !== undefined ? { startedAt: extra.startedAt } : {}),
    ...(extra.stuck ? { stuck: true } : {}),
    ...(extra.overridden ? { overrides: { conditions: [], dependencies: extra.overridden } } : {}),
  };
}

const records = (...list: TaskRecord[]): Map<string, TaskRecord> => new Map(list.map((r) => [r.id, r]));
const ids = (tasks: readonly PlannedTask[]): string[] => tasks.map((t) => t.id);

describe('dependencies', () => {
  it('a task with no parents is ready at once', () => {
    const a = task('a/edge');
    expect(parentsDone(a, records(record('a/edge', 'pending')))).toBe(true);
  });

  it('a task waits until every parent has succeeded', () => {
    const c = task('c/edge', { after: ['a/edge', 'b/edge'] });
    const one = records(record('a/edge', 'succeeded'), record('b/edge', 'running'), record('c/edge', 'pending'));
    expect(parentsDone(c, one)).toBe(false);
    const both = records(record('a/edge', 'succeeded'), record('b/edge', 'succeeded'), record('c/edge', 'pending'));
    expect(parentsDone(c, both)).toBe(true);
  });

  it('a skipped parent counts as done', () => {
    const b = task('b/edge', { after: ['a/edge'] });
    expect(parentsDone(b, records(record('a/edge', 'skipped'), record('b/edge', 'pending')))).toBe(true);
  });

  it.each<TaskState>(['pending', 'waiting', 'running', 'blocked', 'stuck', 'failed', 'cancelled'])(
    'a %s parent holds its dependents back',
    (state) => {
      const b = task('b/edge', { after: ['a/edge'] });
      expect(parentsDone(b, records(record('a/edge', state), record('b/edge', 'pending')))).toBe(false);
    },
  );

  it('a parent with no record holds the task back, and a task with no record is never ready', () => {
    const b = task('b/edge', { after: ['a/edge'] });
    expect(parentsDone(b, records(record('b/edge', 'pending')))).toBe(false);
    expect(parentsDone(task('c/edge'), records())).toBe(false);
    expect(readyTasks([task('c/edge')], records())).toEqual([]);
  });

  it('a weak dependency that is not overridden waits like a strong one', () => {
    const b = task('b/edge', { weak: ['a/edge'] });
    expect(parentsDone(b, records(record('a/edge', 'running'), record('b/edge', 'pending')))).toBe(false);
    expect(parentsDone(b, records(record('a/edge', 'succeeded'), record('b/edge', 'pending')))).toBe(true);
  });

  it.each<TaskState>(['running', 'failed', 'blocked'])(
    'an overridden weak dependency no longer holds the task back, with its parent %s',
    (state) => {
      const b = task('b/edge', { weak: ['a/edge'] });
      const recs = records(record('a/edge', state), record('b/edge', 'pending', { overridden: ['a/edge'] }));
      expect(parentSatisfied(b, recs.get('b/edge')!, 'a/edge', recs.get('a/edge'))).toBe(true);
      expect(parentsDone(b, recs)).toBe(true);
    },
  );

  it('an overridden weak dependency releases the task even when the parent has no record', () => {
    const b = task('b/edge', { weak: ['a/edge'] });
    expect(parentsDone(b, records(record('b/edge', 'pending', { overridden: ['a/edge'] })))).toBe(true);
  });

  it('an override of a strong dependency does not release the task while the parent is not done', () => {
    const b = task('b/edge', { after: ['a/edge'] });
    const recs = records(record('a/edge', 'failed'), record('b/edge', 'pending', { overridden: ['a/edge'] }));
    expect(parentsDone(b, recs)).toBe(false);
  });

  it('an override releases only the dependency it names', () => {
    const c = task('c/edge', { weak: ['a/edge', 'b/edge'] });
    const recs = records(
      record('a/edge', 'running'),
      record('b/edge', 'running'),
      record('c/edge', 'pending', { overridden: ['a/edge'] }),
    );
    expect(parentsDone(c, recs)).toBe(false);
    expect(waitingOn(c, recs)).toEqual(['b/edge']);
  });
});

describe('stuck parents', () => {
  it('a stuck parent stalls its dependents even once it has succeeded', () => {
    const b = task('b/edge', { after: ['a/edge'] });
    const recs = records(record('a/edge', 'succeeded', { stuck: true }), record('b/edge', 'pending'));
    expect(parentsDone(b, recs)).toBe(false);
    expect(readyTasks([task('a/edge'), b], recs)).toEqual([]);
  });

  it('a stuck parent that was skipped still stalls its dependents until the flag is cleared', () => {
    const b = task('b/edge', { after: ['a/edge'] });
    expect(parentsDone(b, records(record('a/edge', 'skipped', { stuck: true }), record('b/edge', 'pending')))).toBe(
      false,
    );
    expect(parentsDone(b, records(record('a/edge', 'skipped'), record('b/edge', 'pending')))).toBe(true);
  });

  it('overriding the dependency on a stuck parent lifts the stall once the parent is done', () => {
    for (const kind of ['after', 'weak'] as const) {
      const b = task('b/edge', { [kind]: ['a/edge'] });
      const done = records(
        record('a/edge', 'succeeded', { stuck: true }),
        record('b/edge', 'pending', { overridden: ['a/edge'] }),
      );
      expect(parentsDone(b, done)).toBe(true);
    }
  });

  it('overriding the strong dependency on a stuck parent that is still running does not release the task', () => {
    const b = task('b/edge', { after: ['a/edge'] });
    const recs = records(
      record('a/edge', 'running', { stuck: true }),
      record('b/edge', 'pending', { overridden: ['a/edge'] }),
    );
    expect(parentsDone(b, recs)).toBe(false);
  });

  it('names the stuck parent among those the task waits on', () => {
    const c = task('c/edge', { after: ['a/edge', 'b/edge'] });
    const recs = records(
      record('a/edge', 'succeeded', { stuck: true }),
      record('b/edge', 'succeeded'),
      record('c/edge', 'pending'),
    );
    expect(waitingOn(c, recs)).toEqual(['a/edge']);
  });
});

describe('waiting on', () => {
  it("names exactly the parents still holding the task back, in the plan's order", () => {
    const d = task('d/edge', { after: ['c/edge', 'a/edge', 'b/edge'] });
    const recs = records(
      record('a/edge', 'running'),
      record('b/edge', 'succeeded'),
      record('c/edge', 'failed'),
      record('d/edge', 'pending'),
    );
    expect(waitingOn(d, recs)).toEqual(['c/edge', 'a/edge']);
  });

  it('is empty for a task without a record, and for one whose parents are all done', () => {
    const b = task('b/edge', { after: ['a/edge'] });
    expect(waitingOn(b, records(record('a/edge', 'running')))).toEqual([]);
    expect(waitingOn(b, records(record('a/edge', 'succeeded'), record('b/edge', 'pending')))).toEqual([]);
  });
});

describe('ready tasks', () => {
  it('are the pending and waiting tasks whose parents are done; tasks that have started or ended are not', () => {
    const states: TaskState[] = ['pending', 'waiting', 'running', 'blocked', 'stuck', 'succeeded', 'failed'];
    const tasks = states.map((s) => task(`${s}/edge`));
    const recs = records(...states.map((s) => record(`${s}/edge`, s)));
    expect(ids(readyTasks(tasks, recs))).toEqual(['pending/edge', 'waiting/edge']);
  });

  it('include a task blocked on its pre-conditions (they are checked again), not one blocked while executing', () => {
    const tasks = [task('pre/edge'), task('health/edge')];
    const recs = records(record('pre/edge', 'blocked'), record('health/edge', 'blocked', { startedAt: 1000 }));
    const blockedByPre = (id: string): boolean => recs.get(id)?.startedAt === undefined;
    expect(ids(readyTasks(tasks, recs, blockedByPre))).toEqual(['pre/edge']);
    expect(ids(readyTasks(tasks, recs))).toEqual([]);
  });

  it('start user-facing tasks first, then sticky, replication, stateful and the rest, whatever the plan order', () => {
    const tasks = [
      task('batch/edge', { priority: OTHER }),
      task('db/promote', { priority: STATEFUL }),
      task('cache/repoint', { priority: REPLICATION }),
      task('chat/sessions', { priority: STICKY }),
      task('web/edge', { priority: USER_FACING }),
    ];
    const recs = records(...tasks.map((t) => record(t.id, 'pending')));
    expect(ids(readyTasks(tasks, recs))).toEqual([
      'web/edge',
      'chat/sessions',
      'cache/repoint',
      'db/promote',
      'batch/edge',
    ]);
  });

  it("keep the plan's topological order within a priority class", () => {
    const tasks = [
      task('c/edge', { priority: USER_FACING }),
      task('x/edge', { priority: OTHER }),
      task('a/edge', { priority: USER_FACING }),
      task('b/edge', { priority: USER_FACING }),
    ];
    const recs = records(...tasks.map((t) => record(t.id, 'pending')));
    expect(ids(readyTasks(tasks, recs))).toEqual(['c/edge', 'a/edge', 'b/edge', 'x/edge']);
  });

  it('leave out a better-ranked task whose parents are not done', () => {
    const tasks = [
      task('web/edge', { priority: USER_FACING, after: ['db/promote'] }),
      task('db/promote', { priority: STATEFUL }),
      task('batch/edge', { priority: OTHER }),
    ];
    const recs = records(...tasks.map((t) => record(t.id, 'pending')));
    expect(ids(readyTasks(tasks, recs))).toEqual(['db/promote', 'batch/edge']);
  });

  it('do not depend on the order of the records', () => {
    const tasks = [task('a/edge', { priority: STICKY }), task('b/edge', { priority: STICKY })];
    const forward = records(record('a/edge', 'pending'), record('b/edge', 'pending'));
    const backward = records(record('b/edge', 'pending'), record('a/edge', 'pending'));
    expect(ids(readyTasks(tasks, forward))).toEqual(ids(readyTasks(tasks, backward)));
  });
});

describe('concurrency', () => {
  it("leaves as many slots as the plan's concurrency less the tasks executing", () => {
    expect(freeSlots(4, 0)).toBe(4);
    expect(freeSlots(4, 3)).toBe(1);
    expect(freeSlots(4, 4)).toBe(0);
  });

  it('leaves no slot, rather than a negative count, when more tasks execute than the concurrency allows', () => {
    // A run resumed with more tasks executing than its concurrency (they resume regardless) starts nothing new.
    expect(freeSlots(2, 5)).toBe(0);
  });

  it('puts the best-ranked ready tasks first in line for the free slots', () => {
    const tasks = [
      task('batch/edge', { priority: OTHER }),
      task('db/promote', { priority: STATEFUL }),
      task('web/edge', { priority: USER_FACING }),
      task('api/edge', { priority: USER_FACING }),
    ];
    const recs = records(...tasks.map((t) => record(t.id, 'pending')));
    const slots = freeSlots(3, 1);
    expect(ids(readyTasks(tasks, recs).slice(0, slots))).toEqual(['web/edge', 'api/edge']);
  });
});

describe('run done', () => {
  it('only when every task succeeded or was skipped', () => {
    expect(allDone(records(record('a/edge', 'succeeded'), record('b/edge', 'skipped')))).toBe(true);
    for (const s of ['pending', 'running', 'failed', 'cancelled', 'blocked'] as const)
      expect(allDone(records(record('a/edge', 'succeeded'), record('b/edge', s)))).toBe(false);
  });

  it('counts a task that finished while flagged stuck as done: the flag stalls its dependents, not the run', () => {
    expect(allDone(records(record('a/edge', 'succeeded', { stuck: true })))).toBe(true);
  });
});
