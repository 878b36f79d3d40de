/**
 * The fault search end to end on the small fixture: the injected faults do what the scenario says, a small search
 * finds known counterexamples whose replay files reproduce them, and the same search gives the same counterexamples
 * in process, on worker threads and on a real Redis queue served by two `maelstrom worker` processes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDrainTest } from '../src/drill/drain-test.js';
import { withScenario } from '../src/drill/execution.js';
import { runDrill } from '../src/drill/runner.js';
import { searchFaults, type SearchResult, type SearchSettings } from '../src/faults/search.js';
import { loadOrFail } from '../src/load/check.js';
import type { Definitions, Fault, Scenario } from '../src/model/definitions.js';
import { createInProcessPool, type ExecutionPool } from '../src/search/pool.js';
import { createQueuePool } from '../src/search/queue.js';
import { createThreadPool } from '../src/search/threads.js';
import { startRedis, type RunningRedis } from './integration/redis.js';

const FIXTURE = new URL('./fixtures/small', import.meta.url).pathname;
let definitions: Definitions;
let base: Scenario;

beforeAll(async () => {
  definitions = await loadOrFail([FIXTURE]);
  base = definitions.scenarios.get('small-drain')!;
});

const withFaults = (faults: Fault[]): Scenario => ({
  ...base,
  metadata: { name: 'small-drain-faulted' },
  spec: { ...base.spec, faults },
});

async function drill(faults: Fault[]) {
  const scenario = withFaults(faults);
  return runDrill({ definitions: withScenario(definitions, scenario), scenario: scenario.metadata.name });
}

describe('injected faults', () => {
  it('a stage-fail fails the named task when its stage runs in the window, and the run does not succeed', async () => {
    const r = await drill([{ at: '5m', kind: 'stage-fail', plan: 'evacuate-east', task: 'web/edge', duration: '2m' }]);
    expect(r.runs[0]?.view?.tasks.find((t) => t.id === 'web/edge')?.state).toBe('failed');
    expect(r.events.some((e) => e.type === 'stage.end' && e.taskId === 'web/edge' && e.outcome === 'failure')).toBe(
      true,
    );
  });

  it('a stage-hang stalls the stage for its window, after which the task carries on and succeeds', async () => {
    const clean = await drill([]);
    const hung = await drill([
      { at: '5m', kind: 'stage-hang', plan: 'evacuate-east', task: 'web/edge', duration: '10m' },
    ]);
    const took = (r: typeof clean) => {
      const t = r.runs[0]!.view!.tasks.find((x) => x.id === 'web/edge')!;
      return t.finishedAt! - t.startedAt!;
    };
    expect(hung.runs[0]?.view?.state).toBe('succeeded');
    expect(took(hung)).toBeGreaterThan(took(clean) + 9 * 60_000);
  });

  it('a controller-crash kills the engine mid-drain; restarted from the store it finishes without repeating a stage', async () => {
    const r = await drill([{ at: '6m', kind: 'controller-crash', duration: '1m' }]);
    expect(r.runs.map((x) => x.view?.state)).toEqual(['succeeded', 'succeeded']);
    const resumed = r.events.filter((e) => e.type === 'stage.start' && e.detail?.endsWith('(resumed)'));
    expect(resumed.length).toBeGreaterThan(0);
    // Nothing was sent while the controller was down.
    const down = [Date.parse(base.spec.start) + 6 * 60_000, Date.parse(base.spec.start) + 7 * 60_000];
    expect(r.journal?.filter((a) => a.time > down[0]! && a.time < down[1]!)).toEqual([]);
  });

  it('a run past its deadline is aborted by the drill', async () => {
    const scenario = {
      ...base,
      metadata: { name: 'small-deadline' },
      spec: { ...base.spec, run: [{ at: '5m', plan: 'evacuate-east', deadline: '1m' }] },
    };
    const r = await runDrill({ definitions: withScenario(definitions, scenario), scenario: 'small-deadline' });
    expect(r.runs[0]?.view?.state).toBe('aborted');
  });
});

const settings: SearchSettings = {
  strategy: 'lineage',
  maxFaults: 1,
  budget: 8,
  seed: 1,
  kinds: ['propagation-slow', 'stage-fail', 'controller-crash'],
};
const summary = (r: SearchResult) =>
  r.counterexamples.map((c) => [c.execution, c.keys.join(' + '), c.violated.join(',')]);

async function search(pool: ExecutionPool): Promise<SearchResult> {
  try {
    return await searchFaults(base, settings, pool.run);
  } finally {
    await pool.close();
  }
}

describe('fault search', () => {
  let inProcess: SearchResult;
  let redis: RunningRedis | undefined;
  const workers: ChildProcess[] = [];

  beforeAll(async () => {
    inProcess = await search(createInProcessPool({ definitions }));
  }, 120_000);
  afterAll(async () => {
    for (const w of workers) w.kill('SIGTERM');
    await Promise.all(workers.map((w) => new Promise((r) => (w.exitCode !== null ? r(0) : w.once('exit', r)))));
    await redis?.stop();
  });

  it('finds stage failures that break the schedule, smallest first, each with a scenario that replays it', async () => {
    expect(inProcess.executions).toBe(8);
    expect(inProcess.counterexamples.length).toBeGreaterThan(0);
    for (const c of inProcess.counterexamples) {
      expect(c.faults).toHaveLength(1);
      expect(c.execution).toBeGreaterThan(0);
    }
    expect(summary(inProcess)).toContainEqual([
      1,
      'stage-fail evacuate-east:web/edge @5m',
      'plans-succeeded,datacenter-drained',
    ]);
  });

  it('a replay file reproduces its counterexample exactly with drain-test NAME -f PATH -f REPLAY', async () => {
    const c = inProcess.counterexamples[0]!;
    const dir = mkdtempSync(join(tmpdir(), 'maelstrom-replay-'));
    const file = join(dir, `${c.scenario.metadata.name}.yaml`);
    writeFileSync(file, stringify(c.scenario));
    const defs = await loadOrFail([FIXTURE, file]);
    const [report] = await runDrainTest({
      definitions: defs,
      scenario: c.scenario.metadata.name,
      pacers: [],
      whatIfs: 0,
    });
    expect(report?.violations).toEqual(c.violated);
  });

  it('gives the same counterexamples on worker threads', async () => {
    const threads = await search(createThreadPool({ definitions, workers: 2 }));
    expect(summary(threads)).toEqual(summary(inProcess));
  });

  it('gives the same counterexamples on a Redis queue served by two maelstrom worker processes', async () => {
    redis = await startRedis();
    // One takes two jobs at once, each on a worker thread of its own; the other one at a time, on its main thread.
    for (const concurrency of ['2', '1']) {
      const args = ['--import', 'tsx', 'bin/dev.ts', 'worker', '--queue', redis.url, '--concurrency', concurrency];
      const w = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      workers.push(w);
      await new Promise<void>((resolve, reject) => {
        w.stdout.on('data', (d: Buffer) => {
          if (d.toString().includes('serving')) resolve();
        });
        w.once('exit', (code) => reject(new Error(`worker exited ${code}`)));
      });
    }
    const queued = await search(createQueuePool({ definitions, url: redis.url }));
    expect(summary(queued)).toEqual(summary(inProcess));
    // Two processes start under tsx before the search: room for a busy machine.
  }, 180_000);
});
