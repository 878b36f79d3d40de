/**
 * The PostgreSQL store against a real PostgreSQL server that this test starts itself (initdb in a temporary
 * directory, a free loopback port) and stops afterwards.
 */
import { spawnSync } from 'node:child_process';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../lab/processes.js';
import { postgresBin, startPostgres, type PostgresServer } from '../../lab/postgres.js';
import { storeConformance } from '../conformance.js';
import { postgresDialect } from '../dialect.js';
import { migrationConformance } from '../migrations/conformance.js';
import { postgresMigrations } from '../migrations/postgres.js';
import type { Store } from '../store.js';
import { createPostgresStore, numbered } from './postgres-store.js';

const available = postgresBin() !== undefined || process.env.CI === 'true';

describe.runIf(available)('postgres store', () => {
  let server: PostgresServer;
  let n = 0;

  beforeAll(async () => {
    server = await startPostgres();
  });

  afterAll(async () => {
    await server?.stop();
  });

  const urls = new WeakMap<Store, string>();
  async function fresh(): Promise<Store> {
    const url = await server.createDatabase(`conformance_${n++}`);
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
    const url = await server.createDatabase('migrate_twice');
    const a = createPostgresStore({ url });
    const b = createPostgresStore({ url });
    await Promise.all([a.init(), b.init()]);
    expect(await a.schemaVersion()).toBe(postgresMigrations.at(-1)!.version);
    const rows = await b.listRuns();
    expect(rows).toEqual([]);
    await Promise.all([a.close(), b.close()]);
  });

  migrationConformance({
    dialect: postgresDialect,
    migrations: postgresMigrations,
    create: (name) => server.createDatabase(name),
    open: (url, migrations, journal) => createPostgresStore({ url }, migrations, journal),
    raw: async (url) => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      return {
        exec: async (sql, args = []) =>
          (await client.query(numbered(sql), [...args])).rows as Record<string, unknown>[],
        close: () => client.end(),
      };
    },
  });

  it('is the store of the command line too: token, run and status on postgres://', async () => {
    const url = await server.createDatabase('cli');
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
