/**
 * The server's own Prometheus metrics: runs by state, task states of unfinished runs, the current shift step of
 * each running task, and counts of aborts and halts since the server started.
 */
import type { Controller } from '../engine/controller.js';
import type { EngineEvent } from '../model/events.js';
import { RunState, TaskState, isTerminalRun } from '../model/states.js';

function label(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

export class ServerMetrics {
  private aborts = 0;
  private halts = 0;
  private requests = 0;
  /** Latest shift step per run and task; dropped when the task leaves `running`. */
  private readonly steps = new Map<string, { run: string; task: string; step: number; remaining: number }>();

  observe(e: EngineEvent): void {
    if (e.type === 'operator' && e.action === 'abort') this.aborts++;
    else if (e.type === 'operator' && e.action === 'halt') this.halts++;
    else if (e.type === 'shift.step')
      this.steps.set(`${e.runId}\u0000${e.taskId}`, {
        run: e.runId,
        task: e.taskId,
        step: e.step,
        remaining: e.remaining,
      });
    else if (e.type === 'task.state' && e.state !== 'running') this.steps.delete(`${e.runId}\u0000${e.taskId}`);
  }

  countRequest(): void {
    this.requests++;
  }

  async render(controller: Controller): Promise<string> {
    const runs = await controller.listRuns({ limit: 1000 });
    const byState = new Map<string, number>(RunState.map((s) => [s, 0]));
    const tasks = new Map<string, number>(TaskState.map((s) => [s, 0]));
    for (const r of runs) {
      byState.set(r.state, (byState.get(r.state) ?? 0) + 1);
      if (!isTerminalRun(r.state)) for (const t of r.tasks) tasks.set(t.state, (tasks.get(t.state) ?? 0) + 1);
    }
    const out: string[] = [];
    out.push(
      '# HELP maelstrom_runs Runs known to the controller (the latest 1000), by state.',
      '# TYPE maelstrom_runs gauge',
    );
    for (const [s, n] of byState) out.push(`maelstrom_runs{state="${s}"} ${n}`);
    out.push('# HELP maelstrom_tasks Tasks of unfinished runs, by state.', '# TYPE maelstrom_tasks gauge');
    for (const [s, n] of tasks) out.push(`maelstrom_tasks{state="${s}"} ${n}`);
    out.push(
      '# HELP maelstrom_shift_step Current step of each running traffic shift.',
      '# TYPE maelstrom_shift_step gauge',
    );
    for (const s of this.steps.values())
      out.push(`maelstrom_shift_step{run="${label(s.run)}",task="${label(s.task)}"} ${s.step}`);
    out.push(
      '# HELP maelstrom_shift_remaining Share of the service still in the datacenter being drained, per running shift.',
      '# TYPE maelstrom_shift_remaining gauge',
    );
    for (const s of this.steps.values())
      out.push(`maelstrom_shift_remaining{run="${label(s.run)}",task="${label(s.task)}"} ${s.remaining}`);
    out.push(
      '# HELP maelstrom_aborts_total Runs aborted by an operator since the server started.',
      '# TYPE maelstrom_aborts_total counter',
      `maelstrom_aborts_total ${this.aborts}`,
    );
    out.push(
      '# HELP maelstrom_halts_total Global halts since the server started.',
      '# TYPE maelstrom_halts_total counter',
      `maelstrom_halts_total ${this.halts}`,
    );
    out.push(
      '# HELP maelstrom_api_requests_total API requests answered.',
      '# TYPE maelstrom_api_requests_total counter',
      `maelstrom_api_requests_total ${this.requests}`,
    );
    return `${out.join('\n')}\n`;
  }
}
