/**
 * The engine: compiles and starts runs (refusing unsafe ones), drives them, applies operator actions (auditing each
 * once, with its outcome), and on start resumes every unfinished run in the store. It depends on interfaces only and
 * is handed everything concrete, the stage library and the plan compiler included; `src/compose/controller.ts`
 * chooses them and adds what a controller process needs around it (the store's lease, request polling).
 */
import { randomUUID } from 'node:crypto';
import type { Backend } from '../backends/backend.js';
import type { Clock } from '../model/clock.js';
import type { CompiledPlan } from '../model/compiled.js';
import { commandTask } from '../model/api.js';
import type { Definitions } from '../model/definitions.js';
import { MaelstromError, toMaelstromError } from '../model/errors.js';
import type { EngineEvent } from '../model/events.js';
import { hasRole } from '../model/roles.js';
import { isTerminalRun } from '../model/states.js';
import type { StageLibrary, WatchLibrary } from '../stages/stage.js';
import type { AuditLog, RequestStore, ResolverStore, RunRecord, RunStore, TaskRecord } from '../store/store.js';
import type { Pacer } from '../pacing/pacer.js';
import { checkPreflight, checkSupport, conflictError, conflictsOf, type StageActions } from './admission.js';
import { auditEntry, failureOf, type ActionRecord } from './audit.js';
import type { Actor, Controller, OperatorCommand, ProposalRequest, RunView, StartOptions } from './controller.js';
import { settledClock } from './clock.js';
import { driveRun } from './driver.js';
import { haltWatches } from './guard.js';
import { applyCommand, finishStop, stopRun } from './operator.js';
import { proposedRun, recordAlerts, startsAtOnce } from './proposals.js';
import { pendingRequests, type PendingRequest } from './requests.js';
import { RunRuntime, defaultEngineOptions, type EngineDeps, type EngineOptions, type Logger } from './runtime.js';
import { toRunView } from './view.js';

/** Compiles a plan of the definitions (the plan compiler, or a variant of it such as a drill's). */
export type PlanCompiler = (definitions: Definitions, plan: string) => CompiledPlan;

export type { StageActions } from './admission.js';

/** What the engine keeps in the store: runs, the audit log, the requests it applies, and judged resolutions. */
export type EngineStore = RunStore & AuditLog & RequestStore & ResolverStore;

type RequestResult = Parameters<RequestStore['markRequestApplied']>[1];

export interface CreateEngineOptions {
  readonly definitions: Definitions;
  readonly backend: Backend;
  readonly store: EngineStore;
  /** The time the engine lives in; the backend's clock (virtual for the in-process simulator). */
  readonly clock: Clock;
  readonly stages: StageLibrary;
  /** Watchers of the stages that hand over a watch (self-regulating shifts keep regulating after they finish). */
  readonly watchers?: WatchLibrary;
  readonly stageActions: StageActions;
  readonly compile: PlanCompiler;
  readonly idGenerator?: () => string;
  readonly logger?: Logger;
  readonly pacer?: Pacer;
  readonly engine?: Partial<EngineOptions>;
  /**
   * Asked before a run is created, after the plan passed its checks: may refuse the start by throwing (the
   * composition root refuses a drain of the controller's own datacenter here unless it is an emergency).
   */
  readonly beforeStart?: (compiled: CompiledPlan, options: StartOptions) => void | Promise<void>;
}

export interface Engine extends Controller {
  /** Resumes every unfinished run in the store, and applies operator requests recorded while none was running. */
  start(): Promise<void>;
  /** Stops driving (stages are interrupted where they are, as by a crash); the store keeps everything. */
  close(): Promise<void>;
  /** Resolves when the run ends (or this engine stops driving it). */
  wait(runId: string): Promise<RunView>;
  /** Applies the operator requests other processes recorded in the store; answers how many succeeded. */
  pollRequests(): Promise<number>;
  /** Ids of the runs this engine is driving. */
  activeRunIds(): string[];
}

const silent: Logger = { info: () => undefined, warn: () => undefined };

function mayOperate(actor: Actor): void {
  if (!hasRole(actor.role, 'operator'))
    throw new MaelstromError(
      'E_FORBIDDEN',
      `${actor.name} has the ${actor.role} role: operator actions need the operator or admin role`,
    );
}

/** Proposing a run (an alert's trigger does) needs the alerts role, or an operator's. */
function mayPropose(actor: Actor): void {
  if (!hasRole(actor.role, 'alerts') && !hasRole(actor.role, 'operator'))
    throw new MaelstromError(
      'E_FORBIDDEN',
      `${actor.name} is a viewer: proposing a run needs the alerts or operator role`,
    );
}

/** An engine over the definitions, backend and store it is given; nothing runs until start() or startRun(). */
export function createEngine(options: CreateEngineOptions): Engine {
  const { definitions, backend, store, compile, stageActions } = options;
  const clock = settledClock(options.clock);
  const logger = options.logger ?? silent;
  const newId = options.idGenerator ?? (() => `run-${randomUUID().slice(0, 8)}`);
  const listeners = new Set<(e: EngineEvent) => void>();
  const runtimes = new Map<string, RunRuntime>();
  /** What became of each request this engine applied: one whose mark did not reach the store is marked, not applied, again. */
  const appliedRequests = new Map<number, RequestResult>();
  let starting: Promise<unknown> = Promise.resolve();
  let closed = false;

  const deps: EngineDeps = {
    definitions,
    backend,
    store,
    clock,
    logger,
    stages: options.stages,
    ...(options.watchers ? { watchers: options.watchers } : {}),
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

  /**
   * Carries out an operator action and records it in the audit log once, with its outcome: `ok`, `refused` (the
   * actor may not act) or `failed` with the error, which is then thrown on.
   */
  const audited = async <T>(
    record: Omit<ActionRecord, 'time'>,
    act: () => Promise<T>,
    result?: (value: T) => Readonly<Record<string, unknown>>,
    may: (actor: Actor) => void = mayOperate,
  ): Promise<T> => {
    let value: T;
    try {
      may(record.actor);
      value = await act();
    } catch (e) {
      await store.appendAudit(auditEntry({ ...record, time: clock.now() }, failureOf(e))).catch((err: unknown) => {
        logger.warn(`audit of ${record.action} by ${record.actor.name}: ${toMaelstromError(err).message}`);
      });
      throw e;
    }
    await store.appendAudit(auditEntry({ ...record, time: clock.now(), ...(result ? { result: result(value) } : {}) }));
    return value;
  };

  /**
   * Makes room for run `id` of `compiled` about to act. Another run acting on its services in its datacenter refuses
   * it (E_CONFLICT, naming the run), unless `mayTakeOver` (a run no schedule started: an incident) and every such
   * run is a drain test's: those are stopped where they are, without their restore, and recorded as handed over to
   * `id` (traffic must not return into a datacenter an incident drains). Answers the runs handed over.
   */
  const takeOverFromTests = async (
    compiled: CompiledPlan,
    actor: Actor,
    id: string,
    mayTakeOver: boolean,
  ): Promise<string[]> => {
    const conflicts = await conflictsOf(store, compiled, id);
    const takeOver = mayTakeOver && conflicts.every((c) => c.run.origin !== undefined);
    const refused = takeOver ? undefined : (conflicts.find((c) => c.run.origin === undefined) ?? conflicts[0]);
    if (refused) throw conflictError(refused, compiled);
    const handedOver: string[] = [];
    for (const { run: test } of conflicts) {
      const rt = await runtimeOf(test.id);
      if (isTerminalRun(rt.run.state) || rt.run.state === 'aborting') continue;
      const why = `handed over to ${compiled.plan} (an incident beats a drain test)`;
      await stopRun(rt, 'aborted', actor, why, 'abort', { handedOverTo: id });
      handedOver.push(test.id);
      logger.warn(`run ${test.id} of ${test.plan} (a drain test) ${why}`);
    }
    return handedOver;
  };

  const startRunNow = async (
    planName: string,
    actor: Actor,
    startOptions: StartOptions,
  ): Promise<{ view: RunView; handedOver: string[] }> => {
    const compiled = compile(definitions, planName);
    checkPreflight(compiled);
    checkSupport(compiled, backend, stageActions);
    await options.beforeStart?.(compiled, startOptions);
    const id = startOptions.id ?? newId();
    // Incidents beat tests: an operator's run takes the datacenter over from drain tests acting there.
    const handedOver = await takeOverFromTests(compiled, actor, id, startOptions.origin === undefined);
    const time = clock.now();
    const run: RunRecord = {
      id,
      plan: planName,
      datacenter: compiled.datacenter,
      direction: compiled.direction,
      state: 'pending',
      compiled,
      createdAt: time,
      actor: actor.name,
      ...(startOptions.origin ? { origin: startOptions.origin } : {}),
    };
    const tasks: TaskRecord[] = compiled.tasks.map((t) => ({
      runId: id,
      id: t.id,
      state: 'pending',
      stage: 0,
      attempt: 1,
    }));
    const saved = await store.createRun(run, tasks, [
      {
        type: 'operator',
        time,
        runId: id,
        action: 'start',
        actor: actor.name,
        target: planName,
        ...(startOptions.emergency !== undefined ? { reason: `emergency: ${startOptions.emergency}` } : {}),
      },
      { type: 'run.state', time, runId: id, plan: planName, state: 'pending' },
    ]);
    deps.publish(saved);
    // A restore takes over from the watches a drain of the datacenter left keeping it regulated.
    if (compiled.direction === 'restore')
      await Promise.all(
        [...runtimes.values()]
          .filter((o) => o.run.direction === 'drain' && o.run.datacenter === compiled.datacenter)
          .map((o) => {
            o.unwatched = true;
            return haltWatches(o);
          }),
      );
    const rt = new RunRuntime(deps, run, tasks);
    runtimes.set(id, rt);
    logger.info(
      `run ${id} of ${planName} started: ${compiled.tasks.length} tasks, concurrency ${compiled.concurrency}`,
    );
    drive(rt);
    return { view: await view(id), handedOver };
  };

  /** A run an alert's trigger makes: proposed (or, in start mode with a passing pre-flight, started). */
  const proposeRunNow = async (planName: string, request: ProposalRequest, actor: Actor): Promise<RunView> => {
    const compiled = compile(definitions, planName);
    checkSupport(compiled, backend, stageActions);
    // A proposal for services another incident's run is acting on could never start: it is refused now, saying by
    // whom. A drain test in the way is no reason: incidents beat tests, and its approval takes the datacenter over.
    const incident = (await conflictsOf(store, compiled)).find((c) => c.run.origin === undefined);
    if (incident) throw conflictError(incident, compiled);
    const id = newId();
    // Started at once (mode start): it takes the datacenter over from drain tests as an operator's start does.
    const handedOver = startsAtOnce(compiled, request) ? await takeOverFromTests(compiled, actor, id, true) : [];
    const time = clock.now();
    const made = proposedRun(compiled, request, actor, time, id);
    const run: RunRecord = {
      id,
      plan: planName,
      datacenter: compiled.datacenter,
      direction: compiled.direction,
      state: made.state,
      compiled,
      createdAt: time,
      actor: actor.name,
      reason: made.reason,
      trigger: request.trigger,
      proposal: made.proposal,
    };
    const tasks: TaskRecord[] = compiled.tasks.map((t) => ({
      runId: id,
      id: t.id,
      state: 'pending',
      stage: 0,
      attempt: 1,
    }));
    deps.publish(await store.createRun(run, tasks, made.events));
    const rt = new RunRuntime(deps, run, tasks);
    runtimes.set(id, rt);
    const took = handedOver.length > 0 ? ` (drain test run ${handedOver.join(', ')} handed over to it)` : '';
    logger.info(
      `run ${id} of ${planName} ${made.state === 'proposed' ? 'proposed' : 'started'}: ${made.reason}${took}`,
    );
    drive(rt);
    return view(id);
  };

  /** One start (or approval of a proposal) at a time, so that two cannot both pass the conflict check. */
  const oneAtATime = <T>(act: () => Promise<T>): Promise<T> => {
    const next = starting.then(act);
    starting = next.catch(() => undefined);
    return next;
  };

  const commandNow = async (runId: string, cmd: OperatorCommand, actor: Actor, target: string): Promise<RunView> => {
    const rt = await runtimeOf(runId);
    await applyCommand(rt, cmd, actor, (proposed, by) => takeOverFromTests(proposed.compiled, by, proposed.id, true));
    logger.info(`${actor.name}: ${cmd.action} ${target}${cmd.reason ? ` (${cmd.reason})` : ''}`);
    if (!isTerminalRun(rt.run.state) && !closed) drive(rt);
    return view(runId);
  };

  const command = (runId: string, cmd: OperatorCommand, actor: Actor, requestId?: number): Promise<RunView> => {
    const task = commandTask(cmd);
    const target = task !== undefined ? `${runId}/${task}` : runId;
    // Approving a proposed run lets it start: it waits its turn with the other starts.
    if (cmd.action === 'approve' && task === undefined)
      return oneAtATime(() =>
        audited({ actor, action: cmd.action, target, reason: cmd.reason, request: cmd }, () =>
          commandNow(runId, cmd, actor, target),
        ),
      );
    return audited(
      {
        actor,
        action: cmd.action,
        target,
        ...(cmd.reason !== undefined ? { reason: cmd.reason } : {}),
        request: cmd,
        ...(requestId !== undefined ? { requestId } : {}),
      },
      () => commandNow(runId, cmd, actor, target),
    );
  };

  const haltNow = async (actor: Actor, reason: string): Promise<string[]> => {
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
    logger.warn(`halt by ${actor.name}: ${reason} (${active.length} run(s) stopped)`);
    return active.map((r) => r.id);
  };

  const halt = async (actor: Actor, reason: string, requestId?: number): Promise<void> => {
    await audited(
      { actor, action: 'halt', reason, ...(requestId !== undefined ? { requestId } : {}) },
      () => haltNow(actor, reason),
      (runs) => ({ runs }),
    );
  };

  /** Applies one request from another process; its action is audited by command() or halt(), once. */
  const applyRequest = async (r: PendingRequest): Promise<RequestResult> => {
    try {
      if (!r.body) throw new MaelstromError('E_BAD_REQUEST', `request ${r.id} is not a command this controller knows`);
      if (r.body.kind === 'halt') await halt(r.actor, r.body.reason, r.id);
      else if (r.body.kind === 'start')
        await start(
          r.body.plan,
          r.actor,
          { id: r.body.runId, ...(r.body.emergency !== undefined ? { emergency: r.body.emergency } : {}) },
          r.id,
        );
      else await command(r.body.runId, r.body.command, r.actor, r.id);
      return { at: clock.now(), outcome: 'ok' };
    } catch (e) {
      const failure = failureOf(e);
      logger.warn(`request ${r.id} from ${r.actor.name} ${failure.outcome}: ${failure.message}`);
      return { at: clock.now(), outcome: failure.outcome, error: `${failure.code}: ${failure.message}` };
    }
  };

  const pollOnce = async (): Promise<number> => {
    let applied = 0;
    for (const r of await pendingRequests(store)) {
      if (closed) break;
      let result = appliedRequests.get(r.id);
      if (!result) {
        result = await applyRequest(r);
        appliedRequests.set(r.id, result);
        if (result.outcome === 'ok') applied++;
      }
      await store.markRequestApplied(r.id, result);
    }
    return applied;
  };
  let polls: Promise<number> = Promise.resolve(0);

  function start(plan: string, actor: Actor, startOptions: StartOptions = {}, requestId?: number): Promise<RunView> {
    // One start at a time, so two starts cannot both pass the conflict check.
    return oneAtATime(() =>
      audited(
        {
          actor,
          action: 'start',
          target: plan,
          request: { plan, ...startOptions },
          ...(startOptions.emergency !== undefined ? { reason: `emergency: ${startOptions.emergency}` } : {}),
          ...(requestId !== undefined ? { requestId } : {}),
        },
        () => startRunNow(plan, actor, startOptions),
        (v) => ({ run: v.view.id, ...(v.handedOver.length > 0 ? { handedOver: v.handedOver } : {}) }),
      ),
    ).then((v) => v.view);
  }

  const engine: Engine = {
    startRun: (plan, actor, startOptions) => start(plan, actor, startOptions),
    proposeRun: (plan, request, actor) =>
      oneAtATime(() =>
        audited(
          { actor, action: 'propose', target: plan, request: { plan, trigger: request.trigger, mode: request.mode } },
          () => proposeRunNow(plan, request, actor),
          (v) => ({ run: v.id, state: v.state }),
          mayPropose,
        ),
      ),
    recordAlerts: async (runId, alerts) => {
      const rt = await runtimeOf(runId);
      await recordAlerts(rt, alerts);
      return view(runId);
    },
    preview: async (plan) => compile(definitions, plan),
    getRun: view,
    listRuns: async (opts) => {
      const runs = await store.listRuns({
        ...(opts?.active !== undefined ? { active: opts.active } : {}),
        ...(opts?.trigger !== undefined ? { trigger: opts.trigger } : {}),
        ...(opts?.limit !== undefined ? { limit: opts.limit } : {}),
      });
      return Promise.all(runs.map((r) => view(r.id)));
    },
    command: (runId, cmd, actor) => command(runId, cmd, actor),
    halt: (actor, reason) => halt(actor, reason),
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
      await engine.pollRequests();
    },
    close: async () => {
      closed = true;
      for (const rt of runtimes.values()) {
        rt.stopped = true;
        for (const e of rt.executing.values())
          e.abort.abort(new MaelstromError('E_ABORTED', 'the controller is closing'));
        rt.wake();
      }
      await Promise.all([...runtimes.values()].map((rt) => haltWatches(rt)));
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
    pollRequests: () => {
      // One poll at a time: two polls at once would both find, and apply, the same pending request.
      const next = polls.then(pollOnce);
      polls = next.catch(() => 0);
      return next;
    },
    activeRunIds: () => [...runtimes.values()].filter((rt) => !isTerminalRun(rt.run.state)).map((rt) => rt.id),
  };
  return engine;
}
