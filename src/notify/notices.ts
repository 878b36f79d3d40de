/**
 * Which engine events people are told about, and what each says. An event of the journal becomes a Notice: what
 * happened (`run.proposed`, `approval.needed`…), to which run and task, in a sentence, with the action it asks of a
 * person (approve, review) and the dashboard's deep link that offers that action first.
 */
import type { RunView } from '../model/api.js';
import type { NotifyEvent } from '../model/definitions.js';
import { formatDuration } from '../model/duration.js';
import type { EngineEvent } from '../model/events.js';
import { isTerminalRun, type RunState } from '../model/states.js';

/**
 * The action a notice asks for, offered first in its message: approve, look at a task that waits, just see the run,
 * or see the drain tests (a test skipped, the tests' kill switch).
 */
export type NoticeAction = 'approve' | 'review' | 'open' | 'tests';

export interface Notice {
  readonly event: NotifyEvent;
  /** When it happened, on the controller's clock (ms since the epoch). */
  readonly time: number;
  readonly run?: Pick<RunView, 'id' | 'plan' | 'datacenter' | 'direction' | 'state'>;
  readonly task?: string;
  /** A short title: "Proposed", "Needs approval"… */
  readonly title: string;
  /** What happened, in a sentence. */
  readonly text: string;
  readonly action: NoticeAction;
  /** The dashboard, opened on the run (and task) with the action offered: `…/#run=ID&task=T`. */
  readonly link: string;
  /** The dashboard opened on the run alone. */
  readonly runLink?: string;
  /** Names of the alerts behind a proposed run. */
  readonly alerts?: readonly string[];
  /** The drain-test schedule a test notice is about. */
  readonly schedule?: string;
  /** The datacenter a notice without a run is about (the one a skipped test would have tested). */
  readonly datacenter?: string;
}

/** What an engine event is to a notifier, if anything; `previous` is its run's state before the event. */
export interface Classified {
  readonly event: NotifyEvent;
  readonly runId: string;
  readonly taskId?: string;
  /** `run.started` seen without the run's earlier state (a restarted controller): confirmed from the run's start time. */
  readonly unsure?: boolean;
}

export function classify(e: EngineEvent, previous: RunState | undefined): Classified | undefined {
  switch (e.type) {
    case 'run.state': {
      const runId = e.runId;
      switch (e.state) {
        case 'proposed':
          return { event: 'run.proposed', runId };
        case 'running':
          if (previous === 'pending') return { event: 'run.started', runId };
          return previous === undefined ? { event: 'run.started', runId, unsure: true } : undefined;
        case 'blocked':
          // The run stays blocked while its reason changes: one message when it becomes blocked.
          return previous === 'blocked' ? undefined : { event: 'run.blocked', runId };
        case 'succeeded':
        case 'failed':
          return { event: 'run.finished', runId };
        case 'aborted':
        case 'halted':
          return { event: 'run.aborted', runId };
        case 'pending':
        case 'paused':
        case 'aborting':
          return undefined;
      }
      return undefined;
    }
    case 'stage.start':
      // A stage resumed after a restart was announced when it began.
      return e.uses === 'approval' && !(e.detail ?? '').endsWith('(resumed)')
        ? { event: 'approval.needed', runId: e.runId, taskId: e.taskId }
        : undefined;
    case 'task.state':
      return e.state === 'stuck' ? { event: 'task.stuck', runId: e.runId, taskId: e.taskId } : undefined;
    case 'stage.end':
    case 'shift.step':
    case 'health':
    case 'condition.blocked':
    case 'alert':
    case 'operator':
    case 'controller':
    case 'regulation':
      return undefined;
  }
}

/** Follows each run's state, so that `running` after `pending` is told apart from `running` after `blocked`. */
export class RunStates {
  private readonly states = new Map<string, RunState>();

  /** The run's state before `e`, and remembers the new one. */
  advance(e: EngineEvent): RunState | undefined {
    if (e.type !== 'run.state') return e.runId !== undefined ? this.states.get(e.runId) : undefined;
    const before = this.states.get(e.runId);
    if (isTerminalRun(e.state)) this.states.delete(e.runId);
    else this.states.set(e.runId, e.state);
    return before;
  }
}

/** The dashboard's deep link: `BASE/#run=ID&task=T`, which opens the run and task with the action offered. */
export function deepLink(base: string, runId: string, taskId?: string): string {
  const root = base.replace(/\/+$/, '');
  return `${root}/#run=${encodeURIComponent(runId)}${taskId !== undefined ? `&task=${encodeURIComponent(taskId)}` : ''}`;
}

function utc(ms: number): string {
  return `${new Date(ms).toISOString().slice(11, 16)} UTC`;
}

/** The task a blocked run waits on, for the link: the first that failed, is blocked or stuck. */
function waitingTask(run: RunView): string | undefined {
  return (
    run.tasks.find((t) => t.state === 'failed' || t.state === 'blocked' || t.state === 'stuck')?.id ??
    run.tasks.find((t) => t.stuck === true)?.id
  );
}

/**
 * The notice of a classified event, from the run as it is now; undefined when there is nothing to say after all
 * (an approval stage whose task was approved in advance, a start that was a resumption).
 */
export function noticeOf(c: Classified, time: number, run: RunView | undefined, base: string): Notice | undefined {
  const what = run ? `${run.plan} (${run.direction} ${run.datacenter})` : `run ${c.runId}`;
  const common = {
    event: c.event,
    time,
    ...(run
      ? { run: { id: run.id, plan: run.plan, datacenter: run.datacenter, direction: run.direction, state: run.state } }
      : {}),
    runLink: deepLink(base, c.runId),
  };
  const reason = run?.reason ? `: ${run.reason}` : '';
  switch (c.event) {
    case 'run.proposed': {
      const alerts = [...new Set((run?.proposal?.alerts ?? []).map((a) => a.labels.alertname ?? a.fingerprint))];
      const pre = run?.preflight;
      const preflight = pre
        ? pre.ok
          ? 'Its pre-flight passes.'
          : `Its pre-flight FAILS for ${pre.services.filter((s) => !s.ok).length} service(s): starting it would overload the others.`
        : '';
      const lapses =
        run?.proposal?.expiresAt !== undefined ? ` It lapses at ${utc(run.proposal.expiresAt)} unless approved.` : '';
      return {
        ...common,
        title: 'Proposed',
        text: `${alerts.join(', ') || 'An alert'} firing: ${what} is proposed. ${preflight}${lapses}`.trim(),
        action: 'approve',
        link: deepLink(base, c.runId),
        alerts,
      };
    }
    case 'run.started': {
      if (c.unsure && run?.startedAt !== time) return undefined;
      const by = run?.proposal?.approvedBy ? ` (approved by ${run.proposal.approvedBy})` : '';
      return {
        ...common,
        title: 'Started',
        text: `${what} started${by}.`,
        action: 'open',
        link: deepLink(base, c.runId),
      };
    }
    case 'run.blocked': {
      const task = run ? waitingTask(run) : undefined;
      return {
        ...common,
        ...(task !== undefined ? { task } : {}),
        title: 'Blocked',
        text: `${what} is blocked${reason}`,
        action: 'review',
        link: deepLink(base, c.runId, task),
      };
    }
    case 'approval.needed': {
      const task = run?.tasks.find((t) => t.id === c.taskId);
      if (task?.approved) return undefined;
      const n = task?.approvers ?? 1;
      const who = n > 1 ? `${n} different operators` : 'an operator';
      return {
        ...common,
        ...(c.taskId !== undefined ? { task: c.taskId } : {}),
        title: 'Needs approval',
        text: `${c.taskId ?? 'A task'} of ${what} waits for the approval of ${who}.`,
        action: 'approve',
        link: deepLink(base, c.runId, c.taskId),
      };
    }
    case 'task.stuck': {
      const task = run?.tasks.find((t) => t.id === c.taskId);
      return {
        ...common,
        ...(c.taskId !== undefined ? { task: c.taskId } : {}),
        title: 'Stuck',
        text: `${c.taskId ?? 'A task'} of ${what} is stuck${task?.reason ? `: ${task.reason}` : ''}`,
        action: 'review',
        link: deepLink(base, c.runId, c.taskId),
      };
    }
    case 'run.finished': {
      const took =
        run?.startedAt !== undefined && run.finishedAt !== undefined
          ? ` in ${formatDuration(run.finishedAt - run.startedAt)}`
          : '';
      const ok = run?.state !== 'failed';
      return {
        ...common,
        title: ok ? 'Finished' : 'Failed',
        text: `${what} ${ok ? 'succeeded' : 'failed'}${took}${ok ? '.' : reason}`,
        action: 'open',
        link: deepLink(base, c.runId),
      };
    }
    case 'run.aborted':
      return {
        ...common,
        title: run?.state === 'halted' ? 'Halted' : 'Aborted',
        text: `${what} ${run?.state === 'halted' ? 'was halted' : 'was aborted'}${reason}`,
        action: 'open',
        link: deepLink(base, c.runId),
      };
    case 'test.skipped':
    case 'tests.halted':
      // Told by the drain-test schedules (skipNotice, switchNotice), not derived from a run's events.
      return undefined;
  }
}

/** The dashboard opened on its drain tests: the last and next test per datacenter, the skips, the kill switch. */
export function testsLink(base: string): string {
  return `${base.replace(/\/+$/, '')}/#tests`;
}

/** A due drain test that did not start, as the schedule runner recorded it. */
export interface SkippedTest {
  readonly schedule: string;
  /** When it was due (ms since the epoch). */
  readonly at: number;
  readonly datacenter?: string;
  readonly reason: string;
}

/** `test.skipped`: a due drain test did not start, and why (the window, the guard, the incident, the halt). */
export function skipNotice(skip: SkippedTest, time: number, base: string): Notice {
  const which = skip.datacenter !== undefined ? `The drain test of ${skip.datacenter}` : 'The drain test';
  return {
    event: 'test.skipped',
    time,
    title: 'Test skipped',
    text: `${which} due at ${utc(skip.at)} (schedule ${skip.schedule}) is skipped: ${skip.reason}`,
    action: 'tests',
    link: testsLink(base),
    schedule: skip.schedule,
    ...(skip.datacenter !== undefined ? { datacenter: skip.datacenter } : {}),
  };
}

/** The tests' kill switch as it was thrown, and the tests running then. */
export interface TestsSwitch {
  readonly halted: boolean;
  readonly since: number;
  readonly actor: string;
  readonly reason?: string;
  /** Datacenters of the tests running when the tests were halted: they are aborted and restored. */
  readonly stopping?: readonly string[];
}

/**
 * `tests.halted`: the kill switch, told both ways: halted (no test starts, running ones are aborted and restored)
 * and resumed, so that whoever heard of the halt hears when tests start again.
 */
export function switchNotice(sw: TestsSwitch, base: string): Notice {
  const why = sw.reason ? `: ${sw.reason}` : '';
  const stopping = sw.stopping ?? [];
  const running =
    stopping.length > 0
      ? ` The running test${stopping.length > 1 ? 's' : ''} of ${stopping.join(', ')} ${stopping.length > 1 ? 'are' : 'is'} ` +
        'aborted and restored.'
      : '';
  return {
    event: 'tests.halted',
    time: sw.since,
    title: sw.halted ? 'Tests halted' : 'Tests resumed',
    text: sw.halted
      ? `Drain tests halted by ${sw.actor}${why}. No test starts until they are resumed.${running}`
      : `Drain tests resumed by ${sw.actor}${sw.reason ? ` (${sw.reason})` : ''}: they start again as they fall due.`,
    action: 'tests',
    link: testsLink(base),
  };
}
