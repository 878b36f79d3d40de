/**
 * The controller: compiles and starts runs (refusing unsafe ones), drives them, applies operator actions, and on
 * start resumes every unfinished run in the store. It depends on interfaces only; the CLI and main.ts choose the
 * backend and the store.
 */
import { randomUUID } from 'node:crypto';
import type { Backend } from '../backends/backend.js';
import type { Clock } from '../model/clock.js';
import type { CompiledPlan } from '../model/compiled.js';
import type { Definitions } from '../model/definitions.js';
import { MaelstromError, toMaelstromError } from '../model/errors.js';
import type { EngineEvent } from '../model/events.js';
import { hasRole } from '../model/roles.js';
import { isTerminalRun } from '../model/states.js';
import { compilePlan } from '../plan/index.js';
import { stageActions, stages as defaultStages, isStageKind } from '../stages/index.js';
import type { StageLibrary } from '../stages/stage.js';
import type { AuditLog, RunRecord, RunStore, TaskRecord } from '../store/store.js';
import type { Pacer } from '../pacing/pacer.js';
import type { Actor, Controller, OperatorCommand, RunView } from './controller.js';
import { settledClock } from './clock.js';
import { driveRun } from './driver.js';
import { applyCommand, finishStop, stopRun } from './operator.js';
import { APPLIED_ACTION, pendingRequests } from './requests.js';
import { RunRuntime, defaultEngineOptions, type EngineDeps, type EngineOptions, type Logger } from './runtime.js';
import { toRunView } from './view.js';

export interface ControllerOptions {
  readonly definitions: Definitions;
  readonly backend: Backend;
  readonly store: RunStore & AuditLog;
  /** The time the engine lives in; the backend's clock (virtual for the in-process simulator). */
  readonly clock: Clock;
  readonly idGenerator?: () => string;
  readonly logger?: Logger;
  /** Defaults to the stage library; tests may substitute stages. */
  readonly stages?: StageLibrary;
  readonly pacer?: Pacer;
  readonly engine?: Partial<EngineOptions>;
  readonly compile?: (definitions: Definitions, plan: string) => CompiledPlan;
}

export interface EngineController extends Controller {
  /** Resumes every unfinished run in the store, and applies operator requests recorded while none was running. */
  start(): Promise<void>;
  /** Stops driving (stages are interrupted where they are, as by a crash); the store keeps everything. */
  close(): Promise<void>;
  /** Resolves when the run ends (or this controller stops driving it). */
  wait(runId: string): Promise<RunView>;
  /** Applies operator requests that other processes recorded in the store. */
  pollRequests(): Promise<number>;
  /** Ids of the runs this controller is driving. */
  activeRunIds(): string[];
}

const silent: Logger = { info: () => undefined, warn: () => undefined };

function mayOperate(actor: Actor): void {
  if (!hasRole(actor.role, 'operator'))
    throw new MaelstromError(
      'E_FORBIDDEN',
      `${actor.name} is a viewer: operator actions need the operator or admin role`,
    );
}

function pct(x: number): string {
  return `${Math.round(x * 1000) / 10}%`;
}

/** Refuses a plan whose pre-flight check fails, with the figures. */
function checkPreflight(compiled: CompiledPlan): void {
  if (compiled.preflight.ok) return;
  const bad = compiled.preflight.services.filter((s) => !s.ok);
  const lines = bad.map(
    (s) =>
      `${s.service}: load ${Math.round(s.load)} rps to move, ` +
      `headroom ${Math.round(s.headroom)} rps at ${pct(compiled.preflight.targetUtilization)} target, ` +
      `receivers would reach ${pct(s.utilizationAfter)}${s.reason ? ` (${s.reason})` : ''}`,
  );
  throw new MaelstromError(
    'E_PREFLIGHT',
    `plan "${compiled.plan}" fails the pre-flight check: ` +
      `the other datacenters cannot absorb ${compiled.datacenter}'s load — ${lines.join('; ')}`,
    { details: compiled.preflight },
  );
}

function checkSupport(compiled: CompiledPlan, backend: Backend): void {
  const missing = new Set<string>();
  for (const t of compiled.tasks)
    for (const s of t.stages) {
      if (!isStageKind(s.uses)) continue;
      for (const a of stageActions[s.uses]) if (!backend.supports.has(a)) missing.add(`${s.uses} needs ${a}`);
    }
  if (missing.size > 0)
    throw new MaelstromError(
      'E_BAD_REQUEST',
      `backend ${backend.name} cannot run plan "${compiled.plan}": ${[...missing].join(', ')}`,
    );
}

function servicesOf(compiled: CompiledPlan): Set<string> {
  return new Set(compiled.tasks.map((t) => t.service));
}

export function createController(options: ControllerOptions): EngineController {
  const { definitions, backend, store } = options;
  const clock = settledClock(options.clock);
  const logger = options.logger ?? silent;
  const compile = options.compile ?? compilePlan;
  const newId = options.idGenerator ?? (() => `run-${randomUUID().slice(0, 8)}`);
  const listeners = new Set<(e: EngineEvent) => void>();
  const runtimes = new Map<string, RunRuntime>();
  const appliedRequests = new Set<number>();
  let lastAuditId = 0;
  let starting: Promise<unknown> = Promise.resolve();
  let closed = false;

  const deps: EngineDeps = {
    definitions,
    backend,
    store,
    clock,
    logger,
    stages: options.stages ?? defaultStages,
    ...(options.pacer ? { pacer: options.pacer } : {}),
    options: { ...defaultEngineOptions, ...options.engine },
    publish: (events) => {
      for (const e of events)
        for (const l of listeners) {
          try {
            l(e);
          } catch (err) {
            logger.warn(`event listener: ${toMaelstromError(err).message}`);
          }
        }
    },
  };

  const drive = (rt: RunRuntime): void => {
    if (rt.driving || closed) return;
    rt.driving = driveRun(rt).catch((e: unknown) => {
      const err = toMaelstromError(e);
      logger.warn(`run ${rt.id} stopped: ${err.code}: ${err.message} (it resumes from the store on the next start)`);
    });
  };

  /** The runtime of a run, loaded from the store when this controller does not hold it yet. */
  const runtimeOf = async (runId: string): Promise<RunRuntime> => {
    const held = runtimes.get(runId);
    if (held) return held;
    const run = await store.getRun(runId);
    if (!run) throw new MaelstromError('E_NOT_FOUND', `no run "${runId}"`);
    const rt = new RunRuntime(deps, run, await store.getTasks(runId));
    if (!isTerminalRun(run.state)) runtimes.set(runId, rt);
    return rt;
  };

  const view = async (runId: string): Promise<RunView> => {
    const rt = runtimes.get(runId);
    if (rt) return toRunView(rt.run, [...rt.tasks.values()], rt.progress);
    const run = await store.getRun(runId);
    if (!run) throw new MaelstromError('E_NOT_FOUND', `no run "${runId}"`);
    return toRunView(run, await store.getTasks(runId));
  };

  const audit = async (
    actor: Actor,
    action: string,
    target: string | undefined,
    reason: string | undefined,
    details?: unknown,
  ): Promise<void> => {
    await store.appendAudit({
      time: clock.now(),
      actor: actor.name,
      action,
      ...(target !== undefined ? { target } : {}),
      ...(reason !== undefined ? { reason } : {}),
      ...(details !== undefined ? { details } : {}),
    });
  };

  const startRunNow = async (planName: string, actor: Actor): Promise<RunView> => {
    mayOperate(actor);
    const compiled = compile(definitions, planName);
    checkPreflight(compiled);
    checkSupport(compiled, backend);
    const mine = servicesOf(compiled);
    for (const other of await store.listRuns({ active: true })) {
      if (other.datacenter !== compiled.datacenter) continue;
      const overlap = [...servicesOf(other.compiled)].filter((s) => mine.has(s));
      if (overlap.length > 0) {
        throw new MaelstromError(
          'E_CONFLICT',
          `run ${other.id} (${other.plan}, ${other.state}) is already acting on ${overlap.slice(0, 5).join(', ')}` +
            `${overlap.length > 5 ? ` and ${overlap.length - 5} more` : ''} in ${compiled.datacenter}; ` +
            'finish or abort it first',
          { details: { run: other.id, services: overlap } },
        );
      }
    }
    const time = clock.now();
    const id = newId();
    const run: RunRecord = {
      id,
      plan: planName,
      datacenter: compiled.datacenter,
      direction: compiled.direction,
      state: 'pending',
      compiled,
      createdAt: time,
      actor: actor.name,
    };
    const tasks: TaskRecord[] = compiled.tasks.map((t) => ({
      runId: id,
      id: t.id,
      state: 'pending',
      stage: 0,
      attempt: 1,
    }));
    const saved = await store.createRun(run, tasks, [
      { type: 'operator', time, runId: id, action: 'start', actor: actor.name, target: planName },
      { type: 'run.state', time, runId: id, plan: planName, state: 'pending' },
    ]);
    await audit(actor, 'start', id, undefined, { plan: planName });
    deps.publish(saved);
    const rt = new RunRuntime(deps, run, tasks);
    runtimes.set(id, rt);
    logger.info(
      `run ${id} of ${planName} started: ${compiled.tasks.length} tasks, concurrency ${compiled.concurrency}`,
    );
    drive(rt);
    return view(id);
  };

  const command = async (runId: string, cmd: OperatorCommand, actor: Actor): Promise<RunView> => {
    mayOperate(actor);
    const rt = await runtimeOf(runId);
    await applyCommand(rt, cmd, actor);
    const target = 'task' in cmd ? `${runId}/${cmd.task}` : runId;
    await audit(actor, cmd.action, target, cmd.reason, cmd);
    logger.info(`${actor.name}: ${cmd.action} ${target}${cmd.reason ? ` (${cmd.reason})` : ''}`);
    if (!isTerminalRun(rt.run.state) && !closed) drive(rt);
    return view(runId);
  };

  const halt = async (actor: Actor, reason: string): Promise<void> => {
    mayOperate(actor);
    if (reason.trim() === '')
      throw new MaelstromError('E_BAD_REQUEST', 'halt needs a reason (it is recorded for the postmortem)');
    await store
      .appendEvents([{ type: 'operator', time: clock.now(), action: 'halt', actor: actor.name, reason }])
      .then((saved) => {
        deps.publish(saved);
      });
    const active = await store.listRuns({ active: true });
    // Every run at once: stages of all runs are interrupted together, not one run after another.
    await Promise.all(
      active.map(async (r) => {
        const rt = await runtimeOf(r.id);
        if (isTerminalRun(rt.run.state)) return;
        await stopRun(rt, 'halted', actor, reason, 'halt');
      }),
    );
    await audit(actor, 'halt', undefined, reason, { runs: active.map((r) => r.id) });
    logger.warn(`halt by ${actor.name}: ${reason} (${active.length} run(s) stopped)`);
  };

  const controller: EngineController = {
    startRun: (plan, actor) => {
      // One start at a time, so two starts cannot both pass the conflict check.
      const next = starting.then(() => startRunNow(plan, actor));
      starting = next.catch(() => undefined);
      return next;
    },
    preview: async (plan) => compile(definitions, plan),
    getRun: view,
    listRuns: async (opts) => {
      const runs = await store.listRuns({
        ...(opts?.active !== undefined ? { active: opts.active } : {}),
        ...(opts?.limit !== undefined ? { limit: opts.limit } : {}),
      });
      return Promise.all(runs.map((r) => view(r.id)));
    },
    command,
    halt,
    subscribe: (listener) => {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    events: (opts) => store.listEvents(opts),

    start: async () => {
      for (const run of await store.listRuns({ active: true })) {
        const rt = await runtimeOf(run.id);
        if (rt.run.state === 'aborting') {
          // The controller died while stopping this run: finish the stop as it was meant, by the stored intent.
          const intent = rt.run.stopIntent ?? 'aborted';
          await finishStop(rt, intent, rt.run.reason ?? intent);
          continue;
        }
        logger.info(`resuming run ${run.id} of ${run.plan} (${run.state})`);
        drive(rt);
      }
      await controller.pollRequests();
    },
    close: async () => {
      closed = true;
      for (const rt of runtimes.values()) {
        rt.stopped = true;
        for (const e of rt.executing.values())
          e.abort.abort(new MaelstromError('E_ABORTED', 'the controller is closing'));
        rt.wake();
      }
      await Promise.all(
        [...runtimes.values()].map(async (rt) => {
          await rt.driving;
          // Executions the driver started while closing are stopped too.
          for (const e of rt.executing.values())
            e.abort.abort(new MaelstromError('E_ABORTED', 'the controller is closing'));
          await Promise.all([...rt.executing.values()].map((e) => e.done));
        }),
      );
    },
    wait: async (runId) => {
      const rt = await runtimeOf(runId);
      drive(rt);
      await rt.driving;
      return view(runId);
    },
    pollRequests: async () => {
      const { requests, lastId } = await pendingRequests(store, lastAuditId, appliedRequests);
      lastAuditId = lastId;
      let applied = 0;
      for (const r of requests) {
        appliedRequests.add(r.id);
        let outcome = 'applied';
        try {
          if (r.body.kind === 'halt') await halt(r.actor, r.body.reason);
          else await command(r.body.runId, r.body.command, r.actor);
          applied++;
        } catch (e) {
          outcome = `refused: ${toMaelstromError(e).message}`;
          logger.warn(`request ${r.id} from ${r.actor.name} ${outcome}`);
        }
        await store.appendAudit({
          time: clock.now(),
          actor: r.actor.name,
          action: APPLIED_ACTION,
          reason: outcome,
          details: { requestId: r.id },
        });
      }
      return applied;
    },
    activeRunIds: () => [...runtimes.values()].filter((rt) => !isTerminalRun(rt.run.state)).map((rt) => rt.id),
  };
  return controller;
}
