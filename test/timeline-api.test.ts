/**
 * The timeline over HTTP: `GET /api/v1/timeline?at=…` answers the cut and `/timeline/events?from=…&to=…` the merged
 * events of the store's journal and the simulator's, shaped as the OpenAPI document says; bad instants are refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimBackend } from '../src/backends/sim/backend.js';
import { createToken } from '../src/cli/token.js';
import * as api from '../src/model/api.js';
import { planJson } from '../src/plan/index.js';
import type { ServerApp } from '../src/server/app.js';
import type { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { startServerWorld, type ServerWorld } from './server-fixture.js';

let world: ServerWorld;
let backend: SimBackend;
let store: SqliteStore;
let server: ServerApp;
let token = '';

beforeAll(async () => {
  world = await startServerWorld({
    server: ({ controller, store, definitions, backend }) => ({
      controller,
      store,
      definitions,
      metrics: backend,
      clock: backend.clock,
      planView: planJson,
      timeline: { store, sim: { journal: async () => backend.stampedJournal() } },
    }),
  });
  ({ backend, store, server } = world);
  token = await createToken(store, 'viewer', 'viewer-1');
});

afterAll(() => world.close());

async function get(path: string): Promise<{ status: number; json: unknown }> {
  const res = await server.app.request(path, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, json: await res.json() };
}

describe('the timeline API', () => {
  it('answers the cut and the merged events of the store and the simulator, in HLC order', async () => {
    await store.appendJournal([
      {
        type: 'run.created',
        runId: 'r1',
        plan: 'evacuate-east',
        state: 'pending',
        tasks: [{ id: 'web/edge', state: 'pending', stage: 0 }],
      },
    ]);
    await backend.act({
      kind: 'weights.set',
      layer: 'edge',
      service: 'web',
      source: 'nyc',
      weights: { east: 0, west: 1 },
    });
    await store.appendJournal([{ type: 'task.state', runId: 'r1', taskId: 'web/edge', state: 'running', stage: 0 }]);

    const cut = await get('/api/v1/timeline');
    expect(cut.status).toBe(200);
    const parsed = api.TimelineCut.parse(cut.json);
    expect(parsed.runs).toEqual([
      { id: 'r1', plan: 'evacuate-east', state: 'pending', tasks: [{ id: 'web/edge', state: 'running', stage: 0 }] },
    ]);
    expect(parsed.backendWeights).toEqual({ web: { edge: { nyc: { east: 0, west: 1 } } } });

    const list = await get('/api/v1/timeline/events?from=0');
    expect(list.status).toBe(200);
    const { events } = api.TimelineEvents.parse(list.json);
    expect(events.map((e) => `${e.source}:${e.type}`)).toEqual(
      expect.arrayContaining(['controller:run.created', 'sim:act', 'controller:task.state']),
    );
    const ours = events.filter((e) => ['run.created', 'act', 'task.state'].includes(e.type));
    expect(ours.map((e) => e.type)).toEqual(['run.created', 'act', 'task.state']);

    // One run's changes only: the dashboard's time slider over that run.
    const one = api.TimelineEvents.parse((await get('/api/v1/timeline/events?runId=r1')).json).events;
    expect(one.map((e) => e.type)).toEqual(['run.created', 'task.state']);
    expect(one.every((e) => e.runId === 'r1')).toBe(true);

    // The cut at the first entry holds only it.
    const first = await get(`/api/v1/timeline?at=${ours[0]!.hlc}`);
    expect(api.TimelineCut.parse(first.json).runs[0]!.tasks[0]!.state).toBe('pending');
  });

  it('refuses an instant that is neither a time nor an HLC, and a range that ends before it starts', async () => {
    const bad = await get('/api/v1/timeline?at=yesterday');
    expect(bad.status).toBe(400);
    expect((bad.json as { error: { code: string } }).error.code).toBe('E_BAD_REQUEST');
    const backwards = await get('/api/v1/timeline/events?from=2026-03-02T17:00:00Z&to=2026-03-02T16:00:00Z');
    expect(backwards.status).toBe(400);
  });
});
