/**
 * The lab's load generator: autocannon at a fixed overall rate until stopped. Failed requests are those that got
 * no 2xx answer: connection errors, timeouts and error statuses.
 */
import autocannon from 'autocannon';

export interface LoadResult {
  readonly requests: number;
  readonly failedRequests: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly seconds: number;
  readonly averageRps: number;
}

export interface LoadGenerator {
  /** Responses answered so far with a non-2xx status, or not at all. */
  failedSoFar(): number;
  requestsSoFar(): number;
  stop(): Promise<LoadResult>;
}

export function startLoad(
  url: string,
  rps: number,
  options: { connections?: number; maxSeconds?: number } = {},
): LoadGenerator {
  let failed = 0;
  let total = 0;
  const connections = options.connections ?? Math.min(100, Math.max(10, Math.round(rps / 10)));
  let resolveDone: (r: LoadResult) => void = () => undefined;
  const done = new Promise<LoadResult>((resolve) => {
    resolveDone = resolve;
  });
  const instance = autocannon(
    { url, connections, overallRate: rps, duration: options.maxSeconds ?? 3600, timeout: 5 },
    (err, r) => {
      if (err) {
        resolveDone({
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
    failedSoFar: () => failed,
    requestsSoFar: () => total,
    stop() {
      instance.stop();
      return done;
    },
  };
}
