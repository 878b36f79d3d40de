/**
 * The fault search: executions of a scenario with faults injected, chosen by lineage (hypotheses.ts) or at random
 * (the baseline), until no hypothesis remains or the budget is spent. Pure of where executions run: it hands
 * jobs to a `RunBatch` (in process, on worker threads, on a queue) and reads their outcomes in job order, so the
 * same seed gives the same counterexamples wherever they ran. Batches and the window have a fixed size for the same
 * reason.
 *
 * Execution 0 runs the scenario as it is. The good outcome it shows sets what later executions are held to when the
 * scenario does not say: each plan's deadline (twice its fault-free time, at least ten minutes more, in whole
 * minutes) and the failed-request budget (twice the fault-free failures plus 0.01 % of all requests). Both are
 * written into every execution's scenario, and so into every replay file, which therefore reproduces the
 * execution exactly.
 */
import type { Fault, Scenario } from '../model/definitions.js';
import { formatDuration } from '../model/duration.js';
import { seededRandom } from '../model/random.js';
import { mapList, objectListOf } from '../model/shapes.js';
import { derivationsOf, type Derivations, type VocabularySpec } from './derivations.js';
import { LineageHypotheses } from './hypotheses.js';
import type { Lineage } from './lineage.js';
import { PROPERTY_NAMES, type PropertyName, type PropertyResult } from './properties.js';
import {
  buildVocabulary,
  KIND_TIER,
  KIND_TIERS,
  type Candidate,
  type SearchKind,
  type VocabularyBase,
} from './vocabulary.js';

export type Strategy = 'lineage' | 'random';

/** Executions handed out at once (the random strategy's batch), whatever runs them. */
export const BATCH = 8;

/** The lineage strategy's executions in flight at most: each is chosen knowing every outcome but the last WINDOW. */
export const WINDOW = 8;

/** One execution to run: the scenario with its faults (and the search's deadlines and budget) in place. */
export interface SearchJob {
  /** From 0, the fault-free run. */
  readonly index: number;
  readonly scenario: Scenario;
  /** The injected faults, as vocabulary keys (for progress and the report). */
  readonly keys: readonly string[];
  /** What the execution answers of its lineage (by default all of it: the fault-free run's). */
  readonly answer?: LineageAnswer;
}

/**
 * What an execution sends back of what it rested on: its whole lineage (the fault-free run), its derivations over
 * the search's vocabulary (the lineage strategy; computed where it ran, and only for a run that kept every
 * property, the only kind the search learns from), or nothing (the random strategy reads none). The outcome
 * crosses a thread or the network, so it carries only what the search reads.
 */
export type LineageAnswer =
  | { readonly kind: 'lineage' }
  | { readonly kind: 'derivations'; readonly vocabulary: VocabularySpec }
  | { readonly kind: 'none' };

/** What an execution showed. */
export interface ExecutionOutcome {
  readonly index: number;
  readonly violated: readonly PropertyName[];
  readonly properties: readonly PropertyResult[];
  /** With the `lineage` answer. */
  readonly lineage?: Lineage;
  /** With the `derivations` answer, when no property was violated. */
  readonly derivations?: Derivations;
  /** The fleet's names, the schedule's plans and their tasks, and the span of the plans (s from the start). */
  readonly base: VocabularyBase;
  /** Each scheduled plan: its state and how long it took (s), when it ran. */
  readonly plans: readonly { readonly plan: string; readonly state: string; readonly seconds: number | null }[];
  readonly failedRequests: number;
  readonly servedRequests: number;
}

/**
 * Runs jobs and answers their outcomes in job order. The search may call it again before an earlier call has
 * answered (one job at a time, as each is chosen): a pool runs what it is given as it has room.
 */
export type RunBatch = (jobs: readonly SearchJob[]) => Promise<readonly ExecutionOutcome[]>;

export interface SearchSettings {
  readonly strategy: Strategy;
  readonly maxFaults: number;
  /** Executions at most, the fault-free one included. */
  readonly budget: number;
  readonly seed: number;
  readonly kinds: readonly SearchKind[];
  /** Stops once this many counterexamples are found (benchmarks: executions to the first one). */
  readonly stopAfter?: number;
}

export interface Counterexample {
  readonly faults: readonly Fault[];
  readonly keys: readonly string[];
  readonly violated: readonly PropertyName[];
  readonly execution: number;
  /** The scenario that reproduces it: a replay file holds exactly this. */
  readonly scenario: Scenario;
}

export interface SearchResult {
  readonly strategy: Strategy;
  readonly executions: number;
  readonly certified: boolean;
  readonly maxFaults: number;
  readonly seed: number;
  readonly budget: number;
  readonly kinds: readonly SearchKind[];
  readonly vocabularySize: number;
  readonly windowSeconds: number;
  readonly counterexamples: readonly Counterexample[];
  /** The execution of the first counterexample (null when none was found). */
  readonly firstCounterexample: number | null;
}

export interface SearchProgress {
  readonly executions: number;
  readonly budget: number;
  readonly counterexamples: number;
  readonly last?: string;
}

/** A name no other scenario has: the base name and a short hash of what was injected. */
export function replayName(base: string, keys: readonly string[]): string {
  let h = 0x811c9dc5;
  for (const ch of keys.join('\n')) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return `${base}-faults-${h.toString(16).padStart(8, '0')}`;
}

/** What the fault-free run sets for later executions when the scenario does not (see the module comment). */
export interface Derived {
  readonly deadlines: Readonly<Record<string, string>>;
  readonly failedRequests: number | undefined;
}

export function deriveLimits(base: Scenario, zero: ExecutionOutcome): Derived {
  const deadlines: Record<string, string> = {};
  for (const entry of base.spec.run ?? []) {
    if (entry.deadline !== undefined) continue;
    const p = zero.plans.find((x) => x.plan === entry.plan);
    if (!p || p.state !== 'succeeded' || p.seconds === null) continue;
    const minutes = Math.ceil(Math.max(2 * p.seconds, p.seconds + 600) / 60);
    deadlines[entry.plan] = formatDuration(minutes * 60_000);
  }
  const failedRequests =
    base.spec.expect?.failedRequests === undefined
      ? Math.ceil(2 * zero.failedRequests + 0.0001 * (zero.failedRequests + zero.servedRequests))
      : undefined;
  return { deadlines, failedRequests };
}

/** The scenario of one execution: the base with the faults added, the derived limits, and a name of its own. */
export function executionScenario(
  base: Scenario,
  faults: readonly Fault[],
  keys: readonly string[],
  derived: Derived | undefined,
): Scenario {
  if (!derived) return base;
  // The scenario's lists in one kind of array, empty or not, however this runs (see mapList): the drill and the
  // properties read them in every execution.
  const run = mapList(base.spec.run ?? [], (e) =>
    derived.deadlines[e.plan] !== undefined ? { ...e, deadline: derived.deadlines[e.plan] } : e,
  );
  const all = objectListOf(base.spec.faults ?? []);
  for (const f of faults) all.push(f);
  const description =
    keys.length === 0
      ? `The fault-free run of ${base.metadata.name} under the fault search's limits.`
      : `${base.metadata.name} with ${keys.join('; ')} (a fault search counterexample).`;
  return {
    ...base,
    metadata: { ...base.metadata, name: replayName(base.metadata.name, keys), description },
    spec: {
      ...base.spec,
      faults: all,
      run,
      ...(derived.failedRequests !== undefined
        ? { expect: { ...base.spec.expect, failedRequests: derived.failedRequests } }
        : {}),
    },
  };
}

/** A permutation of 0..n-1 from the seed (Fisher–Yates). */
function shuffled(n: number, seed: number): number[] {
  const rng = seededRandom(seed);
  const out = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

export async function searchFaults(
  base: Scenario,
  settings: SearchSettings,
  run: RunBatch,
  onProgress: (p: SearchProgress) => void = () => undefined,
): Promise<SearchResult> {
  const counterexamples: Counterexample[] = [];
  let executions = 0;
  const progress = (last?: string): void => {
    onProgress({
      executions,
      budget: settings.budget,
      counterexamples: counterexamples.length,
      ...(last ? { last } : {}),
    });
  };
  progress('the fault-free run');
  const [zero] = await run([{ index: 0, scenario: base, keys: [] }]);
  if (!zero) throw new Error('the fault-free execution returned nothing');
  executions = 1;
  const derived = deriveLimits(base, zero);
  // Held to the derived limits, which the fault-free run meets by construction, only its other failures count.
  const zeroViolated = zero.violated.filter((p) => p !== 'failed-requests' || derived.failedRequests === undefined);
  const vocabulary = buildVocabulary(zero.base, settings.kinds);
  const done = (certified: boolean): SearchResult => ({
    strategy: settings.strategy,
    executions,
    certified,
    maxFaults: settings.maxFaults,
    seed: settings.seed,
    budget: settings.budget,
    kinds: vocabulary.kinds,
    vocabularySize: vocabulary.candidates.length,
    windowSeconds: vocabulary.windowSeconds,
    counterexamples,
    firstCounterexample: counterexamples[0]?.execution ?? null,
  });
  if (zeroViolated.length > 0) {
    counterexamples.push({
      faults: [],
      keys: [],
      violated: zeroViolated,
      execution: 0,
      scenario: executionScenario(base, [], [], derived),
    });
    progress();
    return done(false);
  }
  progress();
  const answer: LineageAnswer =
    settings.strategy === 'lineage'
      ? { kind: 'derivations', vocabulary: { base: zero.base, kinds: settings.kinds } }
      : { kind: 'none' };
  const jobOf = (index: number, ids: readonly number[]): SearchJob & { ids: readonly number[]; faults: Fault[] } => {
    const chosen = ids.map((id) => vocabulary.candidates[id]!);
    const faults = chosen.map((c) => c.fault);
    const keys = chosen.map((c) => c.key);
    return { index, ids, faults, keys, scenario: executionScenario(base, faults, keys, derived), answer };
  };
  const record = (job: ReturnType<typeof jobOf>, outcome: ExecutionOutcome): boolean => {
    if (outcome.violated.length === 0) return false;
    counterexamples.push({
      faults: job.faults,
      keys: job.keys,
      violated: outcome.violated,
      execution: job.index,
      scenario: job.scenario,
    });
    return true;
  };

  if (settings.strategy === 'random') {
    const rng = seededRandom(settings.seed);
    const tried = new Set<string>();
    const n = vocabulary.candidates.length;
    let misses = 0;
    while (executions < settings.budget && n > 0 && counterexamples.length < (settings.stopAfter ?? Infinity)) {
      const batch: ReturnType<typeof jobOf>[] = [];
      while (batch.length < Math.min(BATCH, settings.budget - executions) && misses < 10_000) {
        const k = 1 + Math.floor(rng() * Math.min(settings.maxFaults, n));
        const ids = new Set<number>();
        while (ids.size < k) ids.add(Math.floor(rng() * n));
        const sorted = [...ids].sort((a, b) => a - b);
        const key = sorted.join(',');
        const known = counterexamples.some((c) =>
          c.keys.every((k2) => sorted.some((id) => vocabulary.candidates[id]!.key === k2)),
        );
        if (tried.has(key) || known) {
          misses++;
          continue;
        }
        misses = 0;
        tried.add(key);
        batch.push(jobOf(executions + batch.length, sorted));
      }
      if (batch.length === 0) break;
      const outcomes = await run(batch);
      batch.forEach((job, i) => record(job, outcomes[i]!));
      executions += batch.length;
      progress(batch[batch.length - 1]!.keys.join(' + '));
    }
    return done(false);
  }

  const order = shuffled(vocabulary.candidates.length, settings.seed);
  const rank = new Map(order.map((id, r) => [id, r]));
  const hypotheses = new LineageHypotheses(
    settings.maxFaults,
    (id) => rank.get(id) ?? id,
    (id) => KIND_TIER[vocabulary.candidates[id]!.kind],
    KIND_TIERS,
  );
  const learn = (derivations: Derivations, except: ReadonlySet<number>): void => {
    for (const p of PROPERTY_NAMES)
      hypotheses.addDerivation(
        p,
        derivations[p].filter((id) => !except.has(id)),
      );
  };
  if (!zero.lineage) throw new Error('the fault-free execution returned no lineage');
  learn(derivationsOf(vocabulary, zero.lineage), new Set());
  // A window of WINDOW executions in flight, learnt from in job order: execution j's hypothesis is chosen once every
  // execution up to j - WINDOW has been learnt from (and none of those since, which are pending), whichever pool ran
  // them and however long each took; so the counterexamples are the same everywhere, and no worker waits for the
  // slowest execution of a batch before the next ones are chosen.
  const inFlight: { job: ReturnType<typeof jobOf>; outcome: Promise<ExecutionOutcome> }[] = [];
  const stopped = (): boolean => counterexamples.length >= (settings.stopAfter ?? Infinity);
  for (;;) {
    while (!stopped() && inFlight.length < WINDOW && executions + inFlight.length < settings.budget) {
      const ids = hypotheses.propose(inFlight.map((f) => f.job.ids));
      if (!ids) break;
      const job = jobOf(executions + inFlight.length, ids);
      const outcome = run([job]).then((o) => o[0]!);
      // A failed execution fails the search when its turn comes; until then its rejection is not left unhandled.
      outcome.catch(() => undefined);
      inFlight.push({ job, outcome });
    }
    const oldest = inFlight.shift();
    if (!oldest) break;
    const { job } = oldest;
    const outcome = await oldest.outcome;
    if (record(job, outcome)) hypotheses.blockSupersets(job.ids);
    else {
      // The runbook survived these faults: what it rested on this time is another derivation to break.
      const derivations =
        outcome.derivations ?? (outcome.lineage ? derivationsOf(vocabulary, outcome.lineage) : undefined);
      if (!derivations) throw new Error(`execution ${job.index} returned no derivations`);
      learn(derivations, new Set(job.ids));
      hypotheses.blockExactly(job.ids);
    }
    executions++;
    progress(job.keys.join(' + '));
  }
  return done(hypotheses.next(1).length === 0);
}

export type { Candidate };
