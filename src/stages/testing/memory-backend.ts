/**
 * A tiny in-memory Backend for unit tests of stages: weight tables, a snapshot the test edits, and a journal of
 * every action with whether it changed anything. Actions are target states, as the Backend contract says: the
 * same action twice changes nothing the second time. Sessions fall at the teardown rate as the clock moves;
 * a replication source or a primary changes at once.
 */
import type { Action, ActionKind, ActionResult, ActOptions, Backend, WeightTable } from '../../backends/backend.js';
import type { DatacenterReading, FleetSnapshot, Layer, ServiceReading } from '../../model/readings.js';
import { VirtualClock } from '../../model/virtual-clock.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export interface MemoryBackend extends Backend {
  readonly clock: VirtualClock;
  /** service → datacenter → reading; edit freely. */
  readonly readings: Record<
    string,
    {
      datacenters: Record<string, Mutable<DatacenterReading>>;
      replicationSource?: string;
      primary?: string;
      errorRate?: number;
    }
  >;
  readonly tables: Record<Layer, Record<string, Record<string, Record<string, number>>>>;
  readonly journal: { readonly action: Action; readonly changed: boolean; readonly origin?: ActOptions['origin'] }[];
  /** Target state kept for actions without a reading (jobs, config, alerts, shards, teardown rates). */
  readonly state: Map<string, string>;
  /** Makes the next act() of the kind throw this error. */
  failNext?: { readonly kind: ActionKind; readonly error: Error } | undefined;
}

export function createMemoryBackend(startMs = Date.parse('2026-03-02T19:30:00Z')): MemoryBackend {
  const clock = new VirtualClock(startMs);
  const readings: MemoryBackend['readings'] = {};
  const tables: MemoryBackend['tables'] = { edge: {}, cluster: {} };
  const baseline: MemoryBackend['tables'] = { edge: {}, cluster: {} };
  const state = new Map<string, string>();
  const journal: MemoryBackend['journal'] = [];
  let captured = false;

  clock.onAdvance = (from, to) => {
    // Sessions fall at the teardown rate.
    for (const [service, r] of Object.entries(readings)) {
      for (const [dc, reading] of Object.entries(r.datacenters)) {
        const rate = Number(state.get(`teardown:${service}/${dc}`) ?? 0);
        if (rate > 0 && reading.sessions !== undefined)
          reading.sessions = Math.max(0, reading.sessions - (rate * (to - from)) / 1000);
      }
    }
  };

  const list = (layer: Layer, service: string, from: MemoryBackend['tables']): WeightTable[] =>
    Object.entries(from[layer][service] ?? {}).map(([source, weights]) => ({
      layer,
      service,
      source,
      weights: { ...weights },
    }));

  const setState = (key: string, value: unknown): ActionResult => {
    const v = JSON.stringify(value);
    if (state.get(key) === v) return { changed: false };
    state.set(key, v);
    return { changed: true };
  };

  const backend: MemoryBackend = {
    name: 'memory',
    clock,
    supports: new Set<ActionKind>([
      'weights.set',
      'sessions.teardown',
      'jobs.restart',
      'jobs.stop',
      'jobs.start',
      'replication.source',
      'stateful.primary',
      'shards.place',
      'config.set',
      'alerts.suppress',
    ]),
    readings,
    tables,
    journal,
    state,
    failNext: undefined,
    async init() {
      if (captured) return;
      captured = true;
      for (const layer of ['edge', 'cluster'] as const)
        baseline[layer] = JSON.parse(JSON.stringify(tables[layer])) as Record<
          string,
          Record<string, Record<string, number>>
        >;
    },
    async close() {
      /* nothing held */
    },
    async snapshot(): Promise<FleetSnapshot> {
      const services: Record<string, ServiceReading> = JSON.parse(JSON.stringify(readings)) as Record<
        string,
        ServiceReading
      >;
      return { time: clock.now(), services };
    },
    async weights(layer, service) {
      return list(layer, service, tables);
    },
    async baselineWeights(layer, service) {
      return list(layer, service, captured ? baseline : tables);
    },
    async act(action, options) {
      if (options?.signal?.aborted) throw options.signal.reason as Error;
      if (backend.failNext?.kind === action.kind) {
        const { error } = backend.failNext;
        backend.failNext = undefined;
        throw error;
      }
      const result = apply(action);
      journal.push({ action, changed: result.changed, ...(options?.origin ? { origin: options.origin } : {}) });
      return result;
    },
  };

  function apply(action: Action): ActionResult {
    switch (action.kind) {
      case 'weights.set': {
        const byService = (tables[action.layer][action.service] ??= {});
        if (JSON.stringify(byService[action.source]) === JSON.stringify(action.weights)) return { changed: false };
        byService[action.source] = { ...action.weights };
        return { changed: true };
      }
      case 'sessions.teardown':
        return setState(`teardown:${action.service}/${action.datacenter}`, action.rate);
      case 'jobs.restart':
        return setState(`restart:${action.service}/${action.datacenter}/${action.cluster ?? '*'}`, action.generation);
      case 'jobs.stop':
      case 'jobs.start':
        return setState(
          `jobs:${action.service}/${action.datacenter}/${action.cluster ?? '*'}`,
          action.kind === 'jobs.stop' ? 'stopped' : 'running',
        );
      case 'replication.source': {
        const r = readings[action.service];
        if (!r || r.replicationSource === action.source) return { changed: false };
        r.replicationSource = action.source;
        return { changed: true };
      }
      case 'replication.replica':
        return setState(`replica:${action.service}/${action.datacenter}`, {
          enabled: action.enabled,
          catchUp: action.catchUp ?? 'unpaced',
        });
      case 'stateful.primary': {
        const r = readings[action.service];
        if (!r || r.primary === action.primary) return { changed: false };
        r.primary = action.primary;
        return { changed: true };
      }
      case 'shards.place':
        return setState(`shards:${action.service}/${action.from}->${action.to}`, {
          count: action.count,
          rate: action.rate,
        });
      case 'config.set':
        return setState(`config:${action.key}`, action.value);
      case 'alerts.suppress':
        return setState(`alerts:${action.id}`, { matchers: action.matchers, until: action.until });
    }
  }
  return backend;
}
