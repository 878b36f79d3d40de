/**
 * The PostgreSQL store against a real PostgreSQL server that this test starts itself (initdb in a temporary
 * directory, a free loopback port) and stops afterwards.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeConformance } from '../conformance.js';
import type { Store } from '../store.js';
import { postgresMigrations } from '../migrations/postgres.js';
import { createPostgresStore } from './postgres-store.js';

function postgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** PostgreSQL refuses to run as root: when the test runs as root, the server runs as the `postgres` user. */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const r = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const g = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (r.status !== 0 || g.status !== 0)
    throw new Error('running as root and there is no postgres user to run PostgreSQL as');
  return { uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
}

const bin = postgresBin();
const available = bin !== undefined || process.env.CI === 'true';

describe.runIf(available)('postgres store', () => {
  let server: ChildProcess | undefined;
  let dir = '';
  let base = '';
  let admin: pg.Client;
  let n = 0;

  beforeAll(async () => {
    if (!bin) throw new Error('PostgreSQL is not installed under /usr/lib/postgresql');
    dir = mkdtempSync(join(tmpdir(), 'maelstrom-pg-'));
    const user = runAs();
    if (user) chownSync(dir, user.uid, user.gid);
    const data = join(dir, 'data');
    const init = spawnSync(
      join(bin, 'initdb'),
      ['-D', data, '-U', 'maelstrom', '--auth=trust', '-E', 'UTF8', '--no-sync'],
      { encoding: 'utf8', ...(user ?? {}) },
    );
    if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
    const port = await freePort();
    server = spawn(
      join(bin, 'postgres'),
      ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off'],
      { stdio: 'ignore', ...(user ?? {}) },
    );
    base = `postgres://maelstrom@127.0.0.1:${port}`;
    const deadline = Date.now() + 30_000;
    for (;;) {
      admin = new pg.Client({ connectionString: `${base}/postgres` });
      try {
        await admin.connect();
        break;
      } catch (e) {
        await admin.end().catch(() => undefined);
        if (Date.now() > deadline) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  });

  afterAll(async () => {
    await admin?.end().catch(() => undefined);
    if (server && server.exitCode === null) {
      const exited = new Promise((r) => server!.once('exit', r));
      server.kill('SIGINT');
      await exited;
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const urls = new WeakMap<Store, string>();
  async function fresh(): Promise<Store> {
    const db = `conformance_${n++}`;
    await admin.query(`CREATE DATABASE ${db}`);
    const url = `${base}/${db}`;
    const store = createPostgresStore({ url });
    await store.init();
    urls.set(store, url);
    return store;
  }

  storeConformance('postgres', fresh, {
    reopen: async (old) => {
      await old.close();
      const store = createPostgresStore({ url: urls.get(old)! });
      await store.init();
      return store;
    },
  });

  it('applies its migrations once, even when two controllers start together', async () => {
    const db = 'migrate_twice';
    await admin.query(`CREATE DATABASE ${db}`);
    const a = createPostgresStore({ url: `${base}/${db}` });
    const b = createPostgresStore({ url: `${base}/${db}` });
    await Promise.all([a.init(), b.init()]);
    expect(await a.schemaVersion()).toBe(postgresMigrations.at(-1)!.version);
    const rows = await b.listRuns();
    expect(rows).toEqual([]);
    await Promise.all([a.close(), b.close()]);
  });

  it('moves the requests still pending in the audit log of a version 2 store to the requests table', async () => {
    await admin.query('CREATE DATABASE requests_v2');
    const url = `${base}/requests_v2`;
    const v2 = createPostgresStore({ url }, postgresMigrations.slice(0, 2));
    await v2.init();
    const command = { kind: 'command', runId: 'r1', command: { action: 'pause', reason: 'look' }, role: 'operator' };
    const applied = await v2.appendAudit({
      time: 1,
      actor: 'alice',
      action: 'request',
      target: 'r1',
      details: command,
    });
    await v2.appendAudit({ time: 2, actor: 'alice', action: 'request.applied', details: { requestId: applied } });
    await v2.appendAudit({ time: 3, actor: 'bob', action: 'request', target: 'r1', details: command });
    await v2.appendAudit({
      time: 4,
      actor: 'carol',
      action: 'request',
      details: { kind: 'halt', reason: 'x', role: 'admin' },
    });
    await v2.appendAudit({ time: 5, actor: 'dave', action: 'token.create', details: { role: 'viewer' } });
    await v2.close();
    const v3 = createPostgresStore({ url });
    await v3.init();
    const { role: _role, ...body } = command;
    expect((await v3.pendingRequests()).map(({ id: _id, ...r }) => r)).toEqual([
      { time: 3, actor: 'bob', role: 'operator', runId: 'r1', body },
      { time: 4, actor: 'carol', role: 'admin', body: { kind: 'halt', reason: 'x' } },
    ]);
    expect(await v3.listAudit()).toHaveLength(5);
    await v3.close();
  });

  it('keeps the abort or halt intent of runs stopped before the stop intent had a column', async () => {
    const db = 'intent_backfill';
    await admin.query(`CREATE DATABASE ${db}`);
    const url = `${base}/${db}`;
    const old = createPostgresStore(
      { url },
      postgresMigrations.filter((m) => m.name !== 'stop intent'),
    );
    await old.init();
    await old.close();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const insert = (id: string, state: string, reason: string | null) =>
      client.query(
        'INSERT INTO runs (id, plan, datacenter, direction, state, compiled, created_at, reason) ' +
          "VALUES ($1, 'p', 'east', 'drain', $2, '{}', 1, $3)",
        [id, state, reason],
      );
    await insert('h', 'aborting', 'halted by ana: east is on fire');
    await insert('a', 'aborting', 'aborted by ana: halted traffic looks wrong');
    await insert('d', 'aborted', 'aborted by bob');
    await insert('r', 'running', null);
    await client.end();
    const store = createPostgresStore({ url });
    await store.init();
    expect((await store.getRun('h'))!.stopIntent).toBe('halted');
    expect((await store.getRun('a'))!.stopIntent).toBe('aborted');
    expect((await store.getRun('d'))!.stopIntent).toBe('aborted');
    expect((await store.getRun('r'))!.stopIntent).toBeUndefined();
    await store.close();
  });

  it('is the store of the command line too: token, run and status on postgres://', async () => {
    await admin.query('CREATE DATABASE cli');
    const url = `${base}/cli`;
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'bin/dev.ts', ...args], {
        cwd: process.cwd(),
        encoding: 'utf8',
        timeout: 60_000,
      });
    const token = cli('token', 'create', '--role', 'operator', '--name', 'pg-op', '--store', url);
    expect(token.status, token.stderr).toBe(0);
    const run = cli('run', 'evacuate-east', '-f', 'examples/', '--store', url, '--plain');
    expect(run.status, run.stderr + run.stdout.slice(-3000)).toBe(0);
    expect(run.stdout).toMatch(/run run-\w+ of evacuate-east: succeeded/);
    const status = cli('status', '--all', '--store', url);
    expect(status.status, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/run-\w+\s+evacuate-east\s+succeeded/);
    const bad = cli('status', '--store', 'mysql://x');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--store must be sqlite:FILE or postgres://');
  }, 120_000);

  it('reports an unreachable server with E_STORE', async () => {
    const port = await freePort();
    await expect(createPostgresStore({ url: `postgres://x@127.0.0.1:${port}/none` }).init()).rejects.toMatchObject({
      code: 'E_STORE',
    });
  });
});
