import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDefinitions } from '../../load/load.js';
import { backendConformance } from '../conformance.js';
import { createSimBackend } from './backend.js';
import { createRemoteSimBackend, parseSimUrl } from './remote.js';
import { scaledClock, startSimServer, type RunningSimServer } from './server.js';

const { definitions } = await loadDefinitions(['examples']);
const fleet = definitions.fleets.get('example')!;
const scenario = definitions.scenarios.get('drain-test-east')!;

async function serve(speed = 60): Promise<RunningSimServer> {
  const backend = createSimBackend({ fleet, scenario, clock: scaledClock(Date.parse(scenario.spec.start), speed) });
  return startSimServer(backend, { speed, port: 0, scenario: scenario.metadata.name });
}

backendConformance('sim over HTTP', async () => {
  const server = await serve();
  const backend = createRemoteSimBackend(`sim+${server.url}`);
  await backend.init();
  return { backend, service: 'web', layer: 'edge', cleanup: () => server.close() };
});

describe('remote sim backend', () => {
  let server: RunningSimServer;
  beforeAll(async () => {
    server = await serve(60);
  });
  afterAll(async () => {
    await server.close();
  });

  it("reads the server's clock and speed, and journals actions with their origin over GET /journal", async () => {
    const backend = createRemoteSimBackend(`sim+${server.url}`);
    await backend.init();
    const start = Date.parse(scenario.spec.start);
    expect(backend.clock.now()).toBeGreaterThanOrEqual(start);
    expect(backend.clock.now()).toBeLessThan(start + 60_000 * 60);
    expect(backend.oracle.propagationMs('edge')).toBe(30_000);
    expect(backend.supports.has('stateful.primary')).toBe(true);
    const origin = { runId: 'r9', taskId: 'web/shift', stage: 0, attempt: 1 };
    const action = { kind: 'config.set', key: 'feature', value: { on: true } } as const;
    expect((await backend.act(action, { origin })).changed).toBe(true);
    expect((await backend.act(action, { origin })).changed).toBe(false);
    const res = await fetch(`${server.url}/journal`);
    const journal = (await res.json()) as {
      seq: number;
      kind: string;
      target: string;
      origin: unknown;
      changed: boolean;
      time: number;
    }[];
    expect(journal.map((e) => [e.seq, e.kind, e.target, e.changed])).toEqual([
      [1, 'config.set', 'config:feature', true],
      [2, 'config.set', 'config:feature', false],
    ]);
    expect(journal[0]!.origin).toEqual(origin);
    expect(journal[1]!.time).toBeGreaterThanOrEqual(journal[0]!.time);
    expect(await backend.journal()).toEqual(journal);
    const truth = await backend.oracle.truth('web');
    expect(truth.capacity.east).toBe(14000);
    // The world's own changes, stamped, are served apart: GET /journal/world, read by the remote as worldJournal().
    const world = (await (await fetch(`${server.url}/journal/world`)).json()) as unknown[];
    expect(Array.isArray(world)).toBe(true);
    expect((await backend.worldJournal()).length).toBeGreaterThanOrEqual(world.length);
  });

  it('journals the epoch of every call, refuses one older than an accepted epoch with refused: true, over HTTP', async () => {
    const own = await serve(60);
    try {
      const backend = createRemoteSimBackend(`sim+${own.url}`);
      await backend.init();
      const origin = { runId: 'r1', taskId: 'web/shift', stage: 0, attempt: 1 };
      const set = (value: number) => ({ kind: 'config.set', key: 'k', value }) as const;
      await backend.act(set(1), { origin, epoch: 1 });
      await backend.act(set(2), { origin, epoch: 2 });
      await expect(backend.act(set(3), { origin, epoch: 1 })).rejects.toMatchObject({ code: 'E_FENCED' });
      await backend.act(set(4), { origin, epoch: 2 });
      const journal = (await (await fetch(`${own.url}/journal`)).json()) as Record<string, unknown>[];
      expect(journal.map((e) => [e.seq, e.epoch, e.changed, e.refused ?? false])).toEqual([
        [1, 1, true, false],
        [2, 2, true, false],
        [3, 1, false, true],
        [4, 2, true, false],
      ]);
      // The contract's fields, whatever else an entry holds.
      for (const e of journal)
        for (const k of ['seq', 'kind', 'action', 'origin', 'changed', 'epoch']) expect(e).toHaveProperty(k);
      const accepted = journal.filter((e) => e.refused !== true).map((e) => e.epoch as number);
      expect(accepted).toEqual([...accepted].sort((a, b) => a - b));
    } finally {
      await own.close();
    }
  });

  it('serves Prometheus gauges per service and datacenter on /metrics', async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).toContain('# TYPE maelstrom_sim_utilization gauge');
    expect(text).toMatch(/^maelstrom_sim_utilization\{service="web",datacenter="east"\} 0\.\d+$/m);
    expect(text).toMatch(/^maelstrom_sim_failed_requests_total \d/m);
  });

  it('refuses a malformed body with E_BAD_REQUEST, and passes errors through with their code', async () => {
    const res = await fetch(`${server.url}/act`, {
      method: 'POST',
      body: '{',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('E_BAD_REQUEST');
    const backend = createRemoteSimBackend(server.url);
    await expect(backend.weights('edge', 'nope')).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
  });

  it('a hung mechanism holds the request until the client gives up', async () => {
    const hung = {
      ...scenario,
      spec: {
        ...scenario.spec,
        faults: [{ at: '0s', kind: 'mechanism' as const, mechanism: 'config', mode: 'hang' as const }],
      },
    };
    const inner = createSimBackend({ fleet, scenario: hung, clock: scaledClock(Date.parse(scenario.spec.start), 60) });
    const hungServer = await startSimServer(inner, { speed: 60, port: 0 });
    try {
      const backend = createRemoteSimBackend(`sim+${hungServer.url}`);
      await expect(
        backend.act({ kind: 'config.set', key: 'k', value: 1 }, { signal: AbortSignal.timeout(200) }),
      ).rejects.toMatchObject({ code: 'E_ABORTED', retryable: true });
      expect((await backend.journal())[0]).toMatchObject({
        kind: 'config.set',
        changed: false,
        error: { code: 'E_TIMEOUT' },
      });
    } finally {
      await hungServer.close();
    }
  });

  it('refuses a port already in use with a clear error', async () => {
    const port = Number(new URL(server.url).port);
    const backend = createSimBackend({ fleet, scenario });
    await expect(startSimServer(backend, { speed: 1, port })).rejects.toMatchObject({
      code: 'E_BAD_REQUEST',
      message: `port ${port} on 127.0.0.1 is already in use`,
    });
  });

  it('reports an unreachable simulator as a retryable E_BACKEND_UNAVAILABLE', async () => {
    const backend = createRemoteSimBackend('sim+http://127.0.0.1:1');
    await expect(backend.snapshot()).rejects.toMatchObject({ code: 'E_BACKEND_UNAVAILABLE', retryable: true });
    expect(() => parseSimUrl('haproxy://x')).toThrow(/sim\+http/);
  });
});
