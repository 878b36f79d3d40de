/** `maelstrom status [RUN] [--store sqlite:FILE | postgres://…] [--json]`: the runs in a store, or one run with its tasks. */
import type { Command } from 'commander';
import { toRunView } from '../engine/view.js';
import { MaelstromError } from '../model/errors.js';
import { isDoneTask } from '../model/states.js';
import { openStore, STORE_HELP } from './run-options.js';
import { LiveState, renderLive } from './run-view.js';

interface StatusOptions {
  readonly store?: string;
  readonly json?: boolean;
  readonly all?: boolean;
}

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('Show the runs in a store (unfinished ones, or --all), or one run with its tasks.')
    .argument('[run]', 'a run id')
    .option('--store <store>', STORE_HELP)
    .option('--all', 'list finished runs too')
    .option('--json', 'print JSON')
    .action(async (runId: string | undefined, opts: StatusOptions) => {
      const store = await openStore(opts.store);
      const out = (line: string): void => {
        process.stdout.write(`${line}\n`);
      };
      try {
        if (runId !== undefined) {
          const run = await store.getRun(runId);
          if (!run) throw new MaelstromError('E_NOT_FOUND', `no run "${runId}" in the store`);
          const view = toRunView(run, await store.getTasks(runId));
          if (opts.json) {
            out(JSON.stringify(view, null, 2));
            return;
          }
          const live = new LiveState();
          for (const e of await store.listEvents({ runId, limit: 100_000 })) live.observe(e);
          const now =
            view.finishedAt ?? Math.max(view.createdAt, ...view.tasks.map((t) => t.finishedAt ?? t.startedAt ?? 0));
          for (const line of renderLive(view, live, now, 1000)) out(line);
          return;
        }
        const runs = await store.listRuns(opts.all ? {} : { active: true });
        if (opts.json) {
          out(
            JSON.stringify(
              runs.map((r) => ({
                id: r.id,
                plan: r.plan,
                state: r.state,
                datacenter: r.datacenter,
                direction: r.direction,
                createdAt: r.createdAt,
                reason: r.reason,
              })),
              null,
              2,
            ),
          );
          return;
        }
        if (runs.length === 0) {
          out(opts.all ? 'no runs in the store' : 'no unfinished runs (--all lists finished ones)');
          return;
        }
        for (const r of runs) {
          const tasks = await store.getTasks(r.id);
          const done = tasks.filter((t) => isDoneTask(t.state)).length;
          out(
            `${r.id}  ${r.plan.padEnd(20)} ${r.state.padEnd(10)} ${r.direction} ${r.datacenter}  ` +
              `${done}/${tasks.length} tasks  created ${new Date(r.createdAt).toISOString()}${r.actor ? ` by ${r.actor}` : ''}`,
          );
        }
      } finally {
        await store.close();
      }
    });
}
