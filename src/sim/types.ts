/**
 * The simulator's own vocabulary. It mirrors the backend contract's shapes (so that a backend can pass its actions
 * straight through) without importing the backend layer: the world is not a client of the engine.
 */
import type { Layer } from '../model/readings.js';

export type SimCommand =
  | { readonly kind: 'weights.set'; readonly layer: Layer; readonly service: string; readonly source: string; readonly weights: Readonly<Record<string, number>> }
  | { readonly kind: 'sessions.teardown'; readonly service: string; readonly datacenter: string; readonly rate: number }
  | { readonly kind: 'jobs.restart'; readonly service: string; readonly datacenter: string; readonly cluster?: string; readonly rate: number; readonly generation: string }
  | { readonly kind: 'jobs.stop'; readonly service: string; readonly datacenter: string; readonly cluster?: string }
  | { readonly kind: 'jobs.start'; readonly service: string; readonly datacenter: string; readonly cluster?: string }
  | { readonly kind: 'replication.source'; readonly service: string; readonly source: string }
  | { readonly kind: 'stateful.primary'; readonly service: string; readonly primary: string; readonly maxLagSeconds?: number }
  | { readonly kind: 'shards.place'; readonly service: string; readonly from: string; readonly to: string; readonly count: number; readonly rate?: number }
  | { readonly kind: 'config.set'; readonly key: string; readonly value: unknown }
  | { readonly kind: 'alerts.suppress'; readonly matchers: Readonly<Record<string, string>>; readonly until: number; readonly id: string };

export type SimCommandKind = SimCommand['kind'];

export const SIM_COMMAND_KINDS: readonly SimCommandKind[] = [
  'weights.set', 'sessions.teardown', 'jobs.restart', 'jobs.stop', 'jobs.start', 'replication.source',
  'stateful.primary', 'shards.place', 'config.set', 'alerts.suppress',
];

export interface CommandResult {
  readonly changed: boolean;
  readonly detail?: string;
}

export interface WeightTableData {
  readonly layer: Layer;
  readonly service: string;
  readonly source: string;
  readonly weights: Readonly<Record<string, number>>;
}

/** Metrics kept as time series, per service and datacenter unless marked otherwise. */
export const SERIES_METRICS = [
  'demand', // per service: user requests per second offered at the edge
  'load', 'capacity', 'utilization', 'traffic', 'failed', 'errorRate', 'latencyP99', 'sessions', 'replicationLag',
  'shareEdge', 'shareCluster',
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
  /** Seconds each service spent above 100 % utilisation in each datacenter. */
  readonly overloadSeconds: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly maxUtilization: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly failedByService: Readonly<Record<string, number>>;
}
