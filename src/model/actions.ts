/**
 * What may be asked of the world: the actions a backend carries out and the routing tables it reads. Shared by the
 * backend contract (src/backends/backend.ts) and the simulator, which is not a client of the engine and so cannot
 * import the backend layer.
 *
 * Every action sets a target state rather than applying a delta, so that sending it twice is harmless.
 */
import type { Layer } from './readings.js';

/**
 * A routing table at one layer for one service and one source.
 * - edge: source is a PoP, destinations are datacenters;
 * - cluster: source is a datacenter (where requests arrive, from the edge or from local callers), destinations are
 *   clusters of any datacenter (normally its own; a drain moves weight to other datacenters' clusters).
 */
export interface WeightTable {
  readonly layer: Layer;
  readonly service: string;
  readonly source: string;
  /** Destination → non-negative weight. A zero weight receives nothing. */
  readonly weights: Readonly<Record<string, number>>;
}

export type Action =
  | {
      readonly kind: 'weights.set';
      readonly layer: Layer;
      readonly service: string;
      readonly source: string;
      readonly weights: Readonly<Record<string, number>>;
    }
  /** Tear down established sessions of the service in the datacenter at `rate` per second (0 stops tearing down). */
  | { readonly kind: 'sessions.teardown'; readonly service: string; readonly datacenter: string; readonly rate: number }
  /** Desired state of the service's jobs in a datacenter (or one cluster): restarted at a rate, stopped, or running. */
  | {
      readonly kind: 'jobs.restart';
      readonly service: string;
      readonly datacenter: string;
      readonly cluster?: string;
      readonly rate: number;
      readonly generation: string;
    }
  | { readonly kind: 'jobs.stop'; readonly service: string; readonly datacenter: string; readonly cluster?: string }
  | { readonly kind: 'jobs.start'; readonly service: string; readonly datacenter: string; readonly cluster?: string }
  /** Make `source` the replication source of the service (taking effect after the apply delay). */
  | { readonly kind: 'replication.source'; readonly service: string; readonly source: string }
  /**
   * Whether the service's replica in `datacenter` receives the replication stream (a replication service's replica,
   * or a stateful service's standby). A stopped replica falls behind; started again, it catches up on what it missed
   * at up to ten times the stream (`catchUp: 'unpaced'`, the default) or with only what the links into its
   * datacenter have to spare under their planned utilisation (`catchUp: 'network'`).
   */
  | {
      readonly kind: 'replication.replica';
      readonly service: string;
      readonly datacenter: string;
      readonly enabled: boolean;
      readonly catchUp?: 'unpaced' | 'network';
    }
  /** Make `primary` the primary of the service (a write outage while it is promoted). */
  | {
      readonly kind: 'stateful.primary';
      readonly service: string;
      readonly primary: string;
      readonly maxLagSeconds?: number;
    }
  /** Place `shards` shards of the service in `datacenter` (moved at a rate paced by network capacity). */
  | {
      readonly kind: 'shards.place';
      readonly service: string;
      readonly from: string;
      readonly to: string;
      readonly count: number;
      readonly rate?: number;
    }
  | { readonly kind: 'config.set'; readonly key: string; readonly value: unknown }
  /** Silence alerts matching the labels until the given time (ms since the epoch). */
  | {
      readonly kind: 'alerts.suppress';
      readonly matchers: Readonly<Record<string, string>>;
      readonly until: number;
      readonly id: string;
    };

export type ActionKind = Action['kind'];
