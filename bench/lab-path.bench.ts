/**
 * The lab's data path: the CPU it takes a request, by component, at a steady rate behind the real HAProxy — the
 * service process (every datacenter), HAProxy, and the load generator (wrk's process, or this one for autocannon,
 * which runs in process). On loopback each sender's CPU includes the kernel's delivery to the receiver. CPU time
 * says what a rate needs, where the rate reached on a shared machine says what it got: at T µs a request, R
 * requests/s need R × T / 10⁶ cores, and `maelstrom lab --rps 10000` wants the data path well under 200 µs on two
 * cores (the controllers, Prometheus and PostgreSQL need some too).
 * MAELSTROM_BENCH_RPS (default 6000) and MAELSTROM_BENCH_SECONDS (default 15) set the load; each generator
 * installed runs once (MAELSTROM_BENCH_GENERATORS=wrk,autocannon to choose).
 */
import { loadavg } from 'node:os';
import { startLab } from '../src/lab/environment.js';
import { processCpuSeconds } from '../src/lab/cpu.js';
import { rateBetween, startLoad, type LoadGeneratorName } from '../src/lab/load.js';
import { haveWrk } from '../src/lab/wrk.js';

const RPS = Number(process.env.MAELSTROM_BENCH_RPS ?? 6000);
const SECONDS = Number(process.env.MAELSTROM_BENCH_SECONDS ?? 15);
const WARM_MS = 3000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function measure(generator: LoadGeneratorName): Promise<Record<string, unknown>> {
  const env = await startLab({ datacenters: 3, rps: RPS });
  try {
    const load = startLoad(env.url, RPS, { generator });
    await sleep(WARM_MS);
    const pids = { services: env.pids.services, haproxy: env.pids.haproxy, generator: load.pid };
    const cpu = (): Record<keyof typeof pids, number> =>
      Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, processCpuSeconds(pid) ?? NaN])) as Record<
        keyof typeof pids,
        number
      >;
    const la0 = loadavg()[0]!;
    const [from, cpu0] = [load.mark(), cpu()];
    await sleep(SECONDS * 1000);
    const [to, cpu1] = [load.mark(), cpu()];
    const la1 = loadavg()[0]!;
    const result = await load.stop();
    const requests = to.responses - from.responses;
    const us = (k: keyof typeof pids): number => Math.round(((cpu1[k] - cpu0[k]) * 1e6) / requests);
    const perRequest = { services: us('services'), haproxy: us('haproxy'), generator: us('generator') };
    const total = perRequest.services + perRequest.haproxy + perRequest.generator;
    return {
      rps: rateBetween(from, to),
      requests,
      failedRequests: result.failedRequests,
      cpuMicrosecondsPerRequest: { ...perRequest, total },
      coresFor10000Rps: Math.round(total * 10_000) / 1e6,
      loadAverage1m: [Math.round(la0 * 10) / 10, Math.round(la1 * 10) / 10],
    };
  } finally {
    await env.stop();
  }
}

export async function bench(): Promise<Record<string, unknown>> {
  const wanted = (process.env.MAELSTROM_BENCH_GENERATORS ?? 'wrk,autocannon').split(',');
  const out: Record<string, unknown> = { targetRps: RPS, seconds: SECONDS };
  for (const g of ['wrk', 'autocannon'] as const) {
    if (!wanted.includes(g)) continue;
    if (g === 'wrk' && !haveWrk()) out[g] = 'not installed';
    else out[g] = await measure(g);
  }
  return out;
}
