/**
 * The drain-test report: the stable JSON documented in docs/report.md, built from a finished drill. Times are
 * simulated seconds from the scenario's start. Fields beyond the documented core (series, slack, what-ifs) are
 * additions a reader may ignore.
 */
import { criticalPath, type CriticalStage, type TimedStage } from '../analysis/critical-path.js';
import type { DiagnosisKind, ResolutionOutcome, ResolverKind } from '../model/regulation.js';
import type { SeriesMetric } from '../sim/types.js';
import type { Fault } from '../model/definitions.js';
import { isDoneTask } from '../model/states.js';
import { healthReads } from '../faults/lineage.js';
import { checkProperties, violationsOf, type PropertyName } from '../faults/properties.js';
import { failureBreakdown, type FailureReport } from './failures.js';
import type { DrillRecord } from './input.js';

export interface StepReport {
  readonly at: number;
  readonly layer: 'edge' | 'cluster';
  readonly step: number;
  readonly remaining: number;
  readonly moved: number;
  readonly decision: string;
  readonly reason?: string;
}

export interface TaskReport {
  readonly id: string;
  readonly plan: string;
  readonly service: string;
  readonly state: string;
  readonly startedAt: number | null;
  readonly finishedAt: number | null;
  readonly after: readonly string[];
  readonly slack: number | null;
  readonly steps: readonly StepReport[];
  readonly stages: readonly {
    readonly stage: number;
    readonly uses: string;
    readonly startedAt: number;
    readonly finishedAt: number | null;
    readonly outcome?: string;
  }[];
}

export interface PlanReport {
  readonly name: string;
  readonly runId: string | null;
  readonly outcome: string;
  readonly direction: 'drain' | 'restore' | null;
  readonly datacenter: string | null;
  readonly startedAt: number | null;
  readonly finishedAt: number | null;
  readonly drainSeconds: number | null;
  readonly userFacingDrainSeconds: number | null;
  readonly targetUtilization: number | null;
  readonly criticalPath: readonly string[];
  readonly criticalStages: readonly CriticalStage[];
  /** Why the plan did not start. */
  readonly error?: string;
  /** The code of that reason when the engine refused the plan (`E_PREFLIGHT`…). */
  readonly errorCode?: string;
  /** Why the run ended, or stopped, without succeeding (the run's own reason). */
  readonly reason?: string;
}

/**
 * One action of a self-regulating shift's health manager, with how it was judged: what it saw, the cause it
 * diagnosed, what it did and expected, and (once settled) what was measured against that.
 */
export interface RegulationReport {
  readonly at: number;
  readonly plan: string;
  readonly task: string;
  /** The shift's layer; absent for a session teardown. */
  readonly layer?: 'edge' | 'cluster';
  /** The action's number within its shift. */
  readonly action: number;
  readonly symptoms: readonly string[];
  readonly diagnosis: DiagnosisKind;
  readonly resolver: ResolverKind;
  /** What it did and expected. */
  readonly did: string;
  /** Seconds from the start when it was judged, with the outcome and what was measured; absent before. */
  readonly judgedAt?: number;
  readonly outcome?: ResolutionOutcome;
  readonly judged?: string;
}

export interface HealthEventReport {
  readonly at: number;
  readonly plan: string;
  readonly task: string;
  readonly check: string;
  readonly ok: boolean | null;
  readonly detail?: string;
}

export interface WhatIf {
  readonly task: string;
  readonly factor: number;
  readonly plan: string;
  readonly drainSeconds: number | null;
  /** Seconds the plan ends sooner with the task's stages sped up by `factor` (negative: later). */
  readonly savedSeconds: number | null;
  readonly sentence: string;
}

export interface SeriesReport {
  readonly resolutionSeconds: number;
  /** End of each interval, seconds from the scenario's start. */
  readonly times: readonly number[];
  /** Share of all requests arriving in each datacenter, 0..1. */
  readonly trafficShare: Readonly<Record<string, readonly number[]>>;
  /** Highest utilisation of any service in each datacenter. */
  readonly utilization: Readonly<Record<string, readonly number[]>>;
  /** Fleet-wide cross-datacenter RPC, requests per second. */
  readonly crossDatacenterRpc: readonly number[];
}

/** One counterexample of a fault search: the faults injected, what broke, and the file that replays it. */
export interface CounterexampleReport {
  readonly faults: readonly Fault[];
  readonly violated: readonly string[];
  /** Absolute path of the replay file: one Scenario, run with `drain-test NAME -f PATH… -f REPLAY`. */
  readonly replay: string;
  /** The execution that found it, from 1 (0: the fault-free run). */
  readonly execution: number;
  /** The faults as the search names them, e.g. `stage-fail evacuate-east:web/edge @20m`. */
  readonly keys: readonly string[];
  /** The replay file's scenario name. */
  readonly scenario: string;
}

/** What a fault search did (`drain-test --search-faults`), docs/report.md. */
export interface FaultSearchReport {
  readonly strategy: string;
  readonly executions: number;
  /** No hypothesis of at most maxFaults faults of the vocabulary remained (lineage strategy only). */
  readonly certified: boolean;
  readonly maxFaults: number;
  readonly counterexamples: readonly CounterexampleReport[];
  readonly seed: number;
  readonly budget: number;
  readonly kinds: readonly string[];
  readonly vocabularySize: number;
  readonly windowSeconds: number;
  readonly properties: readonly { readonly name: string; readonly description: string }[];
  /** Where the executions ran: `process`, `threads:N` or the queue's URL. */
  readonly ranOn: string;
  readonly wallSeconds: number;
}

/** Where the overload was: one datacenter's, over the whole scenario. */
export interface DatacenterOverload {
  readonly datacenter: string;
  /** Seconds in which some service there was above 100 % utilisation (the recorded series' intervals). */
  readonly seconds: number;
  /** Its services' overload-seconds summed (the simulator's counter), and how many of them were overloaded. */
  readonly serviceSeconds: number;
  readonly services: number;
  /** The service overloaded longest there, and for how long (the counter). */
  readonly longest: { readonly service: string; readonly seconds: number };
}

export interface Report {
  readonly version: 1;
  readonly scenario: string;
  readonly pacing: string;
  readonly outcome: string;
  /** Properties of a good outcome this drill broke (docs/report.md); empty for a good outcome. */
  readonly violations: readonly PropertyName[];
  readonly plans: readonly PlanReport[];
  readonly overloadSeconds: number;
  /** The same by datacenter, with how long each was overloaded at all; most overloaded first, none when none. */
  readonly overloadByDatacenter: readonly DatacenterOverload[];
  readonly maxUtilization: number;
  readonly failedRequests: number;
  /** Failed requests by service, place and cause, largest first, summing to failedRequests. */
  readonly failures: readonly FailureReport[];
  readonly crossDatacenterRpcSeconds: number;
  readonly criticalPath: readonly string[];
  readonly tasks: readonly TaskReport[];
  // additions
  readonly start: string;
  readonly durationSeconds: number;
  readonly crossDatacenterRpc: number;
  /** Cross-datacenter RPC requests above the pre-plan level while the plans ran. */
  readonly crossDatacenterRpcExcess: number;
  /**
   * The same for the cross-datacenter calls alone (a callee not served in its caller's datacenter), without the writes
   * to a primary in another datacenter: what the order of a plan decides.
   */
  readonly crossDatacenterCallSeconds: number;
  readonly crossDatacenterCallExcess: number;
  readonly drainedDatacenter: string | null;
  readonly receivers: readonly string[];
  readonly health: readonly HealthEventReport[];
  /** The self-regulating pacer's actions, each with its judged effect, in order (empty for the other pacers). */
  readonly regulation: readonly RegulationReport[];
  readonly whatIf: readonly WhatIf[];
  readonly series: SeriesReport;
  /** Present on the report of a fault search. */
  readonly faultSearch?: FaultSearchReport;
}

const round = (x: number, digits = 3): number => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

/** Share of the edge traffic of every user-facing service below which a datacenter counts as drained of it. */
export const USER_FACING_DRAINED_SHARE = 0.01;

function seriesOf(
  result: DrillRecord,
  metric: SeriesMetric,
  service: string | undefined,
  datacenter: string | undefined,
  resolutionMs: number,
): { times: readonly number[]; values: readonly number[] } {
  return result.series(metric, {
    ...(service !== undefined ? { service } : {}),
    ...(datacenter !== undefined ? { datacenter } : {}),
    resolutionMs,
    to: result.endMs,
  });
}

/** The first time (ms) from which every user-facing service keeps less than the drained share in `dc` at the edge. */
function userFacingGoneAt(
  result: DrillRecord,
  dc: string,
  fromMs: number,
  toMs: number,
  baseRes: number,
): number | undefined {
  const services = result.fleet.spec.services
    .filter((s) => s.userFacing && s.capacity[dc] !== undefined)
    .map((s) => s.name);
  if (services.length === 0) return fromMs;
  const all = services.map((s) => seriesOf(result, 'shareEdge', s, dc, baseRes));
  const times = all[0]!.times;
  let gone: number | undefined;
  for (let i = 0; i < times.length; i++) {
    const t = times[i]!;
    if (t <= fromMs) continue;
    if (t > toMs + baseRes) break;
    if (all.some((s) => (s.values[i] ?? 0) > USER_FACING_DRAINED_SHARE)) gone = undefined;
    else gone ??= t;
  }
  return gone;
}

/**
 * Cross-datacenter RPC caused by the plans (`metric`: all of it, or the calls alone): the requests above the level
 * just before the first plan (scaled by user demand, which moves it too) between the first plan's start and the last
 * plan's end; and the same expressed in seconds of the fleet's user traffic at the first plan's start (requests ÷
 * user requests per second), so that the figure compares across fleets and never divides by a baseline of zero.
 */
function crossRpcExcess(
  result: DrillRecord,
  metric: 'crossDatacenterRpc' | 'crossDatacenterCalls',
  fromMs: number,
  toMs: number,
  baseRes: number,
): { seconds: number; requests: number } {
  const rpc = seriesOf(result, metric, undefined, undefined, baseRes);
  const users = result.fleet.spec.services
    .filter((s) => s.userFacing)
    .map((s) => seriesOf(result, 'demand', s.name, undefined, baseRes).values);
  const demand = (i: number): number => users.reduce((a, v) => a + (v[i] ?? 0), 0);
  const i0 = Math.max(0, rpc.times.findIndex((t) => t >= fromMs) - 1);
  const base = rpc.values[i0] ?? 0;
  const d0 = demand(i0);
  let requests = 0;
  for (let i = i0 + 1; i < rpc.times.length && rpc.times[i]! <= toMs + baseRes; i++) {
    const excess = (rpc.values[i] ?? 0) - base * (d0 > 0 ? demand(i) / d0 : 1);
    if (excess > 0) requests += excess * (baseRes / 1000);
  }
  return { seconds: d0 > 0 ? round(requests / d0, 1) : 0, requests: Math.round(requests) };
}

export function buildReport(result: DrillRecord, whatIf: readonly WhatIf[] = []): Report {
  const s0 = result.startMs;
  const sec = (ms: number | undefined): number | null => (ms === undefined ? null : round((ms - s0) / 1000));
  const counters = result.counters;
  const fleet = result.fleet;
  const dcs = fleet.spec.datacenters.map((d) => d.name);
  const baseRes = result.seriesResolutionMs;

  const plans: PlanReport[] = [];
  const tasks: TaskReport[] = [];
  const health: HealthEventReport[] = [];
  const regulation: RegulationReport[] = [];
  const firstDrain = result.runs.find((r) => r.compiled?.direction === 'drain');
  const drained = firstDrain?.compiled?.datacenter ?? result.runs.find((r) => r.compiled)?.compiled?.datacenter ?? null;

  for (const run of result.runs) {
    const view = run.view;
    const compiled = run.compiled;
    if (!view || !compiled) {
      plans.push({
        name: run.plan,
        runId: run.runId ?? null,
        outcome: 'not-started',
        direction: null,
        datacenter: null,
        startedAt: null,
        finishedAt: null,
        drainSeconds: null,
        userFacingDrainSeconds: null,
        targetUtilization: null,
        criticalPath: [],
        criticalStages: [],
        ...(run.error ? { error: run.error } : {}),
        ...(run.errorCode ? { errorCode: run.errorCode } : {}),
      });
      continue;
    }
    const mine = result.events.filter((e) => e.runId === view.id);
    const stagesOf = new Map<string, TimedStage[]>();
    const outcomes = new Map<string, string>();
    const steps = new Map<string, StepReport[]>();
    for (const e of mine) {
      if (e.type === 'stage.start') {
        if (!stagesOf.has(e.taskId)) stagesOf.set(e.taskId, []);
        stagesOf.get(e.taskId)!.push({ stage: e.stage, uses: e.uses, startedAt: (e.time - s0) / 1000 });
      } else if (e.type === 'stage.end') {
        const list = stagesOf.get(e.taskId) ?? [];
        const open = [...list].reverse().find((s) => s.stage === e.stage && s.finishedAt === undefined);
        if (open) {
          list[list.indexOf(open)] = { ...open, finishedAt: (e.time - s0) / 1000 };
          outcomes.set(`${e.taskId}#${e.stage}#${open.startedAt}`, e.outcome ?? '');
        }
      } else if (e.type === 'shift.step') {
        if (!steps.has(e.taskId)) steps.set(e.taskId, []);
        steps.get(e.taskId)!.push({
          at: round((e.time - s0) / 1000),
          layer: e.layer,
          step: e.step,
          remaining: round(e.remaining, 4),
          moved: round(e.moved, 4),
          decision: e.decision,
          ...(e.reason ? { reason: e.reason } : {}),
        });
      } else if (e.type === 'regulation') {
        const at = round((e.time - s0) / 1000);
        if (e.phase === 'acted')
          regulation.push({
            at,
            plan: run.plan,
            task: e.taskId,
            ...(e.layer ? { layer: e.layer } : {}),
            action: e.action,
            symptoms: e.symptoms,
            diagnosis: e.diagnosis,
            resolver: e.resolver,
            did: e.detail,
          });
        else {
          const i = regulation.findIndex(
            (r) => r.plan === run.plan && r.task === e.taskId && r.layer === e.layer && r.action === e.action,
          );
          if (i >= 0)
            regulation[i] = {
              ...regulation[i]!,
              judgedAt: at,
              ...(e.outcome ? { outcome: e.outcome } : {}),
              judged: e.detail,
            };
        }
      } else if (e.type === 'health') {
        health.push({
          at: round((e.time - s0) / 1000),
          plan: run.plan,
          task: e.taskId,
          check: e.check,
          ok: e.ok,
          ...(e.detail ? { detail: e.detail } : {}),
        });
      }
    }
    const timed = view.tasks.map((t) => ({
      id: t.id,
      after: t.after,
      ...(t.startedAt !== undefined ? { startedAt: (t.startedAt - s0) / 1000 } : {}),
      ...(t.finishedAt !== undefined ? { finishedAt: (t.finishedAt - s0) / 1000 } : {}),
      stages: stagesOf.get(t.id) ?? [],
    }));
    const cp = criticalPath(timed);
    for (const t of view.tasks) {
      tasks.push({
        id: t.id,
        plan: run.plan,
        service: t.service,
        state: t.state,
        startedAt: sec(t.startedAt),
        finishedAt: sec(t.finishedAt),
        after: t.after,
        slack: cp.slack[t.id] ?? null,
        steps: steps.get(t.id) ?? [],
        stages: (stagesOf.get(t.id) ?? []).map((s) => {
          const outcome = outcomes.get(`${t.id}#${s.stage}#${s.startedAt}`);
          return {
            stage: s.stage,
            uses: s.uses,
            startedAt: round(s.startedAt),
            finishedAt: s.finishedAt === undefined ? null : round(s.finishedAt),
            ...(outcome ? { outcome } : {}),
          };
        }),
      });
    }
    const lastDone = Math.max(...view.tasks.map((t) => t.finishedAt ?? -Infinity));
    const startedAt = view.startedAt ?? view.createdAt;
    const finishedAll = view.tasks.every((t) => isDoneTask(t.state));
    const drainSeconds = finishedAll && Number.isFinite(lastDone) ? round((lastDone - startedAt) / 1000) : null;
    let userFacing: number | null = null;
    if (compiled.direction === 'drain') {
      const gone = userFacingGoneAt(result, compiled.datacenter, startedAt, view.finishedAt ?? result.endMs, baseRes);
      userFacing = gone === undefined ? null : round(Math.max(0, gone - startedAt) / 1000);
    }
    plans.push({
      name: run.plan,
      runId: view.id,
      outcome: view.state,
      direction: compiled.direction,
      datacenter: compiled.datacenter,
      startedAt: sec(startedAt),
      finishedAt: sec(view.finishedAt),
      drainSeconds,
      userFacingDrainSeconds: userFacing,
      targetUtilization: compiled.pacing.targetUtilization ?? null,
      criticalPath: cp.tasks,
      criticalStages: cp.stages,
      ...(run.error ? { error: run.error } : {}),
      ...(view.state !== 'succeeded' && view.reason ? { reason: view.reason } : {}),
    });
  }

  let overload = 0;
  let maxUtil = 0;
  for (const byDc of Object.values(counters.overloadSeconds)) for (const v of Object.values(byDc)) overload += v;
  for (const byDc of Object.values(counters.maxUtilization))
    for (const v of Object.values(byDc)) maxUtil = Math.max(maxUtil, v);
  const outcome = plans.every((p) => p.outcome === 'succeeded')
    ? 'succeeded'
    : plans.some((p) => p.outcome === 'failed' || p.outcome === 'not-started')
      ? 'failed'
      : (plans.find((p) => p.outcome !== 'succeeded')?.outcome ?? 'failed');
  const firstStart = Math.min(...result.runs.map((r) => r.view?.startedAt ?? Infinity));
  const lastEnd = Math.max(...result.runs.map((r) => r.view?.finishedAt ?? result.endMs));
  const excessOf = (metric: 'crossDatacenterRpc' | 'crossDatacenterCalls') =>
    Number.isFinite(firstStart)
      ? crossRpcExcess(result, metric, firstStart, lastEnd, baseRes)
      : { seconds: 0, requests: 0 };
  const cross = excessOf('crossDatacenterRpc');
  const calls = excessOf('crossDatacenterCalls');

  return {
    version: 1,
    scenario: result.scenario.metadata.name,
    pacing: result.pacing,
    outcome,
    violations: violationsOf(checkProperties(result, healthReads(result))),
    plans,
    overloadSeconds: round(overload, 1),
    overloadByDatacenter: overloadByDatacenter(result, counters.overloadSeconds, baseRes),
    maxUtilization: round(maxUtil, 4),
    failedRequests: Math.round(counters.failedRequests),
    failures: failureBreakdown(counters.failures, Math.round(counters.failedRequests)),
    crossDatacenterRpcSeconds: cross.seconds,
    criticalPath: (plans.find((p) => p.direction === 'drain') ?? plans[0])?.criticalPath ?? [],
    tasks,
    start: result.scenario.spec.start,
    durationSeconds: round((result.endMs - s0) / 1000),
    crossDatacenterRpc: Math.round(counters.crossDatacenterRpc),
    crossDatacenterRpcExcess: cross.requests,
    crossDatacenterCallSeconds: calls.seconds,
    crossDatacenterCallExcess: calls.requests,
    drainedDatacenter: drained,
    receivers: dcs.filter((d) => d !== drained),
    health,
    regulation,
    whatIf,
    series: chartSeries(result, dcs),
  };
}

/**
 * Each datacenter with overload: its services' overload-seconds (the counter) and the seconds in which any of them
 * was overloaded at all (the recorded intervals whose utilisation was above 100 %), so that a reader sees both how
 * much and for how long.
 */
function overloadByDatacenter(
  result: DrillRecord,
  counter: Readonly<Record<string, Readonly<Record<string, number>>>>,
  baseRes: number,
): DatacenterOverload[] {
  const out: DatacenterOverload[] = [];
  for (const dc of result.fleet.spec.datacenters.map((d) => d.name)) {
    const byService = Object.entries(counter)
      .map(([service, byDc]) => [service, byDc[dc] ?? 0] as const)
      .filter(([, v]) => v > 0)
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    if (byService.length === 0) continue;
    const over = new Set<number>();
    for (const [service] of byService) {
      const s = seriesOf(result, 'utilization', service, dc, baseRes);
      s.values.forEach((v, i) => {
        if (v > 1) over.add(i);
      });
    }
    out.push({
      datacenter: dc,
      // A service's overload shorter than an interval may not show in its mean: never less than the longest's.
      seconds: round(Math.max((over.size * baseRes) / 1000, byService[0]![1])),
      serviceSeconds: round(
        byService.reduce((a, [, v]) => a + v, 0),
        1,
      ),
      services: byService.length,
      longest: { service: byService[0]![0], seconds: round(byService[0]![1], 1) },
    });
  }
  return out.sort((a, b) => b.serviceSeconds - a.serviceSeconds || a.datacenter.localeCompare(b.datacenter));
}

/** Series for the charts, at a resolution that keeps a few hundred points whatever the run's length. */
function chartSeries(result: DrillRecord, dcs: readonly string[]): SeriesReport {
  const base = result.seriesResolutionMs;
  const span = Math.max(base, result.endMs - result.startMs);
  const res = Math.max(1, Math.ceil(span / 400 / base)) * base;
  const services = result.fleet.spec.services;
  const load: Record<string, number[]> = {};
  const util: Record<string, number[]> = {};
  let times: readonly number[] = [];
  for (const dc of dcs) {
    const running = services.filter((s) => s.capacity[dc] !== undefined);
    const loads = running.map((s) => seriesOf(result, 'load', s.name, dc, res));
    const utils = running.map((s) => seriesOf(result, 'utilization', s.name, dc, res));
    if (loads[0]) times = loads[0].times;
    load[dc] = times.map((_, i) => loads.reduce((a, s) => a + (s.values[i] ?? 0), 0));
    util[dc] = times.map((_, i) =>
      round(
        utils.reduce((a, s) => Math.max(a, s.values[i] ?? 0), 0),
        4,
      ),
    );
  }
  const share: Record<string, number[]> = {};
  for (const dc of dcs)
    share[dc] = times.map((_, i) => {
      const total = dcs.reduce((a, d) => a + (load[d]![i] ?? 0), 0);
      return total > 0 ? round((load[dc]![i] ?? 0) / total, 4) : 0;
    });
  const rpc = seriesOf(result, 'crossDatacenterRpc', undefined, undefined, res);
  return {
    resolutionSeconds: res / 1000,
    times: times.map((t) => round((t - result.startMs) / 1000)),
    trafficShare: share,
    utilization: util,
    crossDatacenterRpc: rpc.values.map((v) => round(v, 1)),
  };
}
