/**
 * The operator actions as commands: `maelstrom pause RUN`, `resume RUN`, `abort RUN`, `retry RUN TASK`,
 * `skip RUN TASK --reason …`, `approve RUN [TASK] --reason …` (a proposed run, or a task's approval stage),
 * `override RUN TASK --condition C | --dependency T --reason …`,
 * `halt --reason …`.
 *
 * The controller driving a run lives in another process (`maelstrom run`, `maelstrom serve`), so a command is
 * checked against the store, recorded in its requests table, and applied by that controller (within a second while
 * it runs, or when the run is next resumed), which audits the action and marks the request with its outcome. The
 * command waits a few seconds to report that outcome.
 */
import type { Command } from 'commander';
import type { Actor, OperatorCommand } from '../engine/controller.js';
import { recordRequest, type RequestBody } from '../engine/requests.js';
import { commandTask } from '../model/api.js';
import { ErrorCode, MaelstromError } from '../model/errors.js';
import { isTerminalRun } from '../model/states.js';
import type { Store } from '../store/store.js';
import { actorOf, openStore, STORE_HELP } from './run-options.js';

interface ActOptions {
  readonly store?: string;
  readonly reason?: string;
  readonly as?: string;
  readonly condition?: string;
  readonly dependency?: string;
  readonly wait: string;
}

function needReason(action: string, reason: string | undefined): string {
  if (reason === undefined || reason.trim() === '')
    throw new MaelstromError('E_BAD_REQUEST', `${action} needs --reason (it is recorded for the postmortem)`);
  return reason;
}

/** Checks the command against the stored run, so that a mistyped id fails here rather than later. */
async function check(store: Store, runId: string, command: OperatorCommand): Promise<void> {
  const run = await store.getRun(runId);
  if (!run) throw new MaelstromError('E_NOT_FOUND', `no run "${runId}" in the store`);
  if (isTerminalRun(run.state))
    throw new MaelstromError('E_INVALID_STATE', `run ${runId} is ${run.state}: there is nothing to ${command.action}`);
  const task = commandTask(command);
  if (task !== undefined && !run.compiled.tasks.some((t) => t.id === task)) {
    throw new MaelstromError('E_NOT_FOUND', `run ${runId} has no task "${task}"`);
  }
}

/** The controller's refusal of a request, with the code it gave (`E_CODE: message`) when it is one of ours. */
function refusal(what: string, error: string): MaelstromError {
  const m = /^(E_[A-Z_]+): (.*)$/s.exec(error);
  const code = ErrorCode.find((c) => c === m?.[1]);
  return code !== undefined && m
    ? new MaelstromError(code, `${what}: ${m[2]!}`)
    : new MaelstromError('E_INVALID_STATE', `${what}: ${error}`);
}

async function submit(
  storeSpec: string | undefined,
  actor: Actor,
  body: RequestBody,
  waitSeconds: number,
): Promise<void> {
  const store = await openStore(storeSpec, { source: 'cli' });
  const out = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };
  try {
    if (body.kind === 'command') await check(store, body.runId, body.command);
    const id = await recordRequest(store, actor, body, Date.now());
    const what =
      body.kind === 'command'
        ? `${body.command.action} of ${body.runId}${commandTask(body.command) !== undefined ? ` task ${commandTask(body.command)}` : ''}`
        : 'halt of every run';
    const deadline = Date.now() + waitSeconds * 1000;
    while (Date.now() < deadline) {
      const request = await store.getRequest(id);
      if (request?.appliedAt !== undefined) {
        if (request.outcome !== 'ok') throw refusal(what, request.error ?? request.outcome ?? 'refused');
        out(`${what}: applied`);
        return;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    out(
      `${what}: recorded (request ${id}); no controller has picked it up yet — it is applied when the run is next driven`,
    );
  } finally {
    await store.close();
  }
}

function common(cmd: Command): Command {
  return cmd
    .option('--store <store>', STORE_HELP)
    .option('--as <name>', 'who is acting, for the record (default: the local user)')
    .option('--wait <seconds>', 'how long to wait for the controller to apply it', '5');
}

function waitOf(opts: ActOptions): number {
  const n = Number(opts.wait);
  if (!Number.isFinite(n) || n < 0)
    throw new MaelstromError('E_BAD_REQUEST', `--wait must be a number of seconds, got "${opts.wait}"`);
  return n;
}

export function registerOperate(program: Command): void {
  for (const action of ['pause', 'resume', 'abort'] as const) {
    const aside = action === 'abort' ? ' (its stages stop; the matching restore plan is named)' : '';
    common(program.command(action).description(`${action[0]!.toUpperCase()}${action.slice(1)} a run${aside}.`))
      .argument('<run>', 'run id')
      .option('--reason <text>', 'why, for the record')
      .action(async (runId: string, opts: ActOptions) => {
        const command: OperatorCommand = { action, ...(opts.reason !== undefined ? { reason: opts.reason } : {}) };
        await submit(opts.store, actorOf(opts.as), { kind: 'command', runId, command }, waitOf(opts));
      });
  }
  common(
    program.command('retry').description('Run a failed, blocked or stuck task again from the stage it stopped at.'),
  )
    .argument('<run>', 'run id')
    .argument('<task>', 'task id, as service/task')
    .option('--reason <text>', 'why, for the record')
    .action(async (runId: string, task: string, opts: ActOptions) => {
      const command: OperatorCommand = {
        action: 'retry',
        task,
        ...(opts.reason !== undefined ? { reason: opts.reason } : {}),
      };
      await submit(opts.store, actorOf(opts.as), { kind: 'command', runId, command }, waitOf(opts));
    });
  common(
    program
      .command('approve')
      .description(
        "Approve a proposed run (it starts), or, with a task, that task's approval stage. A reason is required.",
      ),
  )
    .argument('<run>', 'run id')
    .argument('[task]', 'task id, as service/task; none: the proposed run itself')
    .option('--reason <text>', 'why, for the record (required)')
    .action(async (runId: string, task: string | undefined, opts: ActOptions) => {
      const reason = needReason('approve', opts.reason);
      const command: OperatorCommand = { action: 'approve', ...(task !== undefined ? { task } : {}), reason };
      await submit(opts.store, actorOf(opts.as), { kind: 'command', runId, command }, waitOf(opts));
    });
  common(program.command('skip').description('Skip a task (its dependents may then start). A reason is required.'))
    .argument('<run>', 'run id')
    .argument('<task>', 'task id, as service/task')
    .option('--reason <text>', 'why, for the record (required)')
    .action(async (runId: string, task: string, opts: ActOptions) => {
      const command: OperatorCommand = { action: 'skip', task, reason: needReason('skip', opts.reason) };
      await submit(opts.store, actorOf(opts.as), { kind: 'command', runId, command }, waitOf(opts));
    });
  common(
    program
      .command('override')
      .description('Override a condition, or a weak dependency, of a task. A reason is required.'),
  )
    .argument('<run>', 'run id')
    .argument('<task>', 'task id, as service/task')
    .option('--condition <name>', 'the condition (its name, or its expression)')
    .option('--dependency <task>', 'the task it depends on')
    .option('--reason <text>', 'why, for the record (required)')
    .action(async (runId: string, task: string, opts: ActOptions) => {
      const reason = needReason('override', opts.reason);
      if ((opts.condition === undefined) === (opts.dependency === undefined))
        throw new MaelstromError('E_BAD_REQUEST', 'override needs exactly one of --condition and --dependency');
      const command: OperatorCommand =
        opts.condition !== undefined
          ? { action: 'override-condition', task, condition: opts.condition, reason }
          : { action: 'override-dependency', task, dependency: opts.dependency!, reason };
      await submit(opts.store, actorOf(opts.as), { kind: 'command', runId, command }, waitOf(opts));
    });
  common(program.command('halt').description('Stop every run at once. A reason is required.'))
    .option('--reason <text>', 'why, for the record (required)')
    .action(async (opts: ActOptions) => {
      await submit(
        opts.store,
        actorOf(opts.as),
        { kind: 'halt', reason: needReason('halt', opts.reason) },
        waitOf(opts),
      );
    });
}
