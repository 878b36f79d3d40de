/**
 * A private PostgreSQL server for the lab (several controllers share one store) and for the tests and benchmarks
 * that prove fencing and takeover against the real program: `initdb` into a folder, `postgres` on a free loopback
 * port with a Unix socket in the same folder, trust authentication, no fsync. It can be stopped and started again
 * on the same data (a database restarted under a drain), and made read-only; stop() ends it and removes the folder.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { MaelstromError } from '../model/errors.js';
import { freePort } from './processes.js';

export interface SmallDisk {
  readonly path: string;
  fill(): Promise<void>;
  unfill(): Promise<void>;
}

export interface PostgresServer {
  /** `postgres://maelstrom@127.0.0.1:PORT` (append `/DATABASE`). */
  readonly base: string;
  readonly port: number;
  readonly dir: string;
  /** Creates a database (in `tablespace`, if given) and answers its connection string. */
  createDatabase(name: string, tablespace?: string): Promise<string>;
  /**
   * Creates tablespace `name` on a tmpfs of `sizeMb` mounted for it (root only), whose disk `fill` fills up and
   * `unfill` frees again; undefined where mounting is not permitted.
   */
  smallDisk(name: string, sizeMb: number): Promise<SmallDisk | undefined>;
  /** Runs one statement as the superuser on database `db` (default `postgres`). */
  query(sql: string, db?: string): Promise<pg.QueryResult>;
  /** Stops the server (fast shutdown: connections are cut), keeping its data. */
  halt(): Promise<void>;
  /** Starts it again on the same data and port, and waits until it answers. */
  resume(): Promise<void>;
  /** Makes database `db` read-only (or writable again) for every session, cutting the ones open. */
  readOnly(db: string, on: boolean): Promise<void>;
  stop(): Promise<void>;
}

/** The newest PostgreSQL under /usr/lib/postgresql, where Debian and Ubuntu install it. */
export function postgresBin(): string | undefined {
  if (process.env.MAELSTROM_POSTGRES_BIN) return process.env.MAELSTROM_POSTGRES_BIN;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : undefined;
}

/** PostgreSQL refuses to run as root: when this process is root, the server runs as the `postgres` user. */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const u = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const g = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (u.status !== 0 || g.status !== 0)
    throw new MaelstromError('E_BAD_REQUEST', 'running as root and there is no postgres user to run PostgreSQL as');
  return { uid: Number(u.stdout.trim()), gid: Number(g.stdout.trim()) };
}

async function connect(url: string, timeoutMs: number): Promise<pg.Client> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const client = new pg.Client({ connectionString: url });
    client.on('error', () => undefined);
    try {
      await client.connect();
      return client;
    } catch (e) {
      await client.end().catch(() => undefined);
      if (Date.now() > deadline)
        throw new MaelstromError(
          'E_TIMEOUT',
          `PostgreSQL did not answer within ${timeoutMs} ms: ${(e as Error).message}`,
        );
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

export async function startPostgres(options: { readonly startTimeoutMs?: number } = {}): Promise<PostgresServer> {
  const bin = postgresBin();
  if (!bin)
    throw new MaelstromError(
      'E_BAD_REQUEST',
      'PostgreSQL is not installed under /usr/lib/postgresql (Debian: apt-get install postgresql; or set MAELSTROM_POSTGRES_BIN)',
    );
  const timeout = options.startTimeoutMs ?? 60_000;
  const dir = mkdtempSync(join(tmpdir(), 'maelstrom-pg-'));
  const user = runAs();
  if (user) chownSync(dir, user.uid, user.gid);
  const data = join(dir, 'data');
  const init = spawnSync(
    join(bin, 'initdb'),
    ['-D', data, '-U', 'maelstrom', '--auth=trust', '-E', 'UTF8', '--no-sync'],
    { encoding: 'utf8', ...(user ?? {}) },
  );
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new MaelstromError('E_INTERNAL', `initdb failed: ${init.stderr}`);
  }
  const port = await freePort();
  const base = `postgres://maelstrom@127.0.0.1:${port}`;
  let server: ChildProcess | undefined;
  let admin: pg.Client | undefined;
  const mounts: string[] = [];

  const launch = async (): Promise<void> => {
    server = spawn(
      join(bin, 'postgres'),
      ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off'],
      { stdio: 'ignore', ...(user ?? {}) },
    );
    admin = await connect(`${base}/postgres`, timeout);
  };
  const halt = async (): Promise<void> => {
    await admin?.end().catch(() => undefined);
    admin = undefined;
    const s = server;
    server = undefined;
    if (!s || s.exitCode !== null || s.signalCode !== null) return;
    const exited = new Promise((r) => s.once('exit', r));
    // SIGINT: fast shutdown, as `pg_ctl stop -m fast`: open transactions are cut, data stays.
    s.kill('SIGINT');
    await exited;
  };
  const query = async (sql: string, db = 'postgres'): Promise<pg.QueryResult> => {
    if (db === 'postgres') {
      if (!admin) throw new MaelstromError('E_INVALID_STATE', 'PostgreSQL is stopped');
      return admin.query(sql);
    }
    const c = await connect(`${base}/${db}`, timeout);
    try {
      return await c.query(sql);
    } finally {
      await c.end().catch(() => undefined);
    }
  };

  try {
    await launch();
  } catch (e) {
    await halt();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    base,
    port,
    dir,
    createDatabase: async (name, tablespace) => {
      await query(`CREATE DATABASE ${name}${tablespace !== undefined ? ` TABLESPACE ${tablespace}` : ''}`);
      return `${base}/${name}`;
    },
    smallDisk: async (name, sizeMb) => {
      if (process.getuid?.() !== 0) return undefined;
      const path = join(dir, name);
      mkdirSync(path);
      const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m`, 'tmpfs', path], { encoding: 'utf8' });
      if (mounted.status !== 0) return undefined;
      mounts.push(path);
      if (user) chownSync(path, user.uid, user.gid);
      await query(`CREATE TABLESPACE ${name} LOCATION '${path}'`);
      const filler = join(path, 'filler');
      return {
        path,
        // Writes until the disk refuses: what is left for the tablespace is nothing.
        fill: async () => {
          spawnSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=64k'], { stdio: 'ignore' });
        },
        unfill: async () => {
          rmSync(filler, { force: true });
        },
      };
    },
    query,
    halt,
    resume: launch,
    readOnly: async (db, on) => {
      await query(`ALTER DATABASE ${db} SET default_transaction_read_only = ${on ? 'on' : 'off'}`);
      // The setting applies to new sessions: the open ones are cut, and reconnect under it.
      await query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${db}' AND pid <> pg_backend_pid()`,
      );
    },
    stop: async () => {
      await halt();
      for (const m of mounts) spawnSync('umount', [m], { stdio: 'ignore' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
