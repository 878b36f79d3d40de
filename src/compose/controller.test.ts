import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { createSimBackend } from '../backends/sim/backend.js';
import { runDrill } from '../drill/runner.js';
import { CONTROLLER_LEASE } from '../engine/lease.js';
import { loadOrFail } from '../load/check.js';
import type { Definitions } from '../model/definitions.js';
import { MaelstromError } from '../model/errors.js';
import { VirtualClock } from '../model/virtual-clock.js';
import { main } from '../main.js';
import { createSqliteStore, type SqliteStore } from '../store/sqlite/sqlite-store.js';
import type { LeaseStore } from '../store/store.js';
import { createController } from './controller.js';

/** One service, one plan that waits ten minutes, and a drill of it: small enough to drive in a few ms. */
const TINY = `
apiVersion: maelstrom/v1
kind: Fleet
metadata: { name: tiny }
spec:
  datacenters:
    - { name: east, clusters: [east-a] }
    - { name: west, clusters: [west-a] }
  pops:
    - { name: nyc, share: 1, weights: { east: 50, west: 50 } }
  services:
    - name: web
      type: stateless
      userFacing: true
      demand: 100
      capacity: { east: 1000, west: 1000 }
---
apiVersion: maelstrom/v1
kind: TaskTemplate
metadata: { name: linger }
spec:
  params: { service: { type: service }, datacenter: { type: datacenter } }
  stages:
    - uses: wait.for
      with: { duration: 10m }
---
apiVersion: maelstrom/v1
kind: Runbook
metadata: { name: linger }
spec:
  direction: drain
  params: { service: { type: service }, datacenter: { type: datacenter } }
  tasks:
    - { name: linger, template: linger, with: { service: '\${{ params.service }}', datacenter: '\${{ params.datacenter }}' } }
---
apiVersion: maelstrom/v1
kind: Plan
metadata: { name: tiny-drain }
spec: { fleet: tiny, direction: drain, datacenter: east, runbooks: [ { match: {}, runbook: linger } ] }
---
apiVersion: maelstrom/v1
kind: Scenario
metadata: { name: tiny-drill }
spec:
  fleet: tiny
  seed: 1
  start: 2026-03-02T12:00:00Z
  duration: 2h
  run:
    - { at: 1m, plan: tiny-drain }
`;

const dir = mkdtempSync(join(tmpdir(), 'maelstrom-compose-'));
writeFileSync(join(dir, 'tiny.yaml'), TINY);
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const stores: SqliteStore[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

async function memoryStore(): Promise<SqliteStore> {
  const store = createSqliteStore({ path: ':memory:' });
  await store.init();
  stores.push(store);
  return store;
}

async function tiny(): Promise<Definitions> {
  return loadOrFail([dir], { warn: () => undefined });
}

/** Who holds the store's controller lease now (taking it for a moment from nobody, then giving it back). */
async function holderOf(store: LeaseStore): Promise<string | undefined> {
  const probe = 'probe/0/0';
  const lease = await store.acquireLease(CONTROLLER_LEASE, probe, { now: Date.now(), until: Date.now() + 1 });
  if (lease.holder !== probe) return lease.holder;
  await store.releaseLease(CONTROLLER_LEASE, probe);
  return undefined;
}

/** Another controller of this host that is alive (this very process, under another nonce) holding the lease. */
async function heldByAnother(store: LeaseStore): Promise<string> {
  const other = `${hostname()}/${process.pid}/elsewhere`;
  await store.acquireLease(CONTROLLER_LEASE, other, { now: Date.now(), until: Date.now() + 60_000 });
  return other;
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return e instanceof MaelstromError ? e.code : `not a MaelstromError: ${String(e)}`;
  }
  return 'no error';
}

describe('the composition root', () => {
  it('takes the store lease before anything is driven and gives it up on close', async () => {
    const definitions = await tiny();
    const store = await memoryStore();
    const backend = createSimBackend({ fleet: definitions.fleets.get('tiny')!, clock: new VirtualClock(0) });
    const controller = await createController({ definitions, backend, store, requestPollMs: false });
    expect(await holderOf(store)).toBe(controller.holder);
    await controller.close();
    await controller.close();
    expect(await holderOf(store)).toBeUndefined();
  });

  it('refuses a store another controller drives, naming it, unless told to stand by; then takes over', async () => {
    const definitions = await tiny();
    const store = await memoryStore();
    const backend = createSimBackend({ fleet: definitions.fleets.get('tiny')!, clock: new VirtualClock(0) });
    const other = await heldByAnother(store);
    const refused = createController({ definitions, backend, store });
    await expect(refused).rejects.toMatchObject({ code: 'E_INVALID_STATE' });
    await expect(refused).rejects.toThrow(`another controller (${other}) drives the runs of this store`);

    const seen: string[] = [];
    const standby = createController({
      definitions,
      backend,
      store,
      requestPollMs: false,
      lease: {
        whenHeld: 'wait',
        retryMs: 5,
        onStandby: (holder) => seen.push(`standing by for ${holder}`),
        onTakeover: (previous) => seen.push(`taking over from ${previous}`),
      },
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(seen).toEqual([`standing by for ${other}`]);
    await store.releaseLease(CONTROLLER_LEASE, other);
    const controller = await standby;
    expect(seen).toEqual([`standing by for ${other}`, `taking over from ${other}`]);
    expect(await holderOf(store)).toBe(controller.holder);
    await controller.close();

    // A standby stopped while it waits builds nothing.
    await heldByAnother(store);
    const stop = new AbortController();
    const stopped = createController({
      definitions,
      backend,
      store,
      lease: { whenHeld: 'wait', retryMs: 5, signal: stop.signal },
    });
    stop.abort();
    expect(await code(stopped)).toBe('E_ABORTED');
  });

  it('stops driving at once when its lease is lost', async () => {
    const definitions = await tiny();
    const real = await memoryStore();
    let stolen = false;
    const store = new Proxy(real, {
      get(target, key, receiver) {
        if (key === 'acquireLease' && stolen)
          return async () => ({ name: CONTROLLER_LEASE, holder: 'thief/1/x', expiresAt: Date.now() + 60_000 });
        return Reflect.get(target, key, receiver) as unknown;
      },
    });
    const clock = new VirtualClock(Date.parse('2026-03-02T12:00:00Z'));
    const backend = createSimBackend({ fleet: definitions.fleets.get('tiny')!, clock });
    const controller = await createController({
      definitions,
      backend,
      store,
      requestPollMs: false,
      lease: { ttlMs: 30 },
    });
    const run = await controller.startRun('tiny-drain', { name: 'ana', role: 'operator' });
    await clock.runUntil(() => false, clock.now() + 60_000);
    expect(controller.activeRunIds()).toEqual([run.id]);
    stolen = true;
    expect(await controller.lost).toMatch(/went to thief\/1\/x/);
    await controller.close();
    // Closed: the ten-minute wait never ends and the run stays, unfinished, in the store.
    await clock.runUntil(() => false, clock.now() + 3600_000);
    expect((await real.getRun(run.id))?.state).toBe('running');
  });

  it('a drill holds its store lease while it runs, and refuses a store another controller drives', async () => {
    const definitions = await tiny();
    const store = await memoryStore();
    const during: Promise<string | undefined>[] = [];
    const result = await runDrill({
      definitions,
      scenario: 'tiny-drill',
      store,
      onEvent: (e) => {
        if (e.type === 'run.state' && e.state === 'running') during.push(holderOf(store));
      },
    });
    expect(result.runs.map((r) => r.view?.state)).toEqual(['succeeded']);
    expect(during).toHaveLength(1);
    expect(await during[0]).toMatch(new RegExp(`^${hostname()}/${process.pid}/`));
    expect(await holderOf(store)).toBeUndefined();

    const other = await heldByAnother(store);
    await expect(runDrill({ definitions, scenario: 'tiny-drill', store })).rejects.toThrow(
      `another controller (${other}) drives the runs of this store`,
    );
  });

  it('maelstrom run holds the store lease while it drives, and refuses a store another controller drives', async () => {
    const file = join(dir, 'run.db');
    const args = ['node', 'maelstrom', 'run', 'tiny-drain', '-f', dir, '--store', `sqlite:${file}`, '--plain'];
    // What the leases table says at each line `run` prints while it drives, read through a connection of its own.
    const db = new Database(file);
    const holders: (string | undefined)[] = [];
    const out: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      out.push(String(chunk));
      if (/^(started run|\S+ (task|run) )/.test(String(chunk))) {
        const row = db.prepare('SELECT holder FROM leases WHERE name = ?').get(CONTROLLER_LEASE) as
          { holder: string } | undefined;
        holders.push(row?.holder);
      }
      return true;
    });
    const err: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      err.push(String(chunk));
      return true;
    });
    try {
      const store = createSqliteStore({ path: file });
      await store.init();
      stores.push(store);
      expect(await main(args), err.join('')).toBe(0);
      expect(out.join('')).toMatch(/run run-\w+ of tiny-drain: succeeded/);
      expect(holders.length).toBeGreaterThan(1);
      expect(new Set(holders).size, holders.join(', ')).toBe(1);
      expect(holders[0]).toMatch(new RegExp(`^${hostname()}/${process.pid}/`));
      expect(await holderOf(store)).toBeUndefined();

      const other = await heldByAnother(store);
      out.length = 0;
      err.length = 0;
      expect(await main(args)).toBe(3);
      expect(err.join('')).toContain(`E_INVALID_STATE: another controller (${other}) drives the runs of this store`);
      expect(out.join('')).not.toContain('started run');
      expect(await store.listRuns()).toHaveLength(1);
    } finally {
      db.close();
    }
  });
});
