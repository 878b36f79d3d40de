/**
 * The drills the fidelity cases share, each run once per process (a case that needs a drill another case ran
 * reuses it), and the figures the cases read off them.
 */
import { runDrill, type DrillOptions, type DrillResult } from '../../src/drill/runner.js';
import { loadOrFail } from '../../src/load/check.js';
import type { DefinitionSource } from '../../src/load/load.js';
import type { Definitions } from '../../src/model/definitions.js';
import { buildReport, type Report } from '../../src/report/report.js';
import { generateEvacuationDocuments } from '../generate-evacuation.js';
import { referenceDocuments } from './definitions.js';

/** Series resolution of the drills: coarse enough to be cheap, fine enough for every figure the cases read. */
export const RESOLUTION_MS = 10_000;

export interface Drill {
  readonly result: DrillResult;
  readonly report: Report;
}

const drills = new Map<string, Promise<Drill>>();

/** Runs a drill once under `key`; later calls with the same key get the same run. */
export function drill(
  key: string,
  definitions: () => Promise<Definitions>,
  options: Omit<DrillOptions, 'definitions'>,
): Promise<Drill> {
  let run = drills.get(key);
  if (!run) {
    run = (async () => {
      const result = await runDrill({
        definitions: await definitions(),
        seriesResolutionMs: RESOLUTION_MS,
        ...options,
      });
      return { result, report: buildReport(result) };
    })();
    drills.set(key, run);
  }
  return run;
}

const loaded = new Map<string, Promise<Definitions>>();

/** Definitions built from documents once under `key`. */
export function definitionsOnce(key: string, documents: () => readonly unknown[]): () => Promise<Definitions> {
  return () => {
    let defs = loaded.get(key);
    if (!defs) {
      defs = loadOrFail(documents() as DefinitionSource[], { warn: () => {} });
      loaded.set(key, defs);
    }
    return defs;
  };
}

/** The generated 79-task evacuation, as a DAG (concurrency 16) or one task at a time. */
export const evacuation = (concurrency: number): (() => Promise<Definitions>) =>
  definitionsOnce(`evacuation-${concurrency}`, () => generateEvacuationDocuments({ concurrency }));

/** The reference definitions with changes to their documents (a copy; the reference files are not touched). */
export function referenceWith(
  key: string,
  change: (docs: ReturnType<typeof referenceDocuments>) => void,
): () => Promise<Definitions> {
  return definitionsOnce(`reference-${key}`, () => {
    const docs = referenceDocuments();
    change(docs);
    return docs;
  });
}

/** The plan of a drill's report by name; fails loudly when the drill did not run it. */
export function planOf(d: Drill, name: string): Report['plans'][number] {
  const plan = d.report.plans.find((p) => p.name === name);
  if (!plan) throw new Error(`the drill ran no plan ${name}`);
  return plan;
}

/** Failed requests per second of every service together, per interval of the drill's series. */
export function failedPerSecond(d: Drill): { times: readonly number[]; values: number[] } {
  const series = d.result.fleet.spec.services.map((s) => d.result.series('failed', { service: s.name }));
  const times = series[0]!.times;
  return { times, values: times.map((_, i) => series.reduce((sum, s) => sum + (s.values[i] ?? 0), 0)) };
}

/** Seconds from the scenario's start of a series' end-of-interval time. */
export const sinceStart = (d: Drill, t: number): number => (t - d.result.startMs) / 1000;

/** Minutes, one decimal. */
export const minutes = (seconds: number): string => (seconds / 60).toFixed(1);
