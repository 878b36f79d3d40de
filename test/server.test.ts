/**
 * The HTTP API over the real engine, the in-process simulator on a virtual clock and an in-memory SQLite store:
 * authentication and roles, validation (400 with a stable code, never a stack), every operator action, the audit
 * log, the event stream with Last-Event-ID catch-up, /metrics, the OpenAPI document and a run to its end.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimBackend } from '../src/backends/sim/backend.js';
import { planJson } from '../src/plan/index.js';
import { createToken } from '../src/cli/token.js';
import type { EngineController } from '../src/compose/controller.js';
import * as api from '../src/model/api.js';
import type { Definitions } from '../src/model/definitions.js';
import type { EngineEvent } from '../src/model/events.js';
import { VirtualClock } from '../src/model/virtual-clock.js';
import { compilePlan } from '../src/plan/index.js';
import type { ServerApp } from '../src/server/app.js';
import type { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { expectError, readReply, startServerWorld, type Reply, type ServerWorld } from './server-fixture.js';

let definitions: Definitions;
let backend: SimBackend;
let store: SqliteStore;
let controller: EngineController;
let server: ServerApp;
const tokens: Record<'viewer' | 'operator' | 'admin', string> = { viewer: '', operator: '', admin: '' };

let world: ServerWorld;

beforeAll(async () => {
  world = await startServerWorld();
  ({ definitions, backend, store, controller, server } = world);
  for (const role of ['viewer', 'operator', 'admin'] as const)
    tokens[role] = await createToken(store, role, `${role}-1`);
});

afterAll(() => world.close());

async function call(
  method: string,
  path: string,
  options: { role?: keyof typeof tokens; body?: unknown; raw?: string; headers?: Record<string, string> } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.role) headers.authorization = `Bearer ${tokens[options.role]}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  if (options.raw !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = options.raw;
  }
  return readReply(await server.app.request(path, { method, headers, ...(body !== undefined ? { body } : {}) }));
}

/** Reads server-sent events from a streaming response until `count` arrived, then cancels the stream. */
async function readEvents(
  path: string,
  count: number,
  headers: Record<string, string> = {},
): Promise<{ id?: string; data: EngineEvent }[]> {
  const res = await server.app.request(path, { headers: { authorization: `Bearer ${tokens.viewer}`, ...headers } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  const out: { id?: string; data: EngineEvent }[] = [];
  let buf = '';
  while (out.length < count) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += value;
    let i: number;
    while ((i = buf.indexOf('\n\n')) >= 0 && out.length < count) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const lines = block.split('\n');
      if (!lines.includes('event: engine')) continue;
      const id = lines.find((l) => l.startsWith('id: '))?.slice(4);
      const data = JSON.parse(lines.find((l) => l.startsWith('data: '))!.slice(6)) as EngineEvent;
      out.push({ ...(id !== undefined ? { id } : {}), data });
    }
  }
  await reader.cancel();
  return out;
}

describe('server', () => {
  it('refuses calls without a valid token, and serves the OpenAPI document to anyone', async () => {
    expectError(await call('GET', '/api/v1/runs'), 401, 'E_UNAUTHORIZED');
    expectError(
      await call('GET', '/api/v1/runs', { headers: { authorization: 'Bearer mst_nope' } }),
      401,
      'E_UNAUTHORIZED',
    );
    expectError(await call('GET', '/api/v1/runs', { headers: { authorization: 'Basic abc' } }), 401, 'E_UNAUTHORIZED');
    const doc = await call('GET', '/api/v1/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.json.openapi).toBe('3.1.0');
    for (const p of [
      '/runs',
      '/runs/{id}',
      '/runs/{id}/pause',
      '/runs/{id}/override-dependency',
      '/halt',
      '/history',
      '/events',
      '/definitions/plans/{name}',
      '/series',
      '/fleet',
    ]) {
      expect(doc.json.paths[p], p).toBeDefined();
    }
    expect((await call('GET', '/api/v1/me', { role: 'viewer' })).json).toEqual({ name: 'viewer-1', role: 'viewer' });
  });

  it('lists definitions and previews a plan with the same JSON as `maelstrom plan --json`', async () => {
    const defs = await call('GET', '/api/v1/definitions', { role: 'viewer' });
    expect(defs.json.plans.map((p: { name: string }) => p.name)).toEqual([
      'evacuate-central',
      'evacuate-east',
      'evacuate-east-approved',
      'evacuate-east-now',
      'evacuate-west',
      'restore-central',
      'restore-east',
      'restore-west',
    ]);
    const preview = await call('GET', '/api/v1/definitions/plans/evacuate-east', { role: 'viewer' });
    expect(preview.status).toBe(200);
    expect(preview.json).toEqual(JSON.parse(JSON.stringify(planJson(compilePlan(definitions, 'evacuate-east')))));
    expectError(await call('GET', '/api/v1/definitions/plans/nope', { role: 'viewer' }), 404, 'E_NOT_FOUND');
  });

  it('validates definitions sent as YAML text', async () => {
    const good = await call('POST', '/api/v1/definitions/validate', {
      role: 'viewer',
      body: {
        documents:
          'apiVersion: maelstrom/v1\nkind: Fleet\nmetadata: { name: x }\nspec: { datacenters: [], pops: [], services: [] }\n',
      },
    });
    expect(good.status).toBe(200);
    expect(good.json.ok).toBe(false);
    expect(good.json.diagnostics.length).toBeGreaterThan(0);
    expectError(
      await call('POST', '/api/v1/definitions/validate', { role: 'viewer', body: { documents: 5 } }),
      400,
      'E_BAD_REQUEST',
    );
  });

  it('answers bad bodies and parameters with 400 and a stable code', async () => {
    expectError(await call('POST', '/api/v1/runs', { role: 'operator', raw: '{not json' }), 400, 'E_BAD_REQUEST');
    expectError(await call('POST', '/api/v1/runs', { role: 'operator', body: {} }), 400, 'E_BAD_REQUEST');
    expectError(await call('POST', '/api/v1/runs', { role: 'operator', body: { plan: 5 } }), 400, 'E_BAD_REQUEST');
    expectError(
      await call('POST', '/api/v1/runs', { role: 'operator', body: { plan: 'evacuate-east', extra: 1 } }),
      400,
      'E_BAD_REQUEST',
    );
    expectError(
      await call('POST', '/api/v1/runs', {
        role: 'operator',
        raw: '{"plan":"evacuate-east"}',
        headers: { 'content-type': 'text/plain' },
      }),
      400,
      'E_BAD_REQUEST',
    );
    expectError(await call('GET', '/api/v1/runs?limit=-4', { role: 'viewer' }), 400, 'E_BAD_REQUEST');
    expectError(await call('GET', '/api/v1/runs/a%20b', { role: 'viewer' }), 400, 'E_BAD_REQUEST');
    expectError(await call('POST', '/api/v1/runs/x/explode', { role: 'operator', body: {} }), 400, 'E_BAD_REQUEST');
    expectError(await call('POST', '/api/v1/halt', { role: 'operator', body: {} }), 400, 'E_BAD_REQUEST');
    expectError(
      await call('GET', '/api/v1/series?metric=traffic&window=abc', { role: 'viewer' }),
      400,
      'E_BAD_REQUEST',
    );
    expectError(await call('GET', '/api/v1/nothing', { role: 'viewer' }), 404, 'E_NOT_FOUND');
    expectError(
      await call('POST', '/api/v1/definitions/validate', {
        role: 'viewer',
        body: { documents: 'x'.repeat(4 * 1024 * 1024) },
      }),
      400,
      'E_BAD_REQUEST',
    );
    expectError(
      await call('POST', '/api/v1/runs', { role: 'operator', body: { plan: 'no-such-plan' } }),
      404,
      'E_NOT_FOUND',
    );
  });

  it('runs operator actions, refuses viewers, and records every mutating call in the audit log', async () => {
    expectError(
      await call('POST', '/api/v1/runs', { role: 'viewer', body: { plan: 'evacuate-east' } }),
      403,
      'E_FORBIDDEN',
    );
    const started = await call('POST', '/api/v1/runs', { role: 'operator', body: { plan: 'evacuate-east' } });
    expect(started.status, started.text).toBe(201);
    const id = started.json.id as string;
    expect(Object.keys(started.json)).toEqual(['id']);
    const run = await call('GET', `/api/v1/runs/${id}`, { role: 'viewer' });
    expect(run.json).toMatchObject({ id, plan: 'evacuate-east' });
    expect(typeof run.json.state).toBe('string');
    expect(run.json.tasks.length).toBe(compilePlan(definitions, 'evacuate-east').tasks.length);
    expectError(await call('GET', '/api/v1/runs/run-none', { role: 'viewer' }), 404, 'E_NOT_FOUND');

    expectError(await call('POST', `/api/v1/runs/${id}/pause`, { role: 'viewer', body: {} }), 403, 'E_FORBIDDEN');
    expect(
      (await call('POST', `/api/v1/runs/${id}/pause`, { role: 'operator', body: { reason: 'look first' } })).json.state,
    ).toBe('paused');
    expect((await call('POST', `/api/v1/runs/${id}/resume`, { role: 'operator' })).json.state).not.toBe('paused');
    // Task ids are `service/task`: the body takes them, and the engine decides (a pending task cannot be retried).
    expectError(
      await call('POST', `/api/v1/runs/${id}/retry`, { role: 'operator', body: { task: 'web/edge' } }),
      409,
      'E_INVALID_STATE',
    );
    expect(run.json.allowedActions).toEqual(['pause', 'abort']);
    expect(run.json.tasks.find((t: { id: string }) => t.id === 'web/edge').allowedActions).toEqual([
      'skip',
      'override-condition',
    ]);
    expectError(
      await call('POST', `/api/v1/runs/${id}/skip`, { role: 'operator', body: { task: 'web/edge' } }),
      400,
      'E_BAD_REQUEST',
    );
    expectError(
      await call('POST', `/api/v1/runs/${id}/skip`, { role: 'operator', body: { task: 'web/edge', reason: '  ' } }),
      400,
      'E_BAD_REQUEST',
    );
    expectError(
      await call('POST', `/api/v1/runs/${id}/override-dependency`, {
        role: 'operator',
        body: { task: 'web/edge', reason: 'r' },
      }),
      400,
      'E_BAD_REQUEST',
    );
    const aborted = await call('POST', `/api/v1/runs/${id}/abort`, { role: 'admin', body: { reason: 'test over' } });
    expect(aborted.status, aborted.text).toBe(200);
    await (backend.clock as VirtualClock).runUntil(() => false, backend.clock.now() + 60_000);
    expect((await call('GET', `/api/v1/runs/${id}`, { role: 'viewer' })).json.state).toBe('aborted');
    expect(
      (await call('POST', '/api/v1/halt', { role: 'operator', body: { reason: 'drill of the halt button' } })).json,
    ).toEqual({ halted: true });

    expectError(await call('GET', '/api/v1/audit', { role: 'operator' }), 403, 'E_FORBIDDEN');
    const audit = (await call('GET', '/api/v1/audit', { role: 'admin' })).json.entries as {
      actor: string;
      action: string;
      target?: string;
      reason?: string;
      details: { outcome: string };
    }[];
    const summary = audit.map((a) => `${a.action} ${a.details.outcome} ${a.actor}`);
    expect(summary).toEqual(
      expect.arrayContaining([
        'start refused viewer-1 (viewer)',
        'start ok operator-1 (operator)',
        'pause refused viewer-1 (viewer)',
        'pause ok operator-1 (operator)',
        'resume ok operator-1 (operator)',
        'abort ok admin-1 (admin)',
        'halt ok operator-1 (operator)',
        'start failed operator-1 (operator)',
      ]),
    );
    // Once each: the controller records what it was asked to do; the server records only what it refused itself.
    for (const line of ['pause ok operator-1 (operator)', 'abort ok admin-1 (admin)', 'halt ok operator-1 (operator)'])
      expect(
        summary.filter((s) => s === line),
        line,
      ).toHaveLength(1);
    expect(audit.find((a) => a.action === 'abort')).toMatchObject({ target: id, reason: 'test over' });
  });

  it('refuses a revoked token at once', async () => {
    const secret = await createToken(store, 'viewer', 'soon-revoked');
    const headers = { authorization: `Bearer ${secret}` };
    expect((await server.app.request('/api/v1/me', { headers })).status).toBe(200);
    const record = (await store.listTokens()).find((t) => t.name === 'soon-revoked')!;
    await store.revokeToken(record.id, Date.now());
    const refused = await server.app.request('/api/v1/me', { headers });
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('E_UNAUTHORIZED');
  });

  it('streams events with sequence ids and catches up from Last-Event-ID', async () => {
    const first = await readEvents('/api/v1/events?after=0', 6);
    const seqs = first.map((e) => Number(e.id));
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(first.map((e) => e.data.seq)).toEqual(seqs);
    const later = await readEvents('/api/v1/events', 3, { 'last-event-id': String(seqs[2]) });
    expect(later.map((e) => Number(e.id))).toEqual(seqs.slice(3, 6));
    expectError(await call('GET', '/api/v1/events?after=x', { role: 'viewer' }), 400, 'E_BAD_REQUEST');
  });

  it('runs a drain to its end, then shows it in the history with its critical path, the fleet and the series', async () => {
    const { json } = await call('POST', '/api/v1/runs', { role: 'operator', body: { plan: 'evacuate-east' } });
    const done = controller.wait(json.id);
    let finished = false;
    void done.then(() => {
      finished = true;
    });
    await (backend.clock as VirtualClock).runUntil(() => finished, backend.clock.now() + 6 * 3600_000);
    const run = (await call('GET', `/api/v1/runs/${json.id}`, { role: 'viewer' })).json;
    expect(run.state).toBe('succeeded');
    const history = (await call('GET', '/api/v1/history', { role: 'viewer' })).json.runs as {
      id: string;
      criticalPath: { id: string; durationMs?: number }[];
      durationMs: number;
    }[];
    const mine = history.find((h) => h.id === json.id)!;
    expect(mine.criticalPath.length).toBeGreaterThan(0);
    expect(mine.durationMs).toBeGreaterThan(0);
    const fleet = (await call('GET', '/api/v1/fleet', { role: 'viewer' })).json;
    expect(fleet.datacenters.map((d: { name: string }) => d.name)).toEqual(['east', 'west', 'central']);
    const web = fleet.services.find((s: { name: string }) => s.name === 'web');
    expect(web.reading.datacenters.east.share.edge).toBeLessThan(0.01);
    const east = (await call('GET', '/api/v1/series?metric=traffic&datacenter=east&window=7200', { role: 'viewer' }))
      .json;
    expect(east.values.length).toBeGreaterThan(10);
    expect(east.values.at(-1)).toBeLessThan(east.values[0] * 0.2);
    const metrics = await server.app.request('/metrics');
    const text = await metrics.text();
    expect(text).toMatch(/maelstrom_runs\{state="succeeded"\} 1/);
    expect(text).toMatch(/maelstrom_runs\{state="aborted"\} 1/);
    expect(text).toMatch(/maelstrom_aborts_total 1/);
    expect(text).toMatch(/maelstrom_halts_total 1/);
  }, 60_000);
  it('answers in the shapes of the zod schemas the OpenAPI document is generated from', async () => {
    const get = async (path: string, role: keyof typeof tokens = 'admin') => {
      const r = await call('GET', path, { role });
      expect(r.status, `${path}: ${r.text}`).toBe(200);
      return r.json as unknown;
    };
    const runs = api.RunList.parse(await get('/api/v1/runs'));
    expect(runs.runs.length).toBeGreaterThan(0);
    for (const r of runs.runs) api.RunView.parse(await get(`/api/v1/runs/${r.id}`));
    // Finished runs allow nothing; the API says so rather than leaving it to the client.
    expect(runs.runs.every((r) => r.allowedActions.length === 0)).toBe(true);
    expect(runs.runs.every((r) => r.tasks.every((t) => t.allowedActions.length === 0))).toBe(true);
    api.Actor.parse(await get('/api/v1/me'));
    api.DefinitionList.parse(await get('/api/v1/definitions'));
    api.PlanPreview.parse(await get('/api/v1/definitions/plans/evacuate-east'));
    api.FleetView.parse(await get('/api/v1/fleet'));
    api.SeriesView.parse(await get('/api/v1/series?metric=traffic&datacenter=east'));
    api.SeriesView.parse(await get('/api/v1/series?metric=utilization&service=web'));
    api.HistoryList.parse(await get('/api/v1/history'));
    api.AuditList.parse(await get('/api/v1/audit'));
    api.ErrorAnswer.parse((await call('GET', '/api/v1/runs/none', { role: 'viewer' })).json);
    api.Validation.parse(
      (await call('POST', '/api/v1/definitions/validate', { role: 'viewer', body: { documents: 'kind: x\n' } })).json,
    );
  });
});
