/**
 * Simulator speed: simulated seconds per wall-clock second, and memory, for
 * - the reference fleet (examples/), 24 hours at 1-second resolution (target ≥ 20,000× real time);
 * - a generated 1,000-service × 8-datacenter fleet, 1 hour at 1-second resolution (target ≥ 200×).
 * Single-threaded (one core): `realTimeRatio` is by wall time, `cpuRealTimeRatio` by this process's CPU time (the
 * figure to trust on a busy machine). Time series are recorded at the default 10-second resolution in both runs.
 */
import { pathToFileURL } from 'node:url';
import { loadDefinitions } from '../src/load/load.js';
import { Fleet, type Scenario } from '../src/model/definitions.js';
import { createSimulation } from '../src/sim/simulation.js';
import { generateFleetDocuments } from './generate-fleet.js';

const round = (x: number, digits = 1): number => Math.round(x * 10 ** digits) / 10 ** digits;
const mb = (bytes: number): number => round(bytes / 1_048_576);

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function measure(
  fleet: Fleet,
  scenario: Scenario | undefined,
  simulatedMs: number,
  target: number,
): Record<string, unknown> {
  gc();
  const before = process.memoryUsage();
  const setupStart = performance.now();
  const sim = createSimulation({ fleet, ...(scenario ? { scenario } : {}) });
  const setupMs = performance.now() - setupStart;
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  // Step in one-minute slices, as a caller driving it on a virtual clock would.
  for (let t = sim.startMs + 60_000; t <= sim.startMs + simulatedMs; t += 60_000) sim.advanceTo(t);
  const wallMs = performance.now() - start;
  const cpu = process.cpuUsage(cpuStart);
  // CPU time of this process: what one core spent, unaffected by other programs competing for the machine.
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const after = process.memoryUsage();
  const ratio = simulatedMs / wallMs;
  const c = sim.counters();
  return {
    services: fleet.spec.services.length,
    datacenters: fleet.spec.datacenters.length,
    clusters: fleet.spec.datacenters.reduce((n, d) => n + d.clusters.length, 0),
    simulatedHours: simulatedMs / 3_600_000,
    ticks: simulatedMs / sim.tickMs,
    setupMs: round(setupMs),
    wallMs: round(wallMs),
    realTimeRatio: Math.round(ratio),
    cpuMs: round(cpuMs),
    cpuRealTimeRatio: Math.round(simulatedMs / cpuMs),
    target,
    meetsTarget: ratio >= target,
    microsecondsPerTick: round((wallMs * 1000) / (simulatedMs / sim.tickMs), 2),
    seriesMB: mb(sim.seriesBytes()),
    heapGrowthMB: mb(after.heapUsed - before.heapUsed),
    arrayBuffersGrowthMB: mb(after.arrayBuffers - before.arrayBuffers),
    rssMB: mb(after.rss),
    servedRequests: Math.round(c.servedRequests),
    failedRequests: Math.round(c.failedRequests),
  };
}

export async function bench(): Promise<Record<string, unknown>> {
  const { definitions } = await loadDefinitions([new URL('../examples', import.meta.url).pathname]);
  const reference = definitions.fleets.get('example');
  const scenario = definitions.scenarios.get('drain-test-east');
  if (!reference || !scenario) throw new Error('the reference fleet and scenario are missing from examples/');
  const large = Fleet.parse(generateFleetDocuments({ services: 1000, datacenters: 8 })[0]);
  return {
    sim: {
      reference24h: measure(reference, scenario, 24 * 3_600_000, 20_000),
      large1h: measure(large, undefined, 3_600_000, 200),
    },
  };
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
