/**
 * What a backend reads of the world at one instant: the figures that health checks and conditions are evaluated
 * over. A value that could not be read is absent (undefined), and the engine treats an absent value as "hold",
 * never as "healthy". The API's fleet view sends these readings as they are, so they are zod schemas too.
 */
import { z } from 'zod';

export const Layer = z.enum(['edge', 'cluster']);
export type Layer = z.infer<typeof Layer>;

export const DatacenterReading = z.strictObject({
  /** Requests per second arriving for the service in this datacenter. */
  load: z.number().optional(),
  /** Requests per second at 100 % utilisation (after faults). */
  capacity: z.number().optional(),
  /** load / capacity. */
  utilization: z.number().optional(),
  /** Requests per second served (load less failures). */
  traffic: z.number().optional(),
  /** Fraction of requests failing, 0..1. */
  errorRate: z.number().optional(),
  /** Seconds. */
  latencyP99: z.number().optional(),
  sessions: z.number().optional(),
  /** Seconds behind the source or primary. */
  replicationLag: z.number().optional(),
  /** Shards of a sharded stateful service held here (fractional while a move is under way). */
  shards: z.number().optional(),
  /** This datacenter's share of the service's traffic at each layer, 0..1. */
  share: z.strictObject({ edge: z.number().optional(), cluster: z.number().optional() }).optional(),
  /**
   * When these figures were measured (ms since the epoch), when that is earlier than the snapshot's time: readings
   * that lag behind the world (a slow scrape, a delayed pipeline). Absent: measured at the snapshot's time.
   */
  sampledAt: z.number().optional(),
});
export type DatacenterReading = z.infer<typeof DatacenterReading>;

export const ServiceReading = z.strictObject({
  datacenters: z.record(z.string(), DatacenterReading),
  /** Fleet-wide error rate of the service, 0..1. */
  errorRate: z.number().optional(),
  replicationSource: z.string().optional(),
  primary: z.string().optional(),
});
export type ServiceReading = z.infer<typeof ServiceReading>;

export interface FleetSnapshot {
  /** The backend's time of the reading, ms since the epoch. */
  readonly time: number;
  readonly services: Readonly<Record<string, ServiceReading>>;
  /** Results of `prom("...")` queries the caller asked for, by query text. */
  readonly queries?: Readonly<Record<string, number | undefined>>;
}
