/**
 * The event stream over real sockets: many clients at once each receive every event, in order, once; a client that
 * stops reading for a while holds up no one else and loses nothing when it reads again.
 */
import { request, type IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimBackend } from '../src/backends/sim/backend.js';
import { createToken } from '../src/cli/token.js';
import type { EngineController } from '../src/compose/controller.js';
import type { VirtualClock } from '../src/model/virtual-clock.js';
import { listen, type RunningServer } from '../src/server/start.js';
import { startServerWorld, type ServerWorld } from './server-fixture.js';

let world: ServerWorld;
let backend: SimBackend;
let controller: EngineController;
let running: RunningServer;
let token = '';

beforeAll(async () => {
  world = await startServerWorld();
  ({ backend, controller } = world);
  token = await createToken(world.store, 'viewer', 'viewer-1');
  const operator = await createToken(world.store, 'operator', 'operator-1');
  running = await listen(world.server.app, { port: 0 });
  // Some history before the clients connect, so that they also catch up.
  const res = await fetch(`${running.url}/api/v1/runs`, {
    method: 'POST',
    headers: { authorization: `Bearer ${operator}`, 'content-type': 'application/json' },
    body: JSON.stringify({ plan: 'evacuate-east' }),
  });
  expect(res.status).toBe(201);
  await (backend.clock as VirtualClock).runUntil(() => false, backend.clock.now() + 120_000);
});

afterAll(async () => {
  await running.close();
  await world.close();
});

interface Reader {
  ids: number[];
  res?: IncomingMessage;
  /** Resolves once `n` events have arrived. */
  received(n: number): Promise<void>;
  destroy(): void;
}

function open(after: number): Promise<Reader> {
  return new Promise((resolve, reject) => {
    const waiters: { n: number; resolve: () => void }[] = [];
    const reader: Reader = {
      ids: [],
      received: (n) =>
        new Promise<void>((r) => {
          if (reader.ids.length >= n) r();
          else waiters.push({ n, resolve: r });
        }),
      destroy: () => undefined,
    };
    const req = request(
      `${running.url}/api/v1/events?after=${after}`,
      { headers: { authorization: `Bearer ${token}` }, agent: false },
      (res) => {
        expect(res.statusCode).toBe(200);
        expect(res.headers['content-type']).toMatch(/text\/event-stream/);
        reader.res = res;
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buf += chunk;
          let i: number;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const m = /^id: (\d+)$/m.exec(buf.slice(0, i));
            buf = buf.slice(i + 2);
            if (m) reader.ids.push(Number(m[1]));
          }
          for (const w of waiters.filter((x) => reader.ids.length >= x.n)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve();
          }
        });
        resolve(reader);
      },
    );
    req.on('error', reject);
    req.end();
    reader.destroy = () => {
      req.destroy();
    };
  });
}

describe('event stream over sockets', () => {
  it('delivers every event to each of many clients, in order and once, a paused reader included', async () => {
    const stored = (await controller.events({ afterSeq: 0, limit: 100_000 })).map((e) => e.seq!);
    expect(stored.length).toBeGreaterThan(10);
    const readers = await Promise.all(Array.from({ length: 40 }, () => open(0)));
    const slow = readers[0]!;
    slow.res!.pause();
    // Live events while one client does not read.
    await (backend.clock as VirtualClock).runUntil(() => false, backend.clock.now() + 600_000);
    const all = (await controller.events({ afterSeq: 0, limit: 100_000 })).map((e) => e.seq!);
    expect(all.length).toBeGreaterThan(stored.length);
    await Promise.all(readers.slice(1).map((r) => r.received(all.length)));
    for (const r of readers.slice(1)) expect(r.ids).toEqual(all);
    expect(slow.ids.length).toBeLessThan(all.length);
    slow.res!.resume();
    await slow.received(all.length);
    expect(slow.ids).toEqual(all);
    for (const r of readers) r.destroy();
  });
});
