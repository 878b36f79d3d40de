/**
 * Jobs of a fault search as they travel to a worker thread or over a queue: plain JSON that carries its own
 * definitions (every document, as loaded), so that a worker needs no files of its own. A worker keeps the
 * definitions it loaded by their hash, so a search's jobs load them once per worker.
 */
import { createHash } from 'node:crypto';
import { loadOrFail } from '../load/check.js';
import type { DefinitionDocument } from '../model/define.js';
import type { Definitions, PacingMode, Scenario } from '../model/definitions.js';
import { executeScenario } from '../drill/execution.js';
import type { ExecutionOutcome, LineageAnswer } from '../faults/search.js';

export interface DefinitionBundle {
  /** Hash of the documents: the key a worker caches them under. */
  readonly key: string;
  readonly documents: readonly DefinitionDocument[];
}

export interface ExecutionJobData {
  readonly definitions: DefinitionBundle;
  readonly scenario: Scenario;
  readonly index: number;
  readonly pacing?: PacingMode;
  readonly answer?: LineageAnswer;
}

/** Every document a drill reads (triggers and notifiers play no part in one), in a stable order, with its hash. */
export function bundleOf(definitions: Definitions): DefinitionBundle {
  const documents = [
    ...definitions.fleets.values(),
    ...definitions.templates.values(),
    ...definitions.runbooks.values(),
    ...definitions.plans.values(),
    ...definitions.scenarios.values(),
  ] as DefinitionDocument[];
  const key = createHash('sha256').update(JSON.stringify(documents)).digest('hex').slice(0, 16);
  return { key, documents };
}

const loaded = new Map<string, Promise<Definitions>>();

/** The bundle's definitions, loaded once per process or thread. */
export function definitionsOf(bundle: DefinitionBundle): Promise<Definitions> {
  let defs = loaded.get(bundle.key);
  if (!defs) {
    defs = loadOrFail([...bundle.documents], { warn: () => undefined });
    if (loaded.size > 8) loaded.clear();
    loaded.set(bundle.key, defs);
  }
  return defs;
}

/** Runs one job: what every worker does. */
export async function runJob(job: ExecutionJobData): Promise<ExecutionOutcome> {
  const definitions = await definitionsOf(job.definitions);
  return executeScenario(definitions, job.scenario, job.index, job.pacing, job.answer);
}
