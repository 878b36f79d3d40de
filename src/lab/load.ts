/**
 * The lab's load generator at a fixed overall rate until stopped: `wrk` in a process of its own when it is installed
 * (src/lab/wrk.ts), autocannon in the lab's own process otherwise. Failed requests are those that got no 2xx answer:
 * connection errors, timeouts and error statuses.
 *
 * wrk costs the lab less CPU: at 6,000 requests/s on two cores, about 30 µs a request against autocannon's 45 (CPU
 * time of the generator's process, which on loopback includes the kernel's delivery of each request to HAProxy).
 *
 * autocannon splits the rate among its connections, and each connection sends its share of a second one request
 * after another, so a connection must answer within connections ÷ rate seconds (10 ms for 100 connections at
 * 10,000 requests/s). More connections do not help once the lab is short of CPU: at 10,000 asked on a busy machine,
 * 400 connections carried 5,604 requests/s at a median latency of 62 ms, 100 connections 6,375 at 14 ms. So one
 * connection per CONNECTION_RPS requests a second, 10 to 100.
 */
import autocannon from 'autocannon';
import type { LoadGenerator, LoadGeneratorName, LoadMark, LoadResult } from './generator.js';
import { haveWrk, startWrk } from './wrk.js';

export type { LoadGenerator, LoadGeneratorName, LoadMark, LoadResult } from './generator.js';

/** Requests a second each connection carries, below the cap (see the module comment). */
export const CONNECTION_RPS = 10;

/** The connections for a rate: one per CONNECTION_RPS, between 10 and 100. */
export function connectionsFor(rps: number): number {
  return Math.min(100, Math.max(10, Math.ceil(rps / CONNECTION_RPS)));
}

/** The rate answered between two marks, requests a second (null when they are not apart). */
export function rateBetween(from: LoadMark, to: LoadMark): number | null {
  const ms = to.atMs - from.atMs;
  return ms > 0 ? Math.round(((to.responses - from.responses) * 1000) / ms) : null;
}

export interface LoadOptions {
  readonly connections?: number;
  readonly maxSeconds?: number;
  /** The generator to use; by default wrk when installed, else autocannon. */
  readonly generator?: LoadGeneratorName;
}

/** The generator startLoad uses by default here: wrk when installed, else autocannon. */
export const defaultGenerator = (): LoadGeneratorName => (haveWrk() ? 'wrk' : 'autocannon');

export function startLoad(url: string, rps: number, options: LoadOptions = {}): LoadGenerator {
  const connections = options.connections ?? connectionsFor(rps);
  const generator = options.generator ?? defaultGenerator();
  return generator === 'wrk'
    ? startWrk(url, rps, {
        // Paced by its schedule, wrk's spare connections wait idle: twice autocannon's let an answer take 20 ms at
        // 10,000 requests/s (a drain's shift, a controller starting) before the rate falls short of the rate asked.
        connections: options.connections ?? 2 * connections,
        ...(options.maxSeconds !== undefined ? { maxSeconds: options.maxSeconds } : {}),
      })
    : startAutocannon(url, rps, {
        connections,
        ...(options.maxSeconds !== undefined ? { maxSeconds: options.maxSeconds } : {}),
      });
}

function startAutocannon(
  url: string,
  rps: number,
  options: { readonly connections: number; readonly maxSeconds?: number },
): LoadGenerator {
  let failed = 0;
  let total = 0;
  const { connections } = options;
  let resolveDone: (r: LoadResult) => void = () => undefined;
  const done = new Promise<LoadResult>((resolve) => {
    resolveDone = resolve;
  });
  const instance = autocannon(
    { url, connections, overallRate: rps, duration: options.maxSeconds ?? 3600, timeout: 5 },
    (err, r) => {
      if (err) {
        resolveDone({
          generator: 'autocannon',
          requests: total,
          failedRequests: failed,
          non2xx: 0,
          errors: failed,
          timeouts: 0,
          seconds: 0,
          averageRps: 0,
        });
        return;
      }
      resolveDone({
        generator: 'autocannon',
        requests: r.requests.total,
        failedRequests: r.errors + r.non2xx,
        non2xx: r.non2xx,
        errors: r.errors,
        timeouts: r.timeouts,
        seconds: r.duration,
        averageRps: r.requests.average,
      });
    },
  );
  instance.on('response', (_client: unknown, status: number) => {
    total += 1;
    if (status < 200 || status >= 300) failed += 1;
  });
  instance.on('reqError', () => {
    failed += 1;
  });
  return {
    generator: 'autocannon',
    pid: process.pid,
    failedSoFar: () => failed,
    requestsSoFar: () => total,
    mark: () => ({ atMs: Date.now(), responses: total }),
    stop() {
      instance.stop();
      return done;
    },
  };
}
