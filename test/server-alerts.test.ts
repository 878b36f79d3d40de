/**
 * Alerts in and messages out over the HTTP API: Alertmanager's webhook (version 4) with an alerts token proposes the
 * trigger's plan, repeats and resolutions are recorded on it, minInterval holds a second run back, bad payloads get
 * 400 with a code; the alerts role may do nothing else; a proposed run is approved with a reason; the notifier's
 * deliveries (a Slack message with the deep link) are listed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimBackend, type SimBackend } from '../src/backends/sim/backend.js';
import { createToken } from '../src/cli/token.js';
import { createController, type EngineController } from '../src/compose/controller.js';
import { createPeopleLoop, type PeopleLoop } from '../src/compose/loop.js';
import { loadOrFail } from '../src/load/check.js';
import type { Definitions } from '../src/model/definitions.js';
import { VirtualClock } from '../src/model/virtual-clock.js';
import { createServerApp, type ServerApp } from '../src/server/app.js';
import { createSqliteStore, type SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { expectError, readReply, type Reply } from './server-fixture.js';

let definitions: Definitions;
let clock: VirtualClock;
let backend: SimBackend;
let store: SqliteStore;
let controller: EngineController;
let loop: PeopleLoop;
let server: ServerApp;
const sent: { url: string; headers: Headers; body: string }[] = [];
const tokens: Record<'viewer' | 'operator' | 'admin' | 'alerts', string> = {
  viewer: '',
  operator: '',
  admin: '',
  alerts: '',
};

beforeAll(async () => {
  definitions = await loadOrFail(['examples']);
  clock = new VirtualClock(Date.parse('2026-03-02T12:00:00Z'));
  backend = createSimBackend({ fleet: definitions.fleets.get('example')!, clock, name: 'sim' });
  await backend.init();
  store = createSqliteStore({ path: ':memory:' });
  await store.init();
  for (const role of ['viewer', 'operator', 'admin', 'alerts'] as const)
    tokens[role] = await createToken(store, role, role === 'alerts' ? 'alertmanager' : `${role}-1`);
  controller = await createController({ definitions, backend, store, clock, requestPollMs: false });
  loop = await createPeopleLoop({
    definitions,
    controller,
    store,
    clock,
    publicUrl: () => 'https://maelstrom.example.com',
    env: { MAELSTROM_CHAT_WEBHOOK: 'https://hooks.example.com/services/T0/B0/x' },
    notifier: {
      fetch: async (url, init) => {
        const to = url instanceof Request ? url.url : url.toString();
        sent.push({
          url: to,
          headers: new Headers(init?.headers),
          body: typeof init?.body === 'string' ? init.body : '',
        });
        return new Response('ok');
      },
    },
  });
  await controller.start();
  server = createServerApp({
    controller,
    store,
    definitions,
    clock,
    alerts: loop.alerts,
    notifications: loop.notifications,
  });
});

afterAll(async () => {
  server.close();
  await loop.close();
  await controller.close();
  await backend.close();
  await store.close();
});

async function call(
  method: string,
  path: string,
  role?: keyof typeof tokens,
  body?: unknown,
  raw?: string,
): Promise<Reply> {
  const headers: Record<string, string> = {};
  if (role) headers.authorization = `Bearer ${tokens[role]}`;
  if (body !== undefined || raw !== undefined) headers['content-type'] = 'application/json';
  return readReply(
    await server.app.request(path, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : raw !== undefined ? { body: raw } : {}),
    }),
  );
}

interface AlertSpec {
  readonly name?: string;
  readonly fingerprint?: string;
  readonly status?: 'firing' | 'resolved';
  readonly labels?: Record<string, string>;
}

/** Alertmanager's webhook body, version 4, as it sends it. */
function webhook(alerts: readonly AlertSpec[]): unknown {
  const all = alerts.map((a) => ({
    status: a.status ?? 'firing',
    labels: { alertname: a.name ?? 'DatacenterErrorRateHigh', datacenter: 'east', severity: 'critical', ...a.labels },
    annotations: { summary: 'east answers 12% errors' },
    startsAt: '2026-03-02T11:59:30.123456789Z',
    endsAt: a.status === 'resolved' ? '2026-03-02T12:10:00Z' : '0001-01-01T00:00:00Z',
    generatorURL: 'http://prometheus:9090/graph?g0.expr=up',
    fingerprint: a.fingerprint ?? 'c0ffee01',
  }));
  return {
    version: '4',
    groupKey: '{}:{alertname="DatacenterErrorRateHigh"}',
    truncatedAlerts: 0,
    status: all.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
    receiver: 'maelstrom',
    groupLabels: { alertname: 'DatacenterErrorRateHigh' },
    commonLabels: { datacenter: 'east' },
    commonAnnotations: {},
    externalURL: 'http://alertmanager:9093',
    alerts: all,
  };
}

let proposedId = '';

describe('POST /api/v1/alerts', () => {
  it('proposes the trigger’s plan for a firing alert: the run is proposed on the API, with its pre-flight and alert', async () => {
    const r = await call('POST', '/api/v1/alerts', 'alerts', webhook([{}]));
    expect(r.status, r.text).toBe(200);
    expect(r.json.results).toEqual([
      {
        fingerprint: 'c0ffee01',
        alertname: 'DatacenterErrorRateHigh',
        status: 'firing',
        outcome: 'proposed',
        trigger: 'east-unhealthy',
        run: expect.any(String),
      },
    ]);
    proposedId = r.json.results[0].run;
    const run = await call('GET', `/api/v1/runs/${proposedId}`, 'viewer');
    expect(run.json).toMatchObject({
      plan: 'evacuate-east-now',
      state: 'proposed',
      allowedActions: ['approve', 'abort'],
    });
    expect(run.json.preflight.ok).toBe(true);
    expect(run.json.proposal.alerts[0]).toMatchObject({
      fingerprint: 'c0ffee01',
      labels: { alertname: 'DatacenterErrorRateHigh', datacenter: 'east' },
      startsAt: '2026-03-02T11:59:30.123456789Z',
      receivedAt: clock.now(),
    });
    expect(run.json.proposal.expiresAt).toBe(clock.now() + 3600_000);
  });

  it('records a repeat and a second alert of the trigger on the open run, and then their resolution', async () => {
    const again = await call(
      'POST',
      '/api/v1/alerts',
      'alerts',
      webhook([{}, { name: 'BackboneDegraded', fingerprint: 'beef02' }]),
    );
    expect(again.json.results.map((x: { outcome: string; run: string }) => [x.outcome, x.run])).toEqual([
      ['recorded', proposedId],
      ['recorded', proposedId],
    ]);
    const resolved = await call('POST', '/api/v1/alerts', 'alerts', webhook([{ status: 'resolved' }]));
    expect(resolved.json.results[0]).toMatchObject({ outcome: 'resolved', run: proposedId });
    const run = await call('GET', `/api/v1/runs/${proposedId}`, 'viewer');
    expect(
      run.json.proposal.alerts.map((a: { fingerprint: string; status: string }) => [a.fingerprint, a.status]),
    ).toEqual([
      ['c0ffee01', 'resolved'],
      ['beef02', 'firing'],
    ]);
    const runs = await call('GET', '/api/v1/runs', 'viewer');
    expect(runs.json.runs.filter((x: { state: string }) => x.state === 'proposed')).toHaveLength(1);
  });

  it('leaves alerts no trigger matches alone', async () => {
    const r = await call(
      'POST',
      '/api/v1/alerts',
      'alerts',
      webhook([
        { fingerprint: 'w1', labels: { datacenter: 'west' } },
        { fingerprint: 'i1', labels: { severity: 'info' } },
        { fingerprint: 'o1', name: 'DiskFull' },
      ]),
    );
    expect(r.json.results.map((x: { outcome: string }) => x.outcome)).toEqual(['unmatched', 'unmatched', 'unmatched']);
  });

  it('answers a bad payload 400 with a code, naming what is wrong, and proposes nothing', async () => {
    const before = (await call('GET', '/api/v1/runs', 'viewer')).json.runs.length;
    const v3 = { ...(webhook([{}]) as object), version: '3' };
    const r = await call('POST', '/api/v1/alerts', 'alerts', v3);
    expectError(r, 400, 'E_BAD_REQUEST');
    expect(r.json.error.message).toContain('invalid Alertmanager payload (webhook version 4): version');
    const noPrint = webhook([{}]) as { alerts: Record<string, unknown>[] };
    delete noPrint.alerts[0]!.fingerprint;
    expect((await call('POST', '/api/v1/alerts', 'alerts', noPrint)).json.error.message).toContain(
      'alerts.0.fingerprint',
    );
    expectError(await call('POST', '/api/v1/alerts', 'alerts', undefined, '{"version":'), 400, 'E_BAD_REQUEST');
    expectError(await call('POST', '/api/v1/alerts', 'alerts', { version: '4', alerts: [] }), 400, 'E_BAD_REQUEST');
    expectError(await call('POST', '/api/v1/alerts', 'alerts', [1, 2]), 400, 'E_BAD_REQUEST');
    expect((await call('GET', '/api/v1/runs', 'viewer')).json.runs.length).toBe(before);
  });

  it('needs the alerts (or admin) role, and the alerts role may do nothing else', async () => {
    expectError(await call('POST', '/api/v1/alerts', undefined, webhook([{}])), 401, 'E_UNAUTHORIZED');
    expectError(await call('POST', '/api/v1/alerts', 'viewer', webhook([{}])), 403, 'E_FORBIDDEN');
    expectError(await call('POST', '/api/v1/alerts', 'operator', webhook([{}])), 403, 'E_FORBIDDEN');
    expect((await call('POST', '/api/v1/alerts', 'admin', webhook([{}]))).status).toBe(200);
    for (const [method, path] of [
      ['GET', '/api/v1/runs'],
      ['GET', '/api/v1/me'],
      ['GET', '/api/v1/events'],
      ['GET', '/api/v1/notifications'],
      ['POST', '/api/v1/runs'],
      ['POST', `/api/v1/runs/${proposedId}/approve`],
      ['POST', '/api/v1/halt'],
    ] as const)
      expectError(
        await call(method, path, 'alerts', method === 'POST' ? { reason: 'x', plan: 'evacuate-east' } : undefined),
        403,
        'E_FORBIDDEN',
      );
    const audit = await call('GET', '/api/v1/audit', 'admin');
    expect(
      audit.json.entries.some(
        (e: { action: string; actor: string; details: { outcome: string } }) =>
          e.action === 'alerts' && e.actor === 'viewer-1 (viewer)' && e.details.outcome === 'refused',
      ),
    ).toBe(true);
  });
});

describe('approving a proposed run over the API', () => {
  it('needs a reason, then starts it', async () => {
    expectError(await call('POST', `/api/v1/runs/${proposedId}/approve`, 'operator', {}), 400, 'E_BAD_REQUEST');
    expectError(
      await call('POST', `/api/v1/runs/${proposedId}/approve`, 'viewer', { reason: 'go' }),
      403,
      'E_FORBIDDEN',
    );
    const r = await call('POST', `/api/v1/runs/${proposedId}/approve`, 'operator', { reason: 'east is failing, go' });
    expect(r.status, r.text).toBe(200);
    expect(r.json).toMatchObject({
      state: 'pending',
      proposal: { approvedBy: 'operator-1', approvalReason: 'east is failing, go' },
    });
  });

  it('holds a second run of the trigger back within its minInterval, and proposes again after it', async () => {
    await call('POST', `/api/v1/runs/${proposedId}/abort`, 'operator', { reason: 'test over' });
    await clock.advanceTo(clock.now() + 60_000);
    const soon = await call('POST', '/api/v1/alerts', 'alerts', webhook([{ fingerprint: 'again1' }]));
    expect(soon.json.results[0]).toMatchObject({ outcome: 'suppressed', run: proposedId });
    expect(soon.json.results[0].reason).toContain('within its minInterval of 30m');
    await clock.advanceTo(clock.now() + 30 * 60_000);
    const later = await call('POST', '/api/v1/alerts', 'alerts', webhook([{ fingerprint: 'again1' }]));
    expect(later.json.results[0].outcome).toBe('proposed');
    expect(later.json.results[0].run).not.toBe(proposedId);
  });
});

describe('GET /api/v1/notifications', () => {
  it('lists the deliveries: a Slack message per event the notifier listens to, with the deep link', async () => {
    await loop.notifications.flushed();
    const deadline = Date.now() + 5000;
    while (loop.notifications.queued() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const r = await call('GET', '/api/v1/notifications', 'viewer');
    expect(r.status).toBe(200);
    expect(r.json.notifiers).toEqual(['sre-chat']);
    const events = r.json.deliveries.map((d: { event: string; state: string }) => `${d.event}:${d.state}`).reverse();
    expect(events).toEqual([
      'run.proposed:delivered',
      'run.started:delivered',
      'run.aborted:delivered',
      'run.proposed:delivered',
    ]);
    const first = JSON.parse(sent[0]!.body) as { text: string; blocks: { elements?: { url?: string }[] }[] };
    expect(sent[0]!.url).toBe('https://hooks.example.com/services/T0/B0/x');
    expect(first.text).toContain(`https://maelstrom.example.com/#run=${proposedId}`);
    expect(first.blocks[2]!.elements![0]!.url).toBe(`https://maelstrom.example.com/#run=${proposedId}`);
    // No signing secret variable set: unsigned.
    expect(sent[0]!.headers.get('x-maelstrom-signature')).toBeNull();
    expect(loop.warnings).toEqual([
      'notifier sre-chat: MAELSTROM_CHAT_SIGNING_SECRET is not set, so its messages go unsigned',
    ]);
  });
});
