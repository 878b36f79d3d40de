/**
 * The simulator's own vocabulary. Its commands are the actions of src/model/actions.ts, the same shapes the backend
 * contract uses, so that a backend passes its actions straight through without the world importing the backend layer.
 */
import type { Action, WeightTable } from '../model/actions.js';

export type SimCommand = Action;

export type SimCommandKind = SimCommand['kind'];

export const SIM_COMMAND_KINDS: readonly SimCommandKind[] = [
  'weights.set',
  'sessions.teardown',
  'jobs.restart',
  'jobs.stop',
  'jobs.start',
  'replication.source',
  'replication.replica',
  'stateful.primary',
  'shards.place',
  'config.set',
  'alerts.suppress',
];

export interface CommandResult {
  readonly changed: boolean;
  readonly detail?: string;
}

export type WeightTableData = WeightTable;

/** Metrics kept as time series, per service and datacenter unless marked otherwise. */
export const SERIES_METRICS = [
  'demand', // per service: user requests per second offered at the edge
  'load',
  'capacity',
  'utilization',
  'traffic',
  'failed',
  'errorRate',
  'latencyP99',
  'sessions',
  'replicationLag',
  'shareEdge',
  'shareCluster',
  'crossDatacenterRpc', // fleet-wide, requests per second: calls sent to another datacenter, writes to a primary there
  'crossDatacenterCalls', // fleet-wide, requests per second: the calls among them (callee not served where the caller is)
  'backbone', // per datacenter: request-units per second arriving over the links into it
] as const;
export type SeriesMetric = (typeof SERIES_METRICS)[number];

export interface SeriesQuery {
  readonly service?: string;
  readonly datacenter?: string;
  /** A multiple of the recording resolution; defaults to it. */
  readonly resolutionMs?: number;
  readonly from?: number;
  readonly to?: number;
}

export interface Series {
  readonly metric: SeriesMetric;
  readonly service?: string;
  readonly datacenter?: string;
  readonly resolutionMs: number;
  /** End time of each interval, ms since the epoch. */
  readonly times: readonly number[];
  /** Per interval: failures, demand, cross-datacenter RPC and backbone are means; other gauges are read at its end. */
  readonly values: readonly number[];
}

/**
 * Why a request failed, as the simulator counts it where it happens:
 * - `overload`: it queued in a cluster past the client timeout (the cluster served less than arrived);
 * - `write-outage`: a write to a stateful service during a promotion's write outage;
 * - `unrouted`: no route took it anywhere (every edge weight zero, no cluster weight, nowhere the service runs);
 * - `datacenter-lost`: it was sent to a lost datacenter (or its writes to a primary there);
 * - `teardown`: it was in flight on a sticky session when the session was torn down;
 * - `backbone`: the links into the datacenter did not carry it.
 */
export const FAILURE_CAUSES = [
  'overload',
  'write-outage',
  'unrouted',
  'datacenter-lost',
  'teardown',
  'backbone',
] as const;
export type FailureCause = (typeof FAILURE_CAUSES)[number];

/** Failed requests of one service in one place for one cause, since the start. */
export interface FailureCount {
  readonly service: string;
  /** Where they failed; null when they never reached a datacenter (unrouted at the edge). */
  readonly datacenter: string | null;
  readonly cause: FailureCause;
  readonly requests: number;
}

/** Aggregate counters since the start, for drain-test reports. */
export interface SimCounters {
  readonly time: number;
  readonly failedRequests: number;
  readonly servedRequests: number;
  /** Requests sent to another datacenter: calls, and writes to a primary there (whether or not the links carried them). */
  readonly crossDatacenterRpc: number;
  /**
   * The calls among them: sent away because the callee is not served in the caller's datacenter (what the order of a
   * drain decides), without the writes every datacenter but the primary's sends across.
   */
  readonly crossDatacenterCalls: number;
  /** Request-units carried over backbone links into each datacenter. */
  readonly backbone: Readonly<Record<string, number>>;
  /** Seconds the links into each datacenter were asked for more than they carry (what they could not carry failed). */
  readonly backboneSaturatedSeconds: Readonly<Record<string, number>>;
  /** The most the links into each datacenter were asked for, as a multiple of what they carry (1 = saturated). */
  readonly backbonePeakUtilization: Readonly<Record<string, number>>;
  /** Seconds each service spent above 100 % utilisation in each datacenter. */
  readonly overloadSeconds: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly maxUtilization: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly failedByService: Readonly<Record<string, number>>;
  /** Failed requests by service, datacenter and cause (only those with failures), summing to failedRequests. */
  readonly failures: readonly FailureCount[];
}
