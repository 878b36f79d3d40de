/** What the lab's load generators (src/lab/load.ts: autocannon; src/lab/wrk.ts) have in common. */

/** Which program made the load. */
export type LoadGeneratorName = 'wrk' | 'autocannon';

export interface LoadResult {
  readonly generator: LoadGeneratorName;
  readonly requests: number;
  readonly failedRequests: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly seconds: number;
  /** The generator's mean rate over the whole load, its first seconds (the ramp) included. */
  readonly averageRps: number;
}

/** A mark of the load: the responses answered by then. */
export interface LoadMark {
  readonly atMs: number;
  readonly responses: number;
}

export interface LoadGenerator {
  readonly generator: LoadGeneratorName;
  /** The generator's process (wrk), or this one's (autocannon runs in process). */
  readonly pid: number;
  /**
   * Responses answered so far with a non-2xx status, or (autocannon) not at all; wrk's socket errors and timeouts
   * are known only at the end, in stop()'s result.
   */
  failedSoFar(): number;
  requestsSoFar(): number;
  /** The responses answered so far, and when (for the rate between two instants). */
  mark(): LoadMark;
  stop(): Promise<LoadResult>;
}
