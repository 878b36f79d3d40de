/**
 * The lab's load generators against a real HTTP server started here: wrk (a process of its own, when installed or
 * under CI=true) and autocannon (in process) pace the rate asked, count every answer, and count non-2xx answers
 * and lost connections as failed.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLoad, type LoadGeneratorName } from '../../src/lab/load.js';
import { freePort } from '../../src/lab/processes.js';
import { haveWrk } from '../../src/lab/wrk.js';

const generators: { name: LoadGeneratorName; available: boolean }[] = [
  { name: 'wrk', available: haveWrk() || process.env.CI === 'true' },
  { name: 'autocannon', available: true },
];
const RPS = 200;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
}

describe.each(generators)('the $name load generator', ({ name, available }) => {
  let server: Server;
  let url: string;
  let served = 0;
  beforeAll(async () => {
    // Every tenth request is answered 503.
    server = createServer((_req, res) => {
      served += 1;
      res.writeHead(served % 10 === 0 ? 503 : 200).end('ok\n');
    });
    url = await listen(server);
  });
  afterAll(() => close(server));

  it.runIf(available)(
    'paces the rate asked and counts answers and non-2xx ones, live and at the end',
    async () => {
      served = 0;
      const load = startLoad(url, RPS, { generator: name, connections: 10 });
      expect(load.generator).toBe(name);
      await sleep(500);
      const from = load.mark();
      await sleep(2_000);
      const to = load.mark();
      const result = await load.stop();
      expect(result.generator).toBe(name);
      // Paced, not as fast as the server answers (thousands a second on loopback).
      const rate = ((to.responses - from.responses) * 1000) / (to.atMs - from.atMs);
      expect(rate).toBeGreaterThan(RPS * 0.6);
      expect(rate).toBeLessThan(RPS * 1.4);
      expect(result.requests).toBeGreaterThanOrEqual(to.responses);
      expect(result.requests).toBeLessThanOrEqual(served);
      expect(result.non2xx).toBeGreaterThanOrEqual(Math.floor(result.requests / 10) - 1);
      expect(result.non2xx).toBeLessThanOrEqual(Math.ceil(served / 10));
      expect(result.failedRequests).toBeGreaterThanOrEqual(result.non2xx);
    },
    20_000,
  );

  it.runIf(available)(
    'counts connections lost and refused midway as failed requests',
    async () => {
      const going = createServer((_req, res) => res.end('ok\n'));
      const load = startLoad(await listen(going), RPS, { generator: name, connections: 2 });
      await sleep(500);
      await close(going);
      await sleep(1_000);
      const result = await load.stop();
      expect(result.requests).toBeGreaterThan(0);
      expect(result.errors).toBeGreaterThan(0);
      expect(result.failedRequests).toBeGreaterThanOrEqual(result.errors);
    },
    20_000,
  );
});

describe.runIf(haveWrk() || process.env.CI === 'true')('the wrk load generator at start', () => {
  it('fails with a clear error when nothing listens at the address', async () => {
    const load = startLoad(`http://127.0.0.1:${await freePort()}/`, RPS, { generator: 'wrk', connections: 2 });
    await sleep(500);
    const stopped = load.stop();
    await expect(stopped).rejects.toMatchObject({ code: 'E_BACKEND_UNAVAILABLE' });
    await expect(stopped).rejects.toThrow(/before it was stopped:\s+unable to connect .*Connection refused/);
  });
});
