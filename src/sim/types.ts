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
  'crossDatacenterRpc', // fleet-wide, requests per second
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

/** Aggregate counters since the start, for drain-test reports. */
export interface SimCounters {
  readonly time: number;
  readonly failedRequests: number;
  readonly servedRequests: number;
  readonly crossDatacenterRpc: number;
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
}
