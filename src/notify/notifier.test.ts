/**
 * Deliveries to a real HTTP sink on loopback, timed on the notifier's own virtual clock: a sink that answers 500 for
 * two minutes of that clock gets every message once it recovers, without anyone waiting two real minutes.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunView } from '../model/api.js';
import type { EngineEvent } from '../model/events.js';
import { VirtualClock } from '../model/virtual-clock.js';
import { createSqliteStore, type SqliteStore } from '../store/sqlite/sqlite-store.js';
import { signature } from './message.js';
import { createNotifications, type Notifications } from './notifier.js';
import type { Sink } from './sinks.js';

interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly status: number;
}

interface TestSink {
  readonly url: string;
  readonly received: Received[];
  close(): Promise<void>;
}

/** A webhook receiver answering `status()` to every request. */
async function startSink(status: () => number): Promise<TestSink> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const s = status();
      received.push({ headers: req.headers, body, status: s });
      res.writeHead(s, { 'content-type': 'text/plain' }).end(s === 200 ? 'ok' : 'the sink is down');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const T0 = Date.parse('2026-03-02T12:00:00Z');
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

function runView(id: string): RunView {
  return {
    id,
    plan: 'evacuate-east-now',
    state: 'proposed',
    datacenter: 'east',
    direction: 'drain',
    createdAt: T0,
    tasks: [],
    allowedActions: ['approve', 'abort'],
  };
}

const proposedEvent = (runId: string): EngineEvent => ({
  type: 'run.state',
  time: T0,
  runId,
  plan: 'evacuate-east-now',
  state: 'proposed',
});

async function setUp(
  sinkStatus: (now: number) => number,
  over: { secret?: string; queueLimit?: number } = {},
): Promise<{ clock: VirtualClock; sink: TestSink; store: SqliteStore; n: Notifications }> {
  const clock = new VirtualClock(T0);
  const sink = await startSink(() => sinkStatus(clock.now()));
  const store = createSqliteStore({ path: ':memory:' });
  await store.init();
  const s: Sink = {
    name: 'sre-chat',
    url: sink.url,
    format: 'slack',
    events: new Set(['run.proposed']),
    ...(over.secret ? { secret: over.secret } : {}),
  };
  const n = createNotifications({
    sinks: [s],
    store,
    runs: { getRun: async (id) => runView(id) },
    publicUrl: () => 'https://maelstrom.example.com',
    clock,
    ...(over.queueLimit !== undefined ? { queueLimit: over.queueLimit } : {}),
  });
  cleanup.push(
    () => store.close(),
    () => sink.close(),
    () => n.close(),
  );
  return { clock, sink, store, n };
}

/** Waits for real (an HTTP round trip takes real time) until `check` holds. */
async function eventually(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Moves the notifier's clock from one of its sleeps to the next until nothing is queued. */
async function drain(n: Notifications, clock: VirtualClock, limitMs = 3600_000): Promise<void> {
  const end = clock.now() + limitMs;
  await n.flushed();
  for (;;) {
    await eventually(() => n.queued() === 0 || clock.pending() > 0, 'the notifier to wait or finish');
    if (n.queued() === 0) return;
    const next = clock.nextAt()!;
    if (next > end) throw new Error('the notifier was still sending at the limit');
    await clock.advanceTo(next);
  }
}

describe('notifier deliveries', () => {
  it('delivers every message once, in order, when a sink that answered 500 for 2 minutes recovers', async () => {
    const { sink, store, n, clock: c } = await setUp((now) => (now < T0 + 120_000 ? 500 : 200));
    for (const id of ['run-1', 'run-2', 'run-3', 'run-4', 'run-5']) n.observe(proposedEvent(id));
    await drain(n, c);

    const ok = sink.received.filter((r) => r.status === 200);
    expect(ok.map((r) => r.headers['x-maelstrom-delivery'])).toEqual(['1', '2', '3', '4', '5']);
    const linked = ok.map((r) => /#run=([\w-]+)/.exec((JSON.parse(r.body) as { text: string }).text)?.[1]);
    expect(linked).toEqual(['run-1', 'run-2', 'run-3', 'run-4', 'run-5']);
    // Only the first waited through the outage; each of the others went through on its first try after it.
    expect(sink.received.filter((r) => r.status === 500).every((r) => r.headers['x-maelstrom-delivery'] === '1')).toBe(
      true,
    );
    const list = await n.list();
    expect(list.deliveries.map((d) => [d.id, d.state])).toEqual([
      [5, 'delivered'],
      [4, 'delivered'],
      [3, 'delivered'],
      [2, 'delivered'],
      [1, 'delivered'],
    ]);
    const first = list.deliveries[4]!;
    expect(first.attempts).toBeGreaterThan(5);
    expect(first.deliveredAt).toBeGreaterThanOrEqual(T0 + 120_000);
    // Back-off doubles up to 30 s: the first success comes within 30 s of the recovery.
    expect(first.deliveredAt).toBeLessThanOrEqual(T0 + 150_000);
    expect(first.error).toBeUndefined();
    expect((await store.listDeliveries({ state: 'pending' })).length).toBe(0);
  });

  it('gives up after 10 minutes of failures, recording the failure and its last error', async () => {
    const { n, clock } = await setUp(() => 503);
    n.observe(proposedEvent('run-1'));
    await drain(n, clock);
    const [d] = (await n.list()).deliveries;
    expect(d).toMatchObject({ state: 'failed', notifier: 'sre-chat', event: 'run.proposed', runId: 'run-1' });
    expect(d!.error).toBe('not delivered within 10 min; last: HTTP 503: the sink is down');
    expect(d!.lastAttemptAt).toBe(T0 + 600_000);
    expect(clock.now()).toBe(T0 + 600_000);
  });

  it('fails at once on a 4xx answer other than 408 and 429: sending the same again would fail the same way', async () => {
    const { n, clock, sink } = await setUp(() => 404);
    n.observe(proposedEvent('run-1'));
    await drain(n, clock);
    expect(sink.received).toHaveLength(1);
    expect((await n.list()).deliveries[0]).toMatchObject({
      state: 'failed',
      attempts: 1,
      error: 'HTTP 404: the sink is down',
    });
  });

  it("signs each body with the notifier's secret, in X-Maelstrom-Signature", async () => {
    const { n, clock, sink } = await setUp(() => 200, { secret: 'hunter2' });
    n.observe(proposedEvent('run-1'));
    await drain(n, clock);
    const [r] = sink.received;
    expect(r!.headers['x-maelstrom-signature']).toBe(signature('hunter2', r!.body));
    expect(r!.headers['x-maelstrom-event']).toBe('run.proposed');
    expect(r!.headers['content-type']).toBe('application/json');
  });

  it('keeps a bounded queue: when it is full, the oldest waiting message is dropped and recorded as failed', async () => {
    const { n, clock: c } = await setUp((now) => (now < T0 + 60_000 ? 500 : 200), { queueLimit: 3 });
    for (const id of ['run-1', 'run-2', 'run-3', 'run-4', 'run-5']) n.observe(proposedEvent(id));
    await drain(n, c);
    const states = (await n.list()).deliveries.map((d) => [d.runId, d.state, d.error]).reverse();
    expect(states).toEqual([
      ['run-1', 'delivered', undefined],
      ['run-2', 'failed', 'dropped: 3 messages were waiting for sre-chat'],
      ['run-3', 'failed', 'dropped: 3 messages were waiting for sre-chat'],
      ['run-4', 'delivered', undefined],
      ['run-5', 'delivered', undefined],
    ]);
  });

  it('returns from observe at once, and records nothing for an event no notifier listens to', async () => {
    const { n, store } = await setUp(() => 200);
    const before = performance.now();
    for (let i = 0; i < 10_000; i++)
      n.observe({ type: 'run.state', time: T0, runId: `r${i}`, plan: 'p', state: 'succeeded' });
    expect(performance.now() - before).toBeLessThan(500);
    await n.flushed();
    expect(await store.listDeliveries()).toEqual([]);
  });

  it('picks up the deliveries a previous process left pending, and fails those too old to send', async () => {
    const { n, clock, store, sink } = await setUp(() => 200);
    const base = {
      notifier: 'sre-chat',
      event: 'run.proposed' as const,
      summary: 's',
      state: 'pending' as const,
      attempts: 1,
      body: '{"text":"left over"}',
      contentType: 'application/json',
    };
    await store.recordDelivery({ ...base, runId: 'old', createdAt: T0 - 700_000 });
    await store.recordDelivery({ ...base, runId: 'recent', createdAt: T0 - 60_000 });
    await n.start();
    await drain(n, clock);
    expect(sink.received.map((r) => r.body)).toEqual(['{"text":"left over"}']);
    const byRun = Object.fromEntries((await n.list()).deliveries.map((d) => [d.runId, d.state]));
    expect(byRun).toEqual({ old: 'failed', recent: 'delivered' });
  });
});
