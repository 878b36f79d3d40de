/** What the pacers, the health manager and the stages read of a receiver (kept apart so that they share it). */

/** What the pacer knows of one receiver of the moved traffic (a datacenter). Absent figures mean "not read". */
export interface ReceiverReading {
  readonly name: string;
  /** Requests per second arriving. */
  readonly load?: number;
  /** Requests per second at 100 % utilisation. */
  readonly capacity?: number;
  readonly utilization?: number;
  /** 0..1. */
  readonly errorRate?: number;
  /** Seconds. */
  readonly latencyP99?: number;
  /** How old the figures are, ms, when the readings lag behind the world (absent: fresh). */
  readonly ageMs?: number;
  /** Its share of the service's traffic at the edge, 0..1 (user-facing services; for the health manager). */
  readonly edgeShare?: number;
}
