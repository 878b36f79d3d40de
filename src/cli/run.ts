/**
 * `maelstrom run PLAN -f PATH… [--backend sim | sim+http://HOST:PORT | haproxy:MAPPING.yaml] [--prometheus URL]
 * [--store sqlite:FILE | postgres://…] [--scenario NAME]`:
 * carries out a plan with a live view. Started again on the same store while a run of the plan is unfinished, it
 * resumes that run (and says so) instead of starting another.
 *
 * With the in-process simulator the run lives in virtual time and goes as fast as the machine allows; against
 * `sim+http://…` or a real fleet behind HAProxy it lives in the backend's time.
 */
import type { Command } from 'commander';
import { failureBreakdown, failureLines } from '../report/failures.js';
import { createSimBackend, type SimBackend } from '../backends/sim/backend.js';
import type { Backend } from '../backends/backend.js';
import { createController, type EngineController } from '../compose/controller.js';
import type { RunView } from '../engine/controller.js';
import { loadOrFail } from '../load/check.js';
import { formatDuration, parseDuration } from '../model/duration.js';
import { errorMapping, MaelstromError, toMaelstromError } from '../model/errors.js';
import { isDoneTask, isStoppedRun, isTerminalRun } from '../model/states.js';
import { VirtualClock } from '../model/virtual-clock.js';
import type { Definitions } from '../model/definitions.js';
import { BACKEND_HELP, externalBackend, parseBackendOption, scenarioFor } from './backend-option.js';
import { collect } from './collect.js';
import { addClockOptions, applyClockOptions, type ClockOffsetOptions } from './clock-offset.js';
import { planOutcomeLine } from '../report/plan-outcome.js';
import { actorOf, openStore, STORE_HELP, storeLabel } from './run-options.js';
import { LiveState, plainLine, renderLive } from './run-view.js';

interface RunOptions extends ClockOffsetOptions {
  readonly file?: string[];
  readonly backend: string;
  readonly prometheus?: string;
  readonly store?: string;
  readonly scenario?: string;
  readonly as?: string;
  readonly plain?: boolean;
  readonly limit?: string;
  readonly datacenter?: string;
  readonly emergency?: string;
}

async function makeBackend(opts: RunOptions, definitions: Definitions, planName: string): Promise<Backend> {
  const choice = parseBackendOption(opts.backend);
  const plan = definitions.plans.get(planName);
  if (!plan)
    throw new MaelstromError(
      'E_NOT_FOUND',
      `no plan named "${planName}" (plans: ${[...definitions.plans.keys()].sort().join(', ') || 'none'})`,
    );
  const scenario = scenarioFor(choice, opts, definitions);
  const fleetName = scenario?.spec.fleet ?? plan.spec.fleet;
  const fleet = definitions.fleets.get(fleetName);
  if (!fleet) throw new MaelstromError('E_UNKNOWN_REF', `fleet "${fleetName}" is not defined`);
  if (choice.kind !== 'sim') {
    return externalBackend(choice, {
      fleet,
      ...(opts.prometheus !== undefined ? { prometheus: opts.prometheus } : {}),
      warn: (m) => {
        process.stderr.write(`warning: ${m}\n`);
      },
    });
  }
  return createSimBackend({ fleet, ...(scenario ? { scenario } : {}), name: 'sim' });
}

async function summary(run: RunView, backend: Backend): Promise<string[]> {
  const lines = [`run ${run.id} of ${run.plan}: ${run.state}${run.reason ? ` (${run.reason})` : ''}`];
  if (run.startedAt !== undefined && run.finishedAt !== undefined)
    lines.push(`  took ${formatDuration(run.finishedAt - run.startedAt)} of ${backend.name} time`);
  if (run.criticalPath?.length) {
    const took = (id: string): string => {
      const t = run.tasks.find((x) => x.id === id);
      return t?.startedAt !== undefined && t.finishedAt !== undefined
        ? ` (${formatDuration(t.finishedAt - t.startedAt)})`
        : '';
    };
    lines.push(`  critical path: ${run.criticalPath.map((id) => `${id}${took(id)}`).join(' → ')}`);
  }
  // The simulator (in process or remote) counts overload; a real fleet does not say.
  const sim = backend as {
    counters?: () => ReturnType<SimBackend['counters']> | Promise<ReturnType<SimBackend['counters']>>;
  };
  const c =
    typeof sim.counters === 'function' ? await Promise.resolve(sim.counters()).catch(() => undefined) : undefined;
  if (c) {
    let overload = 0;
    let max = 0;
    for (const byDc of Object.values(c.overloadSeconds)) for (const s of Object.values(byDc)) overload += s;
    for (const byDc of Object.values(c.maxUtilization)) for (const u of Object.values(byDc)) max = Math.max(max, u);
    lines.push(
      `  simulator: ${formatDuration(overload * 1000)} of overload, peak utilisation ${Math.round(max * 1000) / 10}%, ` +
        `${Math.round(c.failedRequests)} failed requests`,
    );
    // A remote simulator of an older version may not count them by cause.
    const total = Math.round(c.failedRequests);
    if (total > 0 && Array.isArray(c.failures))
      for (const line of failureLines(failureBreakdown(c.failures, total), total).slice(1)) lines.push(`  ${line}`);
  }
  return lines;
}

export function registerRun(program: Command): void {
  const command = program.command('run');
  addClockOptions(command);
  command
    .description(
      "Carry out a plan against a backend, with a live view; resumes the plan's unfinished run on the same store.",
    )
    .argument('<plan>', 'name of the Plan')
    .option('-f, --file <path>', 'definition file or directory (repeatable)', collect)
    .option('--backend <backend>', `${BACKEND_HELP}; sim runs in virtual time`, 'sim')
    .option('--prometheus <url>', 'with --backend haproxy:…: the Prometheus that health readings come from')
    .option('--store <store>', STORE_HELP)
    .option('--scenario <name>', 'with --backend sim: the Scenario whose load and faults the simulated fleet follows')
    .option('--as <name>', 'who is acting, for the record (default: the local user)')
    .option('--plain', 'plain lines even on a terminal')
    .option(
      '--limit <duration>',
      'with --backend sim: give up after this much simulated time (default: the scenario, or 48h)',
    )
    .option('--datacenter <dc>', 'the datacenter this controller runs in: a drain of it is refused unless --emergency')
    .option('--emergency <reason>', 'start a drain of --datacenter from here anyway; the reason is recorded')
    .action(async (planName: string, opts: RunOptions) => {
      applyClockOptions(opts);
      if (opts.emergency !== undefined && opts.emergency.trim() === '')
        throw new MaelstromError('E_BAD_REQUEST', '--emergency needs a reason (it is recorded for the postmortem)');
      const definitions = await loadOrFail(opts.file?.length ? opts.file : ['.']);
      const backend = await makeBackend(opts, definitions, planName);
      const store = await openStore(opts.store);
      const out = (line: string): void => {
        process.stdout.write(`${line}\n`);
      };
      let made: EngineController | undefined;
      try {
        const clock = backend.clock;
        // Only one controller drives the runs of a store at a time: this one refuses, naming the holder.
        const controller = await createController({
          definitions,
          backend,
          store,
          clock,
          ...(opts.datacenter !== undefined ? { datacenter: opts.datacenter } : {}),
          lease: {
            // A holder that stopped renewing (killed, frozen) is waited out rather than refused.
            onWaitForStale: (holder, expiresAt) => {
              const secs = Math.max(0, Math.ceil((expiresAt - Date.now()) / 1000));
              out(
                `waiting for the lease of ${holder}, which stopped renewing: it runs out in about ${secs} s ` +
                  `(${new Date(expiresAt).toISOString()})`,
              );
            },
          },
          // The event stream already says what the engine logs; its log is for debugging.
          logger: {
            info: () => undefined,
            warn: (m) => {
              if (process.env.MAELSTROM_DEBUG === '1') process.stderr.write(`${m}\n`);
            },
          },
        });
        made = controller;
        await backend.init();
        const tty = process.stdout.isTTY && !opts.plain;
        const live = tty ? new LiveState() : undefined;
        controller.subscribe((e) => {
          live?.observe(e);
          if (!live) {
            const line = plainLine(e);
            if (line !== undefined) out(line);
          }
        });

        const unfinished = await store.listRuns({ active: true, plan: planName });
        await controller.start();
        let runId: string;
        const mine = unfinished[0];
        if (mine) {
          runId = mine.id;
          const tasks = await store.getTasks(mine.id);
          const done = tasks.filter((t) => isDoneTask(t.state)).length;
          out(
            `resuming run ${mine.id} of ${planName} (${mine.state}, ${done}/${tasks.length} tasks done) ` +
              `from ${storeLabel(opts.store)}`,
          );
          if (opts.backend === 'sim')
            out('note: the in-process simulator starts a fresh world; the run re-reads it and carries on');
        } else {
          let view;
          try {
            view = await controller.startRun(
              planName,
              actorOf(opts.as),
              opts.emergency !== undefined ? { emergency: opts.emergency } : {},
            );
          } catch (e) {
            // Refused (a pre-flight check, a conflicting run…): the plan's name, the code and the reason, on one line.
            const err = toMaelstromError(e);
            process.stderr.write(
              `${planOutcomeLine({ name: planName, outcome: 'not-started', error: err.message, errorCode: err.code })}\n`,
            );
            process.exitCode = errorMapping[err.code].exit;
            return;
          }
          runId = view.id;
          out(`started run ${runId} of ${planName}: ${view.tasks.length} tasks on ${backend.name}`);
        }

        let drawn = 0;
        const draw = async (): Promise<void> => {
          if (!live) return;
          const view = await controller.getRun(runId);
          const lines = renderLive(view, live, clock.now(), process.stdout.rows || 40);
          process.stdout.write(`\x1b[H\x1b[J${lines.join('\n')}\n`);
          drawn++;
        };
        const redraw = live
          ? setInterval(() => {
              void draw();
            }, 200)
          : undefined;
        let interrupted = false;
        const onSigint = (): void => {
          interrupted = true;
          void controller.close();
        };
        let lostLease: string | undefined;
        // The controller stops by itself when its lease is lost; the run stays in the store.
        void controller.lost.then((reason) => {
          lostLease = reason;
          interrupted = true;
        });
        process.once('SIGINT', onSigint);
        try {
          let finished = false;
          const waiting = controller.wait(runId).then((v) => {
            finished = isTerminalRun(v.state);
          });
          if (clock instanceof VirtualClock) {
            const scenario = opts.scenario ? definitions.scenarios.get(opts.scenario) : undefined;
            const limitMs =
              opts.limit !== undefined
                ? parseDuration(opts.limit)
                : scenario
                  ? parseDuration(scenario.spec.duration)
                  : 48 * 3600_000;
            if (limitMs === undefined)
              throw new MaelstromError(
                'E_BAD_REQUEST',
                `--limit must be a duration such as 12h, got "${opts.limit ?? ''}"`,
              );
            const ended = await clock.runUntil(() => finished || interrupted, clock.now() + limitMs);
            if (!ended && !finished && !interrupted)
              out(
                `the run did not finish within ${opts.limit ?? 'the time limit'} of simulated time; it stays in the store, resumable`,
              );
            await controller.close();
          }
          await waiting;
        } finally {
          if (redraw) clearInterval(redraw);
          process.off('SIGINT', onSigint);
        }
        if (drawn > 0 || live) await draw();
        const view = await controller.getRun(runId);
        for (const line of await summary(view, backend)) out(line);
        if (lostLease !== undefined) out(`stopped acting: ${lostLease}; run ${runId} stays in the store`);
        else if (interrupted)
          out(`interrupted: run ${runId} stays in the store; run the same command again to resume it`);
        await controller.close();
        if (isStoppedRun(view.state)) process.exitCode = 7;
        else if (view.state !== 'succeeded') process.exitCode = interrupted ? 130 : 3;
      } finally {
        await made?.close();
        await backend.close().catch(() => undefined);
        await store.close();
      }
    });
}
