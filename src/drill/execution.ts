/**
 * One execution of a fault search: a scenario (the base one with faults in place) run as a drill with the plans'
 * own pacing, its properties checked and its lineage taken. What every kind of worker (in process, a thread, a
 * queue worker on another host) runs for a job; its outcome is plain data.
 */
import type { Definitions, PacingMode, Scenario } from '../model/definitions.js';
import { isStageKind, stageActions } from '../stages/index.js';
import { mechanismOf } from '../sim/faults.js';
import { healthReads, lineageOf } from '../faults/lineage.js';
import { checkProperties, violationsOf } from '../faults/properties.js';
import { derivationsOf, vocabularyOf } from '../faults/derivations.js';
import type { ExecutionOutcome, LineageAnswer } from '../faults/search.js';
import type { VocabularyBase } from '../faults/vocabulary.js';
import { runDrill, type DrillResult } from './runner.js';

/** The definitions with one more scenario (or one replaced by name). */
export function withScenario(definitions: Definitions, scenario: Scenario): Definitions {
  const scenarios = new Map(definitions.scenarios);
  scenarios.set(scenario.metadata.name, scenario);
  return {
    fleets: definitions.fleets,
    templates: definitions.templates,
    runbooks: definitions.runbooks,
    plans: definitions.plans,
    scenarios,
    schedules: definitions.schedules,
    triggers: definitions.triggers,
    notifiers: definitions.notifiers,
    locate: (kind, name, path) => definitions.locate(kind, name, path),
    ...(definitions.locateText ? { locateText: definitions.locateText.bind(definitions) } : {}),
  };
}

/** Series are not read by properties or lineage: an execution records them coarsely, which costs less. */
const SEARCH_SERIES_MS = 600_000;

function vocabularyBase(result: DrillResult): VocabularyBase {
  const sec = (ms: number): number => Math.round((ms - result.startMs) / 1000);
  const started = result.runs.map((r) => r.view?.startedAt ?? r.view?.createdAt).filter((t) => t !== undefined);
  const ended = result.runs.map((r) => r.view?.finishedAt).filter((t) => t !== undefined);
  return {
    datacenters: result.fleet.spec.datacenters.map((d) => d.name),
    services: result.fleet.spec.services.map((s) => s.name),
    plans: result.runs.flatMap((r) => {
      const c = r.compiled;
      if (!c) return [];
      const mechanisms = new Set<string>();
      for (const t of c.tasks)
        for (const s of t.stages)
          for (const kind of isStageKind(s.uses) ? stageActions[s.uses] : [])
            if (kind === 'weights.set') {
              mechanisms.add('edge');
              mechanisms.add('cluster');
            } else mechanisms.add(mechanismOf(kind));
      return [
        { plan: r.plan, datacenter: c.datacenter, tasks: c.tasks.map((t) => t.id), mechanisms: [...mechanisms].sort() },
      ];
    }),
    spanFrom: started.length ? sec(Math.min(...started)) : 0,
    spanTo: ended.length ? sec(Math.max(...ended)) : sec(result.endMs),
  };
}

/** Runs one execution and says what it showed, with what `answer` asks of its lineage (see `LineageAnswer`). */
export async function executeScenario(
  definitions: Definitions,
  scenario: Scenario,
  index: number,
  pacing?: PacingMode,
  answer: LineageAnswer = { kind: 'lineage' },
): Promise<ExecutionOutcome> {
  const result = await runDrill({
    definitions: withScenario(definitions, scenario),
    scenario: scenario.metadata.name,
    seriesResolutionMs: SEARCH_SERIES_MS,
    ...(pacing ? { pacing } : {}),
  });
  const properties = checkProperties(result, healthReads(result));
  const violated = violationsOf(properties);
  return {
    index,
    violated,
    properties,
    ...(answer.kind === 'lineage' ? { lineage: lineageOf(result) } : {}),
    ...(answer.kind === 'derivations' && violated.length === 0
      ? { derivations: derivationsOf(vocabularyOf(answer.vocabulary), lineageOf(result)) }
      : {}),
    base: vocabularyBase(result),
    plans: result.runs.map((r) => ({
      plan: r.plan,
      state: r.view?.state ?? 'not-started',
      seconds:
        r.view?.finishedAt !== undefined
          ? Math.round((r.view.finishedAt - (r.view.startedAt ?? r.view.createdAt)) / 1000)
          : null,
    })),
    failedRequests: result.counters.failedRequests,
    servedRequests: result.counters.servedRequests,
  };
}
