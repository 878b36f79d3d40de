/**
 * The drill runner: a scenario's fleet in the in-process simulator on a virtual clock, the engine driving the
 * scenario's `run:` schedule (`at`, or `after: plan` + `wait`), and everything a report needs collected at the end:
 * the engine's events, the runs and their tasks, the simulator's counters and series.
 *
 * It picks the concrete pieces (simulator backend, in-memory SQLite store) like the CLI does, and builds its
 * controller through the composition root (src/compose), which takes the store's lease as for any controller: it is
 * what `maelstrom drain-test` and the benchmarks call.
 */
import type { Backend } from '../backends/backend.js';
import { createSimBackend, type SimBackend } from '../backends/sim/backend.js';
import { createController, type ControllerStore, type EngineController } from '../compose/controller.js';
import type { CompiledPlan } from '../model/compiled.js';
import type { Definitions, Fleet, PacingMode, Scenario } from '../model/definitions.js';
import { durationMs, parseDuration } from '../model/duration.js';
import { MaelstromError, toMaelstromError } from '../model/errors.js';
import type { EngineEvent } from '../model/events.js';
import type { HybridClock } from '../model/hlc.js';
import { isTerminalRun, type RunState } from '../model/states.js';
import { VirtualClock } from '../model/virtual-clock.js';
import { compilePlan } from '../plan/index.js';
import { stages as defaultStages } from '../stages/index.js';
import type { StageLibrary } from '../stages/stage.js';
import { createSqliteStore } from '../store/sqlite/sqlite-store.js';
import type { DrillPlanRun, DrillRecord } from '../report/input.js';
import { scaleStages } from './scale.js';
import { injectStageFaults, stageFaultWindows, type StageFaultWindow } from './stage-faults.js';

export interface DrillOptions {
  readonly definitions: Definitions;
  readonly scenario: string;
  /** Overrides the pacing mode of every plan the scenario runs. */
  readonly pacing?: PacingMode;
  /**
   * What-if hook: task id → factor on the time its stages wait (0.5 = the task takes half as long). Applied to
   * every run of the scenario whose plan has a task of that id.
   */
  readonly taskScale?: Readonly<Record<string, number>>;
  /** Drops the cross-service edges of every compiled plan: the same tasks, run with no order between services. */
  readonly unordered?: boolean;
  /**
   * Plans (by name) whose cross-service order is turned round: the same tasks in the wrong order, such as a restore
   * that brings callers back before their callees. A what-if for drain tests of the order itself.
   */
  readonly reversed?: readonly string[];
  /**
   * Where the drill's runs are kept, initialised; the caller closes it. By default a fresh in-memory SQLite store,
   * closed at the end. The drill's controller holds its lease while the drill runs, as any controller does.
   */
  readonly store?: ControllerStore;
  /** Stage library (tests substitute stages); the engine's own by default. */
  readonly stages?: StageLibrary;
  /** Called with every engine event as it happens (progress views). */
  readonly onEvent?: (event: EngineEvent) => void;
  /** Recording resolution of the simulator's series; default 10 s. */
  readonly seriesResolutionMs?: number;
  /**
   * Lets the scenario run on past its `duration` until every scheduled plan is over, by at most this much: a slow
   * pacer (the fixed schedule) can then be compared on a scenario sized for the fast ones. Default 0.
   */
  readonly overtimeMs?: number;
  /** The simulator's hybrid logical clock; by default the process's (one process, one clock). */
  readonly simClock?: HybridClock;
  /**
   * How the controller reaches the simulator: directly by default. The timeline's bench puts a link between them that
   * trades HLCs as `maelstrom sim`'s header does, to run the two as if they were processes with skewed clocks.
   */
  readonly connect?: (backend: SimBackend) => Backend;
}

/** A finished drill: the record a report is built from, and the simulator it ran in (for what-ifs and tests). */
export interface DrillResult extends DrillRecord {
  readonly backend: SimBackend;
}

export type { DrillPlanRun } from '../report/input.js';

function durationOf(text: string | undefined, what: string): number {
  if (text === undefined) return 0;
  const ms = parseDuration(text);
  if (ms === undefined) throw new MaelstromError('E_BAD_REQUEST', `${what}: "${text}" is not a duration such as 5m`);
  return ms;
}

/**
 * The compiled plan with the order between services turned round (the order within each service kept): where
 * service A moved before service B, B's last tasks now come before A's first.
 */
export function withReversedServiceOrder(compiled: CompiledPlan): CompiledPlan {
  const serviceOf = new Map(compiled.tasks.map((t) => [t.id, t.service]));
  const sameService = (t: { service: string }, id: string): boolean => serviceOf.get(id) === t.service;
  const hasLocalSuccessor = new Set(compiled.tasks.flatMap((t) => t.after.filter((id) => sameService(t, id))));
  const firsts = new Map<string, string[]>();
  const lasts = new Map<string, string[]>();
  const add = (map: Map<string, string[]>, key: string, id: string): void => {
    const list = map.get(key);
    if (list) list.push(id);
    else map.set(key, [id]);
  };
  for (const t of compiled.tasks) {
    if (!t.after.some((id) => sameService(t, id))) add(firsts, t.service, t.id);
    if (!hasLocalSuccessor.has(t.id)) add(lasts, t.service, t.id);
  }
  // Service pairs (before → after) and whether every edge behind the pair is weak.
  const pairs = new Map<string, boolean>();
  for (const t of compiled.tasks)
    for (const id of t.after) {
      if (sameService(t, id)) continue;
      const key = `${serviceOf.get(id)!}\n${t.service}`;
      pairs.set(key, (pairs.get(key) ?? true) && t.weakAfter.includes(id));
    }
  const extra = new Map<string, { after: string[]; weak: string[] }>();
  for (const [key, weak] of pairs) {
    const [before, later] = key.split('\n') as [string, string];
    for (const first of firsts.get(before) ?? []) {
      let e = extra.get(first);
      if (!e) extra.set(first, (e = { after: [], weak: [] }));
      for (const last of lasts.get(later) ?? []) {
        if (e.after.includes(last)) continue;
        e.after.push(last);
        if (weak) e.weak.push(last);
      }
    }
  }
  const tasks = compiled.tasks.map((t) => ({
    ...t,
    after: [...t.after.filter((id) => sameService(t, id)), ...(extra.get(t.id)?.after ?? [])],
    weakAfter: [...t.weakAfter.filter((id) => sameService(t, id)), ...(extra.get(t.id)?.weak ?? [])],
  }));
  return { ...compiled, tasks };
}

/** The compiled plan without edges between tasks of different services (and with a pacing mode forced). */
export function withoutServiceOrder(compiled: CompiledPlan): CompiledPlan {
  const serviceOf = new Map(compiled.tasks.map((t) => [t.id, t.service]));
  const tasks = compiled.tasks.map((t) => ({
    ...t,
    after: t.after.filter((id) => serviceOf.get(id) === t.service),
    weakAfter: t.weakAfter.filter((id) => serviceOf.get(id) === t.service),
  }));
  return { ...compiled, tasks };
}

export function findScenario(definitions: Definitions, name: string): Scenario {
  const scenario = definitions.scenarios.get(name);
  if (!scenario)
    throw new MaelstromError(
      'E_NOT_FOUND',
      `no scenario "${name}" (scenarios: ${[...definitions.scenarios.keys()].sort().join(', ') || 'none'})`,
    );
  if (!scenario.spec.run?.length)
    throw new MaelstromError('E_BAD_REQUEST', `scenario "${name}" has no run: schedule, so there is nothing to drill`);
  for (const r of scenario.spec.run) {
    if (!definitions.plans.has(r.plan))
      throw new MaelstromError('E_UNKNOWN_REF', `scenario "${name}" runs plan "${r.plan}", which is not defined`);
    if (r.after !== undefined && !scenario.spec.run.some((o) => o.plan === r.after)) {
      throw new MaelstromError(
        'E_UNKNOWN_REF',
        `scenario "${name}": plan "${r.plan}" runs after "${r.after}", which the schedule never runs`,
      );
    }
  }
  return scenario;
}

/** The drained share of a datacenter: its part of all the load the fleet's services receive, 0..1. */
function loadShares(backend: SimBackend, fleet: Fleet): Record<string, number> {
  const byDc: Record<string, number> = Object.fromEntries(fleet.spec.datacenters.map((d) => [d.name, 0]));
  let total = 0;
  for (const s of fleet.spec.services) {
    for (const [dc, load] of Object.entries(backend.simulation.truth(s.name).load)) {
      byDc[dc] = (byDc[dc] ?? 0) + load;
      total += load;
    }
  }
  for (const dc of Object.keys(byDc)) byDc[dc] = total > 0 ? byDc[dc]! / total : 0;
  return byDc;
}

/** Every task id of the scheduled plans, to refuse a stage fault that names none of them. */
function checkStageFaults(
  definitions: Definitions,
  scenario: Scenario,
  windows: readonly StageFaultWindow[],
  compile: (defs: Definitions, plan: string) => CompiledPlan,
): void {
  if (windows.length === 0) return;
  const plans = [...new Set((scenario.spec.run ?? []).map((r) => r.plan))];
  const tasks = new Map(plans.map((p) => [p, new Set(compile(definitions, p).tasks.map((t) => t.id))]));
  for (const w of windows) {
    const where = w.plan === undefined ? plans : [w.plan];
    if (w.plan !== undefined && !tasks.has(w.plan))
      throw new MaelstromError(
        'E_UNKNOWN_REF',
        `scenario ${scenario.metadata.name}: a ${w.kind} fault names plan "${w.plan}", which the schedule never runs`,
      );
    if (!where.some((p) => tasks.get(p)?.has(w.task)))
      throw new MaelstromError(
        'E_UNKNOWN_REF',
        `scenario ${scenario.metadata.name}: a ${w.kind} fault names task "${w.task}", which no plan of its ` +
          `schedule has (${where.join(', ')})`,
      );
  }
}

/** The controller crashes of a scenario: when the controller is killed, and how long it stays down. */
function crashesOf(scenario: Scenario, startMs: number): { at: number; downMs: number }[] {
  return (scenario.spec.faults ?? [])
    .filter((f) => f.kind === 'controller-crash')
    .map((f) => ({ at: startMs + durationMs(f.at), downMs: f.duration === undefined ? 0 : durationMs(f.duration) }))
    .sort((a, b) => a.at - b.at);
}

/** Runs a scenario to its end (or until every scheduled plan is over) on virtual time. */
export async function runDrill(options: DrillOptions): Promise<DrillResult> {
  const { definitions } = options;
  const scenario = findScenario(definitions, options.scenario);
  const fleet = definitions.fleets.get(scenario.spec.fleet);
  if (!fleet)
    throw new MaelstromError(
      'E_UNKNOWN_REF',
      `scenario "${scenario.metadata.name}" uses fleet "${scenario.spec.fleet}", which is not defined`,
    );
  const startMs = Date.parse(scenario.spec.start);
  const limitMs =
    startMs +
    durationOf(scenario.spec.duration, `scenario ${scenario.metadata.name} duration`) +
    Math.max(0, options.overtimeMs ?? 0);
  const compile = (defs: Definitions, plan: string): CompiledPlan => {
    let compiled = compilePlan(defs, plan);
    if (options.pacing) compiled = { ...compiled, pacing: { ...compiled.pacing, mode: options.pacing } };
    if (options.unordered) compiled = withoutServiceOrder(compiled);
    if (options.reversed?.includes(plan)) compiled = withReversedServiceOrder(compiled);
    return compiled;
  };
  const windows = stageFaultWindows(scenario.spec.faults ?? [], startMs);
  checkStageFaults(definitions, scenario, windows, compile);
  const clock = new VirtualClock(startMs);
  const backend = createSimBackend({
    fleet,
    scenario,
    clock,
    name: 'sim',
    ...(options.seriesResolutionMs !== undefined ? { seriesResolutionMs: options.seriesResolutionMs } : {}),
    ...(options.simClock ? { hybridClock: options.simClock } : {}),
  });
  const reached = options.connect ? options.connect(backend) : backend;
  const own = options.store === undefined ? createSqliteStore({ path: ':memory:' }) : undefined;
  await own?.init();
  const store: ControllerStore = options.store ?? own!;

  const schedule = scenario.spec.run ?? [];
  const runs = new Map<string, DrillPlanRun>(schedule.map((r) => [r.plan, { plan: r.plan }]));
  const planOfRun = new Map<string, string>();
  const stageLibrary = scaleStages(
    injectStageFaults(options.stages ?? defaultStages, windows, (runId) => planOfRun.get(runId)),
    options.taskScale ?? {},
  );
  let ids = 0;
  const events: EngineEvent[] = [];
  /** Terminal state of each run, from its run.state event (the same whichever controller drove it). */
  const ended = new Map<string, { state: RunState; resolve: () => void; done: Promise<void> }>();
  const endOf = (runId: string): { state: RunState; resolve: () => void; done: Promise<void> } => {
    let e = ended.get(runId);
    if (!e) {
      let resolve!: () => void;
      const done = new Promise<void>((r) => (resolve = r));
      e = { state: 'pending', resolve, done };
      ended.set(runId, e);
    }
    return e;
  };
  const drainedShares: Record<string, Record<string, number>> = {};
  const onEvent = (e: EngineEvent): void => {
    events.push(e);
    if (e.type === 'run.state' && isTerminalRun(e.state)) {
      // The world as the run left it, read now, while the simulator stands at the run's end.
      drainedShares[e.runId] = loadShares(backend, fleet);
      const end = endOf(e.runId);
      end.state = e.state;
      end.resolve();
    }
    options.onEvent?.(e);
  };
  const build = async (): Promise<EngineController> => {
    const c = await createController({
      definitions,
      backend: reached,
      store,
      clock,
      compile,
      stages: stageLibrary,
      idGenerator: () => `drill-${++ids}`,
      // The drill's runs live in its virtual time and nothing outside asks anything of them: no requests to wait for.
      requestPollMs: false,
    });
    c.subscribe(onEvent);
    return c;
  };
  let controller = await build().catch(async (e: unknown) => {
    await own?.close();
    throw e;
  });
  /** While the controller is down (a controller-crash fault), what would reach it waits for it to be back. */
  let up: Promise<void> = Promise.resolve();

  const crashes = crashesOf(scenario, startMs);
  const crashing = (async () => {
    for (const crash of crashes) {
      if (crash.at >= limitMs) return;
      await clock.sleep(crash.at - clock.now());
      if (allOver()) return;
      let back!: () => void;
      up = new Promise<void>((r) => (back = r));
      // Killed: nothing more is driven or committed; the store keeps what was committed, as after a real kill.
      await controller.close();
      if (crash.downMs > 0) await clock.sleep(crash.downMs);
      controller = await build();
      await controller.start();
      back();
    }
  })();

  let pendingEntries = schedule.length;
  const actor = { name: 'drill', role: 'operator' as const };
  const started = new Map<string, Promise<string | undefined>>();
  const deadlines: Promise<void>[] = [];

  const startOne = async (index: number): Promise<string | undefined> => {
    const entry = schedule[index]!;
    try {
      if (entry.after !== undefined) {
        const before = await started.get(entry.after);
        const state = before !== undefined ? (await endOf(before).done, endOf(before).state) : undefined;
        if (state !== 'succeeded') {
          runs.set(entry.plan, {
            plan: entry.plan,
            error: state ? `${entry.after} did not succeed (${state})` : `${entry.after} did not start`,
          });
          return undefined;
        }
      }
      const at = entry.after === undefined ? startMs + durationOf(entry.at, `run of ${entry.plan}: at`) : clock.now();
      const delay = at - clock.now() + durationOf(entry.wait, `run of ${entry.plan}: wait`);
      if (delay > 0) await clock.sleep(delay);
      await up;
      const view = await controller.startRun(entry.plan, actor);
      planOfRun.set(view.id, entry.plan);
      runs.set(entry.plan, { plan: entry.plan, runId: view.id });
      endOf(view.id);
      if (entry.deadline !== undefined) {
        const deadlineMs = durationOf(entry.deadline, `run of ${entry.plan}: deadline`);
        deadlines.push(haltAtDeadline(view.id, entry.plan, entry.deadline, clock.now() + deadlineMs));
      }
      return view.id;
    } catch (e) {
      const err = toMaelstromError(e);
      runs.set(entry.plan, { plan: entry.plan, error: err.message, errorCode: err.code });
      return undefined;
    } finally {
      pendingEntries--;
    }
  };

  /** Past its deadline a run still going is aborted where it stands, as an operator ends an overrunning test. */
  const haltAtDeadline = async (runId: string, plan: string, text: string, at: number): Promise<void> => {
    const end = endOf(runId);
    const timer = new AbortController();
    void end.done.then(() => timer.abort());
    try {
      await clock.sleep(at - clock.now(), timer.signal);
    } catch {
      return;
    }
    await up;
    if (isTerminalRun(end.state)) return;
    try {
      await controller.command(
        runId,
        { action: 'abort', reason: `the drill's deadline for ${plan} (${text}) passed` },
        actor,
      );
    } catch {
      // Already ending: nothing to stop.
    }
  };

  schedule.forEach((entry, i) => {
    started.set(entry.plan, startOne(i));
  });

  function allOver(): boolean {
    return (
      pendingEntries === 0 &&
      [...runs.values()].every(
        (r) => r.error !== undefined || (r.runId !== undefined && isTerminalRun(endOf(r.runId).state)),
      )
    );
  }
  try {
    await clock.runUntil(allOver, limitMs);
  } finally {
    await up;
    await controller.close();
  }
  const endMs = clock.now();
  const out: DrillPlanRun[] = [];
  for (const r of runs.values()) {
    if (r.runId === undefined) {
      out.push(r);
      continue;
    }
    const view = await controller.getRun(r.runId);
    const record = await store.getRun(r.runId);
    out.push({ ...r, view, ...(record ? { compiled: record.compiled } : {}) });
  }
  await own?.close();
  void crashing;
  void deadlines;
  return {
    scenario,
    fleet,
    seriesResolutionMs: options.seriesResolutionMs ?? 10_000,
    pacing: options.pacing ?? 'plan',
    startMs,
    endMs,
    runs: out,
    events,
    backend,
    counters: backend.counters(),
    series: (metric, query) => backend.series(metric, query),
    journal: backend.journal(),
    drainedShares,
  };
}
