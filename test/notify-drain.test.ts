/**
 * The figure of the notifiers: with a notifier pointed at a sink that answers 500 for its first 2 minutes, the drain
 * test of east takes exactly as long on virtual time as without any notifier, and every message arrives once the
 * sink recovers. The notifier lives on its own clock (wall time in production, a virtual one here, so the test does
 * not wait 2 real minutes); the engine never waits for it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDrill } from '../src/drill/runner.js';
import { toRunView } from '../src/engine/view.js';
import { loadOrFail } from '../src/load/check.js';
import type { Definitions } from '../src/model/definitions.js';
import { NotifyEvent } from '../src/model/definitions.js';
import { MaelstromError } from '../src/model/errors.js';
import { VirtualClock } from '../src/model/virtual-clock.js';
import { createNotifications } from '../src/notify/notifier.js';
import { buildReport } from '../src/report/report.js';
import { createSqliteStore } from '../src/store/sqlite/sqlite-store.js';

const SCENARIO = 'drain-test-east';
const OUTAGE_MS = 120_000;
let definitions: Definitions;
let server: Server;
let url: string;
let notifierClock: VirtualClock;
const T0 = Date.parse('2026-03-02T12:00:00Z');
const received: { id: string; status: number; event: string }[] = [];

beforeAll(async () => {
  definitions = await loadOrFail(['examples']);
  notifierClock = new VirtualClock(T0);
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const status = notifierClock.now() - T0 < OUTAGE_MS ? 500 : 200;
      received.push({
        id: String(req.headers['x-maelstrom-delivery']),
        status,
        event: String(req.headers['x-maelstrom-event']),
      });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

describe('notifications during a drain', () => {
  it('leave the drain’s time on virtual clock unchanged, and all arrive once a sink failing for 2 minutes recovers', async () => {
    const without = buildReport(await runDrill({ definitions, scenario: SCENARIO }));

    const store = createSqliteStore({ path: ':memory:' });
    await store.init();
    const notifications = createNotifications({
      sinks: [{ name: 'chat', url, format: 'slack', events: new Set(NotifyEvent.options) }],
      store,
      runs: {
        getRun: async (id) => {
          const run = await store.getRun(id);
          if (!run) throw new MaelstromError('E_NOT_FOUND', id);
          return toRunView(run, await store.getTasks(id));
        },
      },
      publicUrl: () => 'https://maelstrom.example.com',
      clock: notifierClock,
    });
    const withNotifier = buildReport(
      await runDrill({ definitions, scenario: SCENARIO, store, onEvent: (e) => notifications.observe(e) }),
    );

    const seconds = (r: typeof without) => r.plans.map((p) => [p.name, p.outcome, p.drainSeconds]);
    expect(seconds(withNotifier)).toEqual(seconds(without));
    expect(withNotifier.plans[0]!.drainSeconds).toBeGreaterThan(0);
    process.stdout.write(
      `drainSeconds without notifier ${JSON.stringify(seconds(without))}, with ${JSON.stringify(seconds(withNotifier))}\n`,
    );

    // The sink has been failing all along; now let the notifier's clock run through the outage and beyond.
    await notifications.flushed();
    const queued = notifications.queued();
    expect(queued).toBeGreaterThan(0);
    for (;;) {
      const deadline = Date.now() + 10_000;
      while (notifications.queued() > 0 && notifierClock.pending() === 0) {
        if (Date.now() > deadline) throw new Error('the notifier neither sent nor waited');
        await new Promise((r) => setTimeout(r, 2));
      }
      if (notifications.queued() === 0) break;
      await notifierClock.advanceTo(notifierClock.nextAt()!);
    }
    const deliveries = (await notifications.list(500)).deliveries;
    expect(deliveries.length).toBe(queued);
    expect(deliveries.every((d) => d.state === 'delivered')).toBe(true);
    const ok = received.filter((r) => r.status === 200).map((r) => r.id);
    expect(ok).toHaveLength(deliveries.length);
    expect(new Set(ok).size).toBe(ok.length);
    expect(ok).toEqual([...ok].sort((a, b) => Number(a) - Number(b)));
    const events = deliveries.map((d) => d.event).reverse();
    expect(events[0]).toBe('run.started');
    expect(events).toContain('run.finished');
    process.stdout.write(
      `notifications: ${deliveries.length} delivered (${events.join(', ')}); ` +
        `${received.filter((r) => r.status === 500).length} attempts answered 500 during the outage; ` +
        `the last delivered ${(Math.max(...deliveries.map((d) => d.deliveredAt ?? 0)) - T0) / 1000} s after the outage began\n`,
    );
    await notifications.close();
    await store.close();
  }, 300_000);
});
