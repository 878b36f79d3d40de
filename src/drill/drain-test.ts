/**
 * A drain test: a scenario run once per pacer, each run reported (with its critical path and what-ifs answered
 * by re-running the scenario with one task sped up). What `maelstrom drain-test` and the benchmark call.
 */
import { answerWhatIfs, whatIfCandidates } from '../analysis/what-if.js';
import type { Definitions, PacingMode } from '../model/definitions.js';
import type { EngineEvent } from '../model/events.js';
import { buildReport, type Report } from '../report/report.js';
import type { StageLibrary } from '../stages/stage.js';
import { runDrill, type DrillResult } from './runner.js';

export interface DrainTestOptions {
  readonly definitions: Definitions;
  readonly scenario: string;
  /** One report per pacer, in this order; empty: the plans' own pacing. */
  readonly pacers: readonly PacingMode[];
  /** How many critical tasks to ask a what-if about, for the first pacer only (each costs a run). Default 3. */
  readonly whatIfs?: number;
  readonly unordered?: boolean;
  readonly stages?: StageLibrary;
  readonly onEvent?: (pacer: string, event: EngineEvent) => void;
  /** Called as each phase starts: a pacer's run, or a what-if re-run. */
  readonly onPhase?: (phase: string) => void;
  /** Called with each pacer's finished run (not the what-if re-runs): its simulator's journal, counters, series. */
  readonly onDrill?: (pacer: string, result: DrillResult) => void;
}

/** drainSeconds of a plan in a report, the figure what-ifs compare. */
export function drainSecondsOf(report: Report, plan: string): number | null {
  return report.plans.find((p) => p.name === plan)?.drainSeconds ?? null;
}

export async function runDrainTest(options: DrainTestOptions): Promise<Report[]> {
  const pacers: readonly (PacingMode | undefined)[] = options.pacers.length ? options.pacers : [undefined];
  const reports: Report[] = [];
  for (const [i, pacing] of pacers.entries()) {
    const label = pacing ?? 'plan';
    options.onPhase?.(`${label}: running ${options.scenario}`);
    const base = {
      definitions: options.definitions,
      scenario: options.scenario,
      ...(pacing ? { pacing } : {}),
      ...(options.unordered ? { unordered: true } : {}),
      ...(options.stages ? { stages: options.stages } : {}),
    };
    const result = await runDrill({
      ...base,
      ...(options.onEvent ? { onEvent: (e: EngineEvent) => options.onEvent?.(label, e) } : {}),
    });
    options.onDrill?.(label, result);
    let report = buildReport(result);
    const count = i === 0 ? (options.whatIfs ?? 3) : 0;
    const plan =
      report.plans.find((p) => p.direction === 'drain' && p.drainSeconds !== null) ??
      report.plans.find((p) => p.drainSeconds !== null);
    if (count > 0 && plan) {
      const durations = new Map(
        report.tasks
          .filter((t) => t.plan === plan.name && t.startedAt !== null && t.finishedAt !== null)
          .map((t) => [t.id, t.finishedAt! - t.startedAt!]),
      );
      const questions = whatIfCandidates(plan.name, plan.criticalPath, durations, count);
      const answers = await answerWhatIfs(questions, plan.drainSeconds, async (q) => {
        options.onPhase?.(`${label}: what if ${q.task} took ${q.factor * 100} % of the time`);
        const again = await runDrill({ ...base, taskScale: { [q.task]: q.factor } });
        return drainSecondsOf(buildReport(again), q.plan);
      });
      report = { ...report, whatIf: answers };
    }
    reports.push(report);
  }
  return reports;
}
