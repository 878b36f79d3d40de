/**
 * What `maelstrom run` shows: on a terminal, a live view (task tree with states, a progress bar per traffic
 * shift, the share of traffic left in the datacenter, health at a glance), redrawn in place; otherwise one plain
 * line per event worth reading.
 */
import pc from 'picocolors';
import type { RunView, TaskView } from '../engine/controller.js';
import { formatDuration } from '../model/duration.js';
import { controllerText, type EngineEvent } from '../model/events.js';
import { isDoneTask, isTerminalTask, type TaskState } from '../model/states.js';

/** What the live view remembers from the event stream beyond the run view. */
export class LiveState {
  /** service → layer → share left in the datacenter. */
  readonly share = new Map<string, Map<string, number>>();
  /** task → check → ok. */
  readonly health = new Map<string, Map<string, boolean | null>>();
  readonly alerts: string[] = [];

  observe(e: EngineEvent): void {
    if (e.type === 'shift.step') {
      let m = this.share.get(e.service);
      if (!m) {
        m = new Map();
        this.share.set(e.service, m);
      }
      m.set(e.layer, e.remaining);
    } else if (e.type === 'health') {
      let m = this.health.get(e.taskId);
      if (!m) {
        m = new Map();
        this.health.set(e.taskId, m);
      }
      m.set(e.check, e.ok);
    } else if (e.type === 'alert') {
      this.alerts.push(e.message);
      if (this.alerts.length > 3) this.alerts.shift();
    }
  }
}

const MARK: Record<TaskState, string> = {
  pending: pc.dim('·'),
  waiting: pc.yellow('…'),
  running: pc.cyan('▶'),
  blocked: pc.red('■'),
  stuck: pc.magenta('!'),
  succeeded: pc.green('✓'),
  failed: pc.red('✗'),
  skipped: pc.dim('↷'),
  cancelled: pc.dim('⨯'),
};

function bar(progress: number, width = 12): string {
  const full = Math.round(Math.max(0, Math.min(1, progress)) * width);
  return `[${'█'.repeat(full)}${'░'.repeat(width - full)}] ${String(Math.round(progress * 100)).padStart(3)}%`;
}

function healthGlance(live: LiveState, t: TaskView): string {
  const checks = live.health.get(t.id);
  if (!checks || checks.size === 0) return '';
  const bad = [...checks.entries()].filter(([, ok]) => ok !== true);
  if (bad.length === 0) return pc.green('health ok');
  return pc.red(`health ${bad.map(([k, ok]) => `${k} ${ok === null ? '?' : '✗'}`).join(', ')}`);
}

function clockText(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

/** The live view as lines of text. */
export function renderLive(run: RunView, live: LiveState, now: number, rows = 40): string[] {
  const done = run.tasks.filter((t) => isDoneTask(t.state)).length;
  const elapsed =
    run.startedAt !== undefined ? formatDuration(Math.max(0, (run.finishedAt ?? now) - run.startedAt)) : '-';
  const lines = [
    `${pc.bold(run.plan)}  ${run.id}  ${pc.bold(run.state)}  ${run.direction} ${run.datacenter}  ` +
      `${done}/${run.tasks.length} tasks  elapsed ${elapsed}  at ${clockText(now)}`,
  ];
  if (run.reason) lines.push(pc.yellow(`  ${run.reason}`));
  // Show the tasks that matter first when the terminal is short: active and failed ones, then those to come, then
  // the finished rest.
  const rank = (t: TaskView): number =>
    t.state === 'pending' ? 1 : t.state === 'failed' || !isTerminalTask(t.state) ? 0 : 2;
  const budget = Math.max(5, rows - 8);
  const shown =
    run.tasks.length <= budget ? run.tasks : [...run.tasks].sort((a, b) => rank(a) - rank(b)).slice(0, budget);
  const width = Math.max(...run.tasks.map((t) => t.id.length), 10);
  for (const t of shown) {
    const depth = t.after.length > 0 ? '  ' : '';
    const stage = t.stage !== undefined && t.stages[t.stage] ? pc.dim(` ${t.stages[t.stage]}`) : '';
    const prog = t.progress !== undefined && t.state !== 'pending' ? ` ${bar(t.progress)}` : '';
    const extra = [
      healthGlance(live, t),
      t.stuck ? pc.magenta('stuck') : '',
      t.state === 'blocked' || t.state === 'failed' ? pc.red(t.reason ?? '') : '',
    ]
      .filter((s) => s !== '')
      .join('  ');
    lines.push(
      `${depth}${MARK[t.state]} ${t.id.padEnd(width)} ${t.state.padEnd(9)}${prog}${stage}${extra ? `  ${extra}` : ''}`,
    );
  }
  if (shown.length < run.tasks.length) lines.push(pc.dim(`  … and ${run.tasks.length - shown.length} more`));
  if (live.share.size > 0) {
    const parts = [...live.share.entries()].map(([svc, m]) => `${svc} ${Math.round(Math.min(...m.values()) * 100)}%`);
    lines.push(`share left in ${run.datacenter}: ${parts.join('  ')}`);
  }
  for (const a of live.alerts) lines.push(pc.magenta(`alert: ${a}`));
  return lines;
}

/** One plain line for an event, or undefined for events too chatty to print. */
export function plainLine(e: EngineEvent): string | undefined {
  const at = clockText(e.time);
  switch (e.type) {
    case 'run.state':
      return `${at} run ${e.runId} ${e.state}${e.reason ? `: ${e.reason}` : ''}`;
    case 'task.state':
      return `${at} task ${e.taskId} ${e.state}${e.reason ? `: ${e.reason}` : ''}`;
    case 'stage.start':
      return undefined;
    case 'stage.end':
      return `${at} task ${e.taskId} stage ${e.stage + 1} ${e.uses} ${e.outcome ?? ''}${e.detail ? ` (${e.detail})` : ''}`;
    case 'shift.step':
      return (
        `${at} shift ${e.service} ${e.layer} step ${e.step}: ${e.decision}, ` +
        `${Math.round(e.remaining * 1000) / 10}% left in ${e.datacenter}${e.reason ? ` (${e.reason})` : ''}`
      );
    case 'regulation':
      return e.phase === 'acted'
        ? `${at} regulate ${e.taskId} #${e.action}: ${e.symptoms[0] ?? ''} → ${e.diagnosis} → ${e.resolver}: ${e.detail}`
        : `${at} judged ${e.taskId} #${e.action} ${e.resolver} for ${e.diagnosis}: ${e.outcome ?? ''} (${e.detail})`;
    case 'health':
      return e.ok === true
        ? undefined
        : `${at} health ${e.taskId} ${e.check} ${e.ok === null ? 'unknown' : 'failing'}${e.detail ? `: ${e.detail}` : ''}`;
    case 'condition.blocked':
      return `${at} blocked ${e.taskId} on ${e.condition}${e.detail ? `: ${e.detail}` : ''}`;
    case 'alert':
      return `${at} alert (${e.severity}): ${e.message}`;
    case 'operator':
      return `${at} operator ${e.actor}: ${e.action}${e.target ? ` ${e.target}` : ''}${e.reason ? ` (${e.reason})` : ''}`;
    case 'controller':
      return `${at} controller ${e.controller}: ${controllerText(e)}`;
  }
}
