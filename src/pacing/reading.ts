/** What the pacers, the health manager and the stages read of a receiver (kept apart so that they share it). */

/** What the pacer knows of one receiver of the moved traffic (a datacenter). Absent figures mean "not read". */
export interface ReceiverReading {
  readonly name: string;
  /** Requests per second arriving. */
  readonly load?: number | undefined;
  /** Requests per second at 100 % utilisation. */
  readonly capacity?: number | undefined;
  readonly utilization?: number | undefined;
  /** 0..1. */
  readonly errorRate?: number | undefined;
  /** Seconds. */
  readonly latencyP99?: number | undefined;
  /** How old the figures are, ms, when the readings lag behind the world (absent: fresh). */
  readonly ageMs?: number | undefined;
  /** Its share of the service's traffic at the edge, 0..1 (user-facing services; for the health manager). */
  readonly edgeShare?: number | undefined;
}

/**
 * A receiver of which nothing was read. It has every key of a read one, in the same order (undefined; JSON drops
 * them): the pacers read receivers in their hot loops, and readings of one shape keep that code optimised.
 */
export function unreadReceiver(name: string): ReceiverReading {
  return {
    name,
    load: undefined,
    capacity: undefined,
    utilization: undefined,
    errorRate: undefined,
    latencyP99: undefined,
    ageMs: undefined,
    edgeShare: undefined,
  };
}
