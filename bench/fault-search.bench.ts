/**
 * The fault search's figures: executions to the first counterexample, lineage against random (the mean of five
 * random seeds), summed over drain-test-east, fibre-cut-east and a generated five-datacenter fleet; the wall time of
 * 200 executions of drain-test-east on two worker threads; and the speed-up from one worker to two, on pools whose
 * threads have each run the fault-free execution once (started, code loaded and compiled, definitions loaded). The
 * machine's load average is reported beside them, since it is shared, and so is the CPU time, which depends on it
 * much less, split by thread (Linux): the search's own thread, the workers, and the rest (V8's compiler and garbage
 * collector threads, libuv's).
 * FAULT_BENCH_PARTS=first|throughput and FAULT_BENCH_TARGETS=label,… measure only some of the figures;
 * FAULT_BENCH_SPEEDUP_EXECUTIONS (40) and FAULT_BENCH_REPEAT (1) size the speed-up figure; the warm speed-up
 * (`warmSpeedUp`: the steady pace, once each worker has run FAULT_BENCH_WARM_EXECUTIONS (40) executions, over
 * FAULT_BENCH_WARM_MEASURED (100); 0 skips it); FAULT_BENCH_EXECUTIONS (200) sizes the whole search, run on the pools
 * FAULT_BENCH_THROUGHPUT_WORKERS names (2; `1,2`: the speed-up over it). The throughput figures run the compiled build
 * (built first), FAULT_BENCH_CODE=source the TypeScript source (see `searchCode`). The speed-up per core
 * (`perCoreSpeedUp`, FAULT_BENCH_CORE_TRIALS (3) trials of the whole search; 0 skips it): one worker confined to one
 * core against one worker per core (bench/fault-search-cores.ts); the speed-up per host (`perHostSpeedUp`,
 * FAULT_BENCH_HOST_TRIALS (3)): the same on a Redis queue, one `maelstrom worker` process against one per core, each
 * on a core of its own (bench/fault-search-hosts.ts). Both again on warm workers (`perCoreWarmSpeedUp`,
 * `perHostWarmSpeedUp`: each worker has run FAULT_BENCH_PINNED_WARM (60; 0 skips them) executions of another search
 * first, as a long-running `maelstrom worker` has), which separates the steady pace from the one warm-up that each new
 * worker pays.
 */
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { searchFaults, type SearchSettings, type Strategy } from '../src/faults/search.js';
import { SEARCH_KINDS } from '../src/faults/vocabulary.js';
import { loadOrFail } from '../src/load/check.js';
import type { DefinitionDocument } from '../src/model/define.js';
import type { Definitions } from '../src/model/definitions.js';
import { createThreadPool } from '../src/search/threads.js';
import { coreScaling } from './fault-search-cores.js';
import { hostScaling } from './fault-search-hosts.js';
import { note, seconds, throughput } from './fault-search-throughput.js';
import { generateFleetDocuments } from './generate-fleet.js';

const examples = fileURLToPath(new URL('../examples', import.meta.url));
/** Executions at most in the search for a first counterexample (a search that finds none counts as this many). */
const FIRST_BUDGET = Number(process.env.FAULT_BENCH_FIRST_BUDGET ?? 80);
const THROUGHPUT = Number(process.env.FAULT_BENCH_EXECUTIONS ?? 200);
const WORKERS = 2;
/**
 * The pools the whole search runs on (comma-separated worker counts; default 2). `1,2` measures the speed-up over
 * the whole search too, one worker against two, as the compiler's share fades.
 */
const THROUGHPUT_WORKERS = (process.env.FAULT_BENCH_THROUGHPUT_WORKERS ?? String(WORKERS)).split(',').map(Number);
const SPEEDUP = Number(process.env.FAULT_BENCH_SPEEDUP_EXECUTIONS ?? 40);
const REPEAT = Number(process.env.FAULT_BENCH_REPEAT ?? 1);
/** The warm speed-up: executions each worker runs before the measure (0: none), then executions measured. */
const WARM = Number(process.env.FAULT_BENCH_WARM_EXECUTIONS ?? 40);
const WARM_MEASURED = Number(process.env.FAULT_BENCH_WARM_MEASURED ?? 100);
/** Trials of the speed-up per core (`perCoreSpeedUp`, bench/fault-search-cores.ts), each on THROUGHPUT executions. */
const CORE_TRIALS = Number(process.env.FAULT_BENCH_CORE_TRIALS ?? 3);
/** Trials of the speed-up per host on the queue (`perHostSpeedUp`, bench/fault-search-hosts.ts). */
const HOST_TRIALS = Number(process.env.FAULT_BENCH_HOST_TRIALS ?? 3);
/** Executions each worker runs before the warm per-core and per-host figures (0 skips them). */
const PINNED_WARM = Number(process.env.FAULT_BENCH_PINNED_WARM ?? 60);
/** Which figures to measure (comma-separated; default all): first, throughput. */
const PARTS = new Set((process.env.FAULT_BENCH_PARTS ?? 'first,throughput').split(','));
/** Which targets of the first-counterexample figure (comma-separated labels; default all three). */
const TARGETS = process.env.FAULT_BENCH_TARGETS?.split(',');

async function generated(): Promise<Definitions> {
  const docs = generateFleetDocuments({ services: 12, datacenters: 5 }) as DefinitionDocument[];
  const scenario = {
    apiVersion: 'maelstrom/v1',
    kind: 'Scenario',
    metadata: { name: 'drain-test-dc0' },
    spec: {
      fleet: 'generated',
      seed: 5,
      // In the afternoon: at the evening peak the fault-free drain of this fleet already overloads a receiver
      // (svc-0010 in dc4), which leaves nothing to search for (both strategies stop at execution 0).
      start: '2026-03-02T14:00:00Z',
      duration: '6h',
      load: { curve: 'diurnal', peak: '20:00', trough: 0.45, noise: 0.02 },
      run: [{ at: '5m', plan: 'evacuate-dc0' }],
    },
  } as DefinitionDocument;
  return loadOrFail([...docs, scenario], { warn: () => undefined });
}

async function firstCounterexample(definitions: Definitions, scenario: string, strategy: Strategy, seed: number) {
  const pool = createThreadPool({ definitions, workers: WORKERS });
  const settings: SearchSettings = {
    strategy,
    maxFaults: 2,
    budget: FIRST_BUDGET,
    seed,
    kinds: SEARCH_KINDS,
    stopAfter: 1,
  };
  try {
    const r = await searchFaults(definitions.scenarios.get(scenario)!, settings, pool.run);
    const out = {
      first: r.firstCounterexample ?? FIRST_BUDGET,
      found: r.firstCounterexample !== null,
      faults: r.counterexamples[0]?.keys ?? [],
      violated: r.counterexamples[0]?.violated ?? [],
    };
    note(`${scenario} ${strategy} seed ${seed}: ${JSON.stringify(out)}`);
    return out;
  } finally {
    await pool.close();
  }
}

/** Seconds to one decimal. */
/** One worker against two, REPEAT times alternately (which spreads the machine's other load over both). */
async function speedUpTrials(definitions: Definitions, executions: number, warm: number) {
  const trials = [];
  for (let i = 0; i < REPEAT; i++) {
    const one = await throughput(definitions, executions, 1, warm);
    const two = await throughput(definitions, executions, 2, warm);
    const trial = {
      oneWorker: one,
      twoWorkers: two,
      speedUp: Math.round((one.seconds / two.seconds) * 100) / 100,
      cpuRatio: Math.round((two.cpuSeconds / one.cpuSeconds) * 100) / 100,
      ...expectedSpeedUp(one),
    };
    note(
      `speed-up${warm > 0 ? ' (warm)' : ''} ${trial.speedUp} (one worker ${one.seconds} s, two ${two.seconds} s; ` +
        `CPU per execution ${one.cpuMsPerExecution} and ${two.cpuMsPerExecution} ms; on two idle cores ≈ ` +
        `${trial.expectedOnIdleCores})`,
    );
    trials.push(trial);
  }
  const sorted = trials.map((t) => t.speedUp).sort((a, b) => a - b);
  return {
    executions,
    ...(warm > 0 ? { warmedWith: warm } : {}),
    median: sorted[Math.floor(sorted.length / 2)],
    trials,
  };
}

/**
 * What the CPU times say two workers would gain on two idle cores, whatever the machine's load did to the wall
 * times: one worker keeps `coresPerWorker` busy (its own thread, plus the search's and V8's compiler and collector
 * threads beside it, which an idle machine runs on the other core), so two on two cores run `2 / coresPerWorker`
 * times as many executions at once, at most 2. From the one-worker run alone: on a loaded machine the two-worker
 * run's CPU grows with the contention (`cpuRatio` shows it), which says nothing of the code.
 */
function expectedSpeedUp(one: { cpuSeconds: number; cpuSecondsByThread?: { workers: number[] } }): {
  coresPerWorker?: number;
  expectedOnIdleCores?: number;
} {
  const worker = one.cpuSecondsByThread?.workers[0];
  if (!worker) return {};
  const coresPerWorker = one.cpuSeconds / worker;
  return {
    coresPerWorker: Math.round(coresPerWorker * 100) / 100,
    expectedOnIdleCores: Math.round(Math.min(2, 2 / coresPerWorker) * 100) / 100,
  };
}

export async function bench(): Promise<Record<string, unknown>> {
  const load = [loadavg()[0]!];
  const reference = await loadOrFail([examples], { warn: () => undefined });
  const targets: [string, Definitions, string][] = [
    ['drain-test-east', reference, 'drain-test-east'],
    ['fibre-cut-east', reference, 'fibre-cut-east'],
    ['generated-5dc', await generated(), 'drain-test-dc0'],
  ];
  const perScenario: Record<string, unknown> = {};
  let lineageSum = 0;
  let randomSum = 0;
  const first = () => ({
    perScenario,
    lineageSum,
    randomMeanSum: randomSum,
    ratio: lineageSum > 0 ? Math.round((randomSum / lineageSum) * 10) / 10 : null,
    note: `random searches that found none within ${FIRST_BUDGET} executions count as ${FIRST_BUDGET}`,
  });
  for (const [label, defs, scenario] of targets) {
    if (!PARTS.has('first') || (TARGETS && !TARGETS.includes(label))) continue;
    const lineage = await firstCounterexample(defs, scenario, 'lineage', 1);
    const random = [];
    for (let seed = 1; seed <= 5; seed++) random.push(await firstCounterexample(defs, scenario, 'random', seed));
    const randomMean = random.reduce((a, r) => a + r.first, 0) / random.length;
    lineageSum += lineage.first;
    randomSum += randomMean;
    perScenario[label] = { lineage, randomMean, random: random.map((r) => r.first) };
    load.push(loadavg()[0]!);
  }
  if (!PARTS.has('throughput'))
    return { firstCounterexample: first(), loadAverage1m: load.map((l) => Math.round(l * 10) / 10) };
  const trials = await speedUpTrials(reference, SPEEDUP, 0);
  const warmTrials = WARM > 0 && WARM_MEASURED > 0 ? await speedUpTrials(reference, WARM_MEASURED, WARM) : undefined;
  load.push(loadavg()[0]!);
  const whole = [];
  if (THROUGHPUT > 0) for (const w of THROUGHPUT_WORKERS) whole.push(await throughput(reference, THROUGHPUT, w));
  const perCore = CORE_TRIALS > 0 && THROUGHPUT > 0 ? await coreScaling(THROUGHPUT, CORE_TRIALS) : undefined;
  const perHost = HOST_TRIALS > 0 && THROUGHPUT > 0 ? await hostScaling(reference, THROUGHPUT, HOST_TRIALS) : undefined;
  const warmPinned = PINNED_WARM > 0 && THROUGHPUT > 0;
  const perCoreWarm =
    warmPinned && CORE_TRIALS > 0 ? await coreScaling(THROUGHPUT, CORE_TRIALS, PINNED_WARM) : undefined;
  const perHostWarm =
    warmPinned && HOST_TRIALS > 0 ? await hostScaling(reference, THROUGHPUT, HOST_TRIALS, PINNED_WARM) : undefined;
  load.push(loadavg()[0]!);
  const big = whole.find((r) => r.workers === WORKERS) ?? whole[whole.length - 1];
  const one = whole.find((r) => r.workers === 1);
  load.push(loadavg()[0]!);
  return {
    firstCounterexample: first(),
    ...(big
      ? {
          throughput: {
            ...big,
            goalSeconds: 180,
            // What an idle machine would take: the CPU seconds shared by the workers' cores.
            projectedIdleSeconds: seconds((big.cpuSeconds * 1000) / WORKERS),
          },
        }
      : {}),
    ...(one && big && one !== big
      ? {
          wholeSearchSpeedUp: {
            executions: THROUGHPUT,
            oneWorker: one,
            speedUp: Math.round((one.seconds / big.seconds) * 100) / 100,
            cpuRatio: Math.round((big.cpuSeconds / one.cpuSeconds) * 100) / 100,
            ...expectedSpeedUp(one),
          },
        }
      : {}),
    ...(perCore ? { perCoreSpeedUp: perCore } : {}),
    ...(perHost ? { perHostSpeedUp: perHost } : {}),
    ...(perCoreWarm ? { perCoreWarmSpeedUp: perCoreWarm } : {}),
    ...(perHostWarm ? { perHostWarmSpeedUp: perHostWarm } : {}),
    speedUp: trials,
    ...(warmTrials ? { warmSpeedUp: warmTrials } : {}),
    loadAverage1m: load.map((l) => Math.round(l * 10) / 10),
    cores: (await import('node:os')).availableParallelism(),
  };
}
