/** A small fleet for stage unit tests: three datacenters, two PoPs, one service of each traffic type. */
import type { Fleet } from '../../model/definitions.js';
import type { StageFn, StageResult } from '../stage.js';
import type { TestContext } from './context.js';
import type { MemoryBackend } from './memory-backend.js';

export const smallFleet: Fleet = {
  apiVersion: 'maelstrom/v1',
  kind: 'Fleet',
  metadata: { name: 'small' },
  spec: {
    datacenters: [
      { name: 'east', clusters: ['east-a', 'east-b'] },
      { name: 'west', clusters: ['west-a'] },
      { name: 'central', clusters: ['central-a'] },
    ],
    pops: [
      { name: 'p1', share: 0.5, weights: { east: 50, west: 25, central: 25 } },
      { name: 'p2', share: 0.5, weights: { east: 20, west: 40, central: 40 } },
    ],
    services: [
      {
        name: 'web',
        type: 'stateless',
        userFacing: true,
        demand: 1000,
        capacity: { east: 1000, west: 1000, central: 1000 },
      },
      {
        name: 'chat',
        type: 'sticky',
        userFacing: true,
        demand: 100,
        capacity: { east: 100, west: 100, central: 100 },
        session: { meanDuration: '10m' },
      },
      {
        name: 'index',
        type: 'replication',
        capacity: { east: 100, west: 100, central: 100 },
        replication: { source: 'east' },
      },
      {
        name: 'db',
        type: 'stateful',
        capacity: { east: 100, west: 100, central: 100 },
        stateful: { primary: 'east', replicas: ['west', 'central'], shards: 5 },
      },
    ],
  },
};

/** A memory backend holding the small fleet's tables and quiet readings. */
export async function smallWorld(backend: MemoryBackend): Promise<MemoryBackend> {
  for (const svc of ['web', 'chat']) {
    backend.tables.edge[svc] = Object.fromEntries(smallFleet.spec.pops.map((p) => [p.name, { ...p.weights }]));
  }
  for (const svc of smallFleet.spec.services) {
    backend.tables.cluster[svc.name] = Object.fromEntries(
      smallFleet.spec.datacenters.map((d) => [d.name, Object.fromEntries(d.clusters.map((c) => [c, 1]))]),
    );
    backend.readings[svc.name] = {
      datacenters: Object.fromEntries(
        smallFleet.spec.datacenters.map((d) => [
          d.name,
          {
            load: 0.3 * (svc.capacity[d.name] ?? 0),
            capacity: svc.capacity[d.name] ?? 0,
            utilization: 0.3,
            errorRate: 0,
            latencyP99: 0.05,
            ...(svc.type === 'sticky' ? { sessions: 1000 } : {}),
            ...(svc.type === 'replication' || svc.type === 'stateful' ? { replicationLag: 1 } : {}),
          },
        ]),
      ),
      ...(svc.replication ? { replicationSource: svc.replication.source } : {}),
      ...(svc.stateful ? { primary: svc.stateful.primary } : {}),
    };
  }
  await backend.init();
  return backend;
}

/** Runs a stage on the backend's virtual clock until it ends (or `limitMs` of virtual time passes). */
export async function runStage(
  fn: StageFn,
  ctx: TestContext,
  clock: MemoryBackend['clock'],
  limitMs = 24 * 3600_000,
): Promise<{ result?: StageResult; error?: unknown }> {
  let result: StageResult | undefined;
  let error: unknown;
  const p = fn(ctx).then(
    (r) => {
      result = r;
    },
    (e: unknown) => {
      error = e;
    },
  );
  await clock.runUntil(() => result !== undefined || error !== undefined, clock.now() + limitMs);
  if (result === undefined && error === undefined) return {};
  await p;
  return { ...(result ? { result } : {}), ...(error !== undefined ? { error } : {}) };
}
