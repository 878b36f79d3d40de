/**
 * Loading and linting a generated fleet of 1,000 services over 8 datacenters (with the reference templates and
 * runbooks and a drain and restore plan): wall time and CPU time, cold (first run in the process) and warm.
 * Run alone with `npx tsx bench/validate.bench.ts`; prints JSON.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadAndLint } from '../src/load/check.js';
import { generateFleetYaml } from './generate-fleet.js';

const SERVICES = 1000;
const DATACENTERS = 8;
const WARM_RUNS = 5;

async function timed(run: () => Promise<unknown>): Promise<{ wallMs: number; cpuMs: number }> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  await run();
  const used = process.cpuUsage(cpu);
  return { wallMs: performance.now() - start, cpuMs: (used.user + used.system) / 1000 };
}

const round = (x: number): number => Math.round(x * 10) / 10;

export async function bench(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'maelstrom-bench-'));
  try {
    const file = join(dir, 'fleet.yaml');
    const yaml = generateFleetYaml({ services: SERVICES, datacenters: DATACENTERS, seed: 1 });
    writeFileSync(file, yaml);
    let diagnostics = 0;
    const cold = await timed(async () => {
      diagnostics = (await loadAndLint([file])).diagnostics.length;
    });
    const warm: { wallMs: number; cpuMs: number }[] = [];
    for (let i = 0; i < WARM_RUNS; i++) warm.push(await timed(() => loadAndLint([file])));
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
    return {
      name: 'validate',
      services: SERVICES,
      datacenters: DATACENTERS,
      yamlBytes: yaml.length,
      diagnostics,
      coldWallMs: round(cold.wallMs),
      coldCpuMs: round(cold.cpuMs),
      warmWallMsMedian: round(median(warm.map((w) => w.wallMs))),
      warmCpuMsMedian: round(median(warm.map((w) => w.cpuMs))),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.stdout.write(`${JSON.stringify(await bench(), null, 2)}\n`);
}
