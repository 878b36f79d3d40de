/**
 * What a backend reads of the world at one instant: the figures that health checks and conditions are evaluated
 * over. A value that could not be read is absent (undefined), and the engine treats an absent value as "hold",
 * never as "healthy".
 */
export type Layer = 'edge' | 'cluster';

export interface DatacenterReading {
  /** Requests per second arriving for the service in this datacenter. */
  readonly load?: number;
  /** Requests per second at 100 % utilisation (after faults). */
  readonly capacity?: number;
  /** load / capacity. */
  readonly utilization?: number;
  /** Requests per second served (load less failures). */
  readonly traffic?: number;
  /** Fraction of requests failing, 0..1. */
  readonly errorRate?: number;
  /** Seconds. */
  readonly latencyP99?: number;
  readonly sessions?: number;
  /** Seconds behind the source or primary. */
  readonly replicationLag?: number;
  /** Shards of a sharded stateful service held here (fractional while a move is under way). */
  readonly shards?: number;
  /** This datacenter's share of the service's traffic at each layer, 0..1. */
  readonly share?: Readonly<Partial<Record<Layer, number>>>;
}

export interface ServiceReading {
  readonly datacenters: Readonly<Record<string, DatacenterReading>>;
  /** Fleet-wide error rate of the service, 0..1. */
  readonly errorRate?: number;
  readonly replicationSource?: string;
  readonly primary?: string;
}

export interface FleetSnapshot {
  /** The backend's time of the reading, ms since the epoch. */
  readonly time: number;
  readonly services: Readonly<Record<string, ServiceReading>>;
  /** Results of `prom("...")` queries the caller asked for, by query text. */
  readonly queries?: Readonly<Record<string, number | undefined>>;
}
