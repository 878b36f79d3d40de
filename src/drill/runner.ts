/**
 * The drill runner: a scenario's fleet in the in-process simulator on a virtual clock, the engine driving the
 * scenario's `run:` schedule (`at`, or `after: plan` + `wait`), and everything a report needs collected at the end:
 * the engine's events, the runs and their tasks, the simulator's counters and series.
 *
 * It picks the concrete pieces (simulator backend, in-memory SQLite store) like the CLI does, and builds its
 * controller through the composition root (src/compose), which takes the store's lease as for any controller: it is
 * what `maelstrom drain-test` and the benchmarks call.
 */
import { createSimBackend, type SimBackend } from '../backends/sim/backend.js';
import type { RunView } from '../engine/controller.js';
import { createController, type ControllerStore } from '../compose/controller.js';
import type { CompiledPlan } from '../model/compiled.js';
import type { Definitions, PacingMode, Scenario } from '../model/definitions.js';
import { parseDuration } from '../model/duration.js';
import { MaelstromError } from '../model/errors.js';
import type { EngineEvent } from '../model/events.js';
import { isTerminalRun } from '../model/states.js';
import { VirtualClock } from '../model/virtual-clock.js';
import { compilePlan } from '../plan/index.js';
import { stages as defaultStages } from '../stages/index.js';
import type { StageLibrary } from '../stages/stage.js';
import { createSqliteStore } from '../store/sqlite/sqlite-store.js';
import type { DrillPlanRun, DrillRecord } from '../report/input.js';
import { scaleStages } from './scale.js';

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
  const clock = new VirtualClock(startMs);
  const backend = createSimBackend({
    fleet,
    scenario,
    clock,
    name: 'sim',
    ...(options.seriesResolutionMs !== undefined ? { seriesResolutionMs: options.seriesResolutionMs } : {}),
  });
  const own = options.store === undefined ? createSqliteStore({ path: ':memory:' }) : undefined;
  await own?.init();
  const store: ControllerStore = options.store ?? own!;

  const compile = (defs: Definitions, plan: string): CompiledPlan => {
    let compiled = compilePlan(defs, plan);
    if (options.pacing) compiled = { ...compiled, pacing: { ...compiled.pacing, mode: options.pacing } };
    if (options.unordered) compiled = withoutServiceOrder(compiled);
    if (options.reversed?.includes(plan)) compiled = withReversedServiceOrder(compiled);
    return compiled;
  };
  let ids = 0;
  const controller = await createController({
    definitions,
    backend,
    store,
    clock,
    compile,
    stages: scaleStages(options.stages ?? defaultStages, options.taskScale ?? {}),
    idGenerator: () => `drill-${++ids}`,
    // The drill's runs live in its virtual time and nothing outside asks anything of them: no requests to wait for.
    requestPollMs: false,
  }).catch(async (e: unknown) => {
    await own?.close();
    throw e;
  });
  const events: EngineEvent[] = [];
  const finished = new Map<string, Promise<RunView>>();
  controller.subscribe((e) => {
    events.push(e);
    options.onEvent?.(e);
  });

  const schedule = scenario.spec.run ?? [];
  const runs = new Map<string, DrillPlanRun>(schedule.map((r) => [r.plan, { plan: r.plan }]));
  const started = new Map<string, Promise<string | undefined>>();
  let pendingEntries = schedule.length;
  const actor = { name: 'drill', role: 'operator' as const };

  const startOne = async (index: number): Promise<string | undefined> => {
    const entry = schedule[index]!;
    try {
      if (entry.after !== undefined) {
        const before = await started.get(entry.after);
        const view = before !== undefined ? await finished.get(before) : undefined;
        if (!view || view.state !== 'succeeded') {
          runs.set(entry.plan, {
            plan: entry.plan,
            error: `not started: ${entry.after} did not succeed${view ? ` (${view.state})` : ''}`,
          });
          return undefined;
        }
      }
      const at = entry.after === undefined ? startMs + durationOf(entry.at, `run of ${entry.plan}: at`) : clock.now();
      const delay = at - clock.now() + durationOf(entry.wait, `run of ${entry.plan}: wait`);
      if (delay > 0) await clock.sleep(delay);
      const view = await controller.startRun(entry.plan, actor);
      runs.set(entry.plan, { plan: entry.plan, runId: view.id });
      finished.set(view.id, controller.wait(view.id));
      return view.id;
    } catch (e) {
      runs.set(entry.plan, { plan: entry.plan, error: e instanceof Error ? e.message : String(e) });
      return undefined;
    } finally {
      pendingEntries--;
    }
  };
  schedule.forEach((entry, i) => {
    started.set(entry.plan, startOne(i));
  });

  const allOver = (): boolean =>
    pendingEntries === 0 &&
    [...runs.values()].every((r) => r.error !== undefined || (r.runId !== undefined && doneRuns.has(r.runId)));
  const doneRuns = new Set<string>();
  controller.subscribe((e) => {
    if (e.type === 'run.state' && isTerminalRun(e.state)) doneRuns.add(e.runId);
  });
  try {
    await clock.runUntil(allOver, limitMs);
  } finally {
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
  };
}
