/**
 * The drain tests reach chat: `maelstrom serve` (startServing, on the reference definitions and the simulator on
 * virtual time) sends a notifier subscribed to `test.skipped` and `tests.halted` one message for every due test
 * skipped, and one for each throw of the tests' kill switch, halt and resume, whether it was thrown through the
 * server or by another process (`maelstrom tests halt` writes the store). The sink is a real HTTP server on
 * loopback.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimBackend } from '../src/backends/sim/backend.js';
import { startServing, type Serving } from '../src/cli/serve.js';
import { loadOrFail } from '../src/load/check.js';
import type { Definitions } from '../src/model/definitions.js';
import { VirtualClock } from '../src/model/virtual-clock.js';
import { createSqliteStore, type SqliteStore } from '../src/store/sqlite/sqlite-store.js';

interface Message {
  readonly event: string;
  readonly body: { text: string; blocks: { type: string; elements?: { url?: string; text?: unknown }[] }[] };
}

const operator = { name: 'ana', role: 'operator' } as const;
const received: Message[] = [];
let sink: Server;
let sinkUrl: string;
let definitions: Definitions;

beforeAll(async () => {
  definitions = await loadOrFail(['examples']);
  sink = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      received.push({ event: String(req.headers['x-maelstrom-event']), body: JSON.parse(body) as Message['body'] });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
  sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}/hook`;
});

afterAll(async () => {
  await new Promise<void>((r) => sink.close(() => r()));
});

/** Waits (for the delivery over loopback, not for time to pass) until the sink has `n` messages. */
async function messages(n: number): Promise<Message[]> {
  for (let i = 0; i < 200 && received.length < n; i++) await new Promise((r) => setTimeout(r, 25));
  return received.slice(0, n);
}

describe('drain tests told to chat', () => {
  it('each skipped test, the halt and the resume reach a notifier subscribed to them, once each', async () => {
    const clock = new VirtualClock(Date.parse('2026-12-15T09:50:00Z'));
    const backend = createSimBackend({ fleet: definitions.fleets.get('example')!, clock, name: 'sim' });
    const store: SqliteStore = createSqliteStore({ path: ':memory:' });
    await store.init();
    const serving: Serving = await startServing({
      definitions,
      backend,
      store,
      port: 0,
      publicUrl: 'https://maelstrom.example.com',
      env: { MAELSTROM_CHAT_WEBHOOK: sinkUrl },
    });
    try {
      // The schedules run once the controller leads.
      for (let i = 0; i < 200 && !(serving.replica.isLeader() && (await serving.schedules.view())); i++)
        await new Promise((r) => setTimeout(r, 25));
      await serving.schedules.halt(operator, 'incident in east');
      const [halted] = await messages(1);
      expect(halted?.event).toBe('tests.halted');
      expect(halted?.body.text).toMatch(/^Tests halted: Drain tests halted by ana: incident in east\. No test starts/);
      const buttons = halted?.body.blocks.find((b) => b.type === 'actions')?.elements ?? [];
      expect(buttons[0]).toMatchObject({
        url: 'https://maelstrom.example.com/#tests',
        text: { text: 'Open the drain tests' },
      });

      // Tuesday's 10:00 test falls due while the tests are halted: skipped, and told.
      await clock.advanceTo(Date.parse('2026-12-15T10:01:00Z'));
      const [, skipped] = await messages(2);
      expect(skipped?.event).toBe('test.skipped');
      expect(skipped?.body.text).toMatch(
        /^Test skipped: The drain test due at 10:00 UTC \(schedule weekly-drain-tests\) is skipped: tests are halted \(by ana: incident in east\)/,
      );

      await serving.schedules.resume(operator, 'east is fine again');
      const [, , resumed] = await messages(3);
      expect(resumed?.event).toBe('tests.halted');
      expect(resumed?.body.text).toMatch(
        /^Tests resumed: Drain tests resumed by ana \(east is fine again\): they start again/,
      );

      // Thrown by another process (`maelstrom tests halt` writes the store): the controller tells it within a minute.
      await store.setTestsHalt({ halted: true, since: clock.now(), actor: 'bo (operator)', reason: 'change freeze' });
      await clock.advanceTo(clock.now() + 2 * 60_000);
      const [, , , elsewhere] = await messages(4);
      expect(elsewhere?.body.text).toMatch(/^Tests halted: Drain tests halted by bo \(operator\): change freeze/);

      // Nothing told twice.
      await clock.advanceTo(clock.now() + 5 * 60_000);
      await serving.loop.notifications.flushed();
      expect(received.map((m) => m.event)).toEqual(['tests.halted', 'test.skipped', 'tests.halted', 'tests.halted']);
      const listed = await serving.loop.notifications.list();
      expect(listed.deliveries.map((d) => d.event).sort()).toEqual([
        'test.skipped',
        'tests.halted',
        'tests.halted',
        'tests.halted',
      ]);
    } finally {
      await serving.close();
    }
  }, 120_000);
});
