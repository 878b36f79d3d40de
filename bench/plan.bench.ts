/**
 * Planning a generated fleet of 1,000 services over 8 datacenters: CPU time to compile the drain and the restore
 * plan (runbook rules, parameter binding, cross-service order, HCCs, waves, pre-flight check, critical path).
 * Target: well under 1 s of CPU per plan. Run alone with `npx tsx bench/plan.bench.ts`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadDefinitions } from '../src/load/load.js';
import { compilePlan } from '../src/plan/index.js';
import { generateFleetYaml } from './generate-fleet.js';

const SERVICES = 1000;
const DATACENTERS = 8;
const RUNS = 7;

function cpuMs(f: () => void): number {
  const start = process.cpuUsage();
  f();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const round = (x: number): number => Math.round(x * 10) / 10;

export async function bench(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'maelstrom-plan-bench-'));
  try {
    const file = join(dir, 'fleet.yaml');
    writeFileSync(file, generateFleetYaml({ services: SERVICES, datacenters: DATACENTERS }));
    const { definitions, diagnostics } = await loadDefinitions([file]);
    const errors = diagnostics.filter((d) => d.severity === 'error');
    if (errors.length > 0) throw new Error(`the generated fleet does not load: ${errors[0]!.message}`);
    const figures: Record<string, unknown> = { services: SERVICES, datacenters: DATACENTERS, runs: RUNS };
    for (const name of ['evacuate-dc0', 'restore-dc0']) {
      let compiled = compilePlan(definitions, name); // warm-up, and the figures of the plan
      const times: number[] = [];
      for (let i = 0; i < RUNS; i++)
        times.push(
          cpuMs(() => {
            compiled = compilePlan(definitions, name);
          }),
        );
      figures[name] = {
        tasks: compiled.tasks.length,
        dependencies: compiled.tasks.reduce((s, t) => s + t.after.length, 0),
        waves: compiled.waves.length,
        hccs: compiled.hccs.length,
        criticalPathTasks: compiled.criticalPath.length,
        estimateMinutes: round(compiled.estimateMs / 60_000),
        preflightOk: compiled.preflight.ok,
        // The generated fleet is sized for the load its call graph delivers, so this should be 0.
        preflightFailures: compiled.preflight.services.filter((s) => !s.ok).length,
        cpuMsMedian: round(median(times)),
        cpuMsMax: round(Math.max(...times)),
      };
    }
    return { plan: figures };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  bench().then(
    (r) => {
      process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
    },
    (e: unknown) => {
      process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
