/**
 * A cluster for the high-availability test and benchmark, all real programs on loopback: a PostgreSQL server of its
 * own, a `maelstrom sim` process, and `maelstrom serve` controllers sharing the store and driving the simulator.
 *
 * Each controller is started under a parent that never reaps its children (`sh` replaced by `sleep`), as an init in
 * a container may: a controller killed with SIGKILL stays in the process table as a zombie, and the others must
 * still see it gone.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JournalEntry } from '../../src/backends/sim/backend.js';
import { createToken } from '../../src/cli/token.js';
import type { Health } from '../../src/model/api.js';
import type { EngineEvent } from '../../src/model/events.js';
import { startPostgres, type PostgresServer, type SmallDisk } from '../../src/lab/postgres.js';
import { createPostgresStore, type PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { quickDefinitions } from '../quick-plan.js';

const ROOT = join(import.meta.dirname, '..', '..');

export { PLAN } from '../quick-plan.js';

export interface Serve {
  readonly name: string;
  readonly datacenter: string | undefined;
  /** The controller's own process (not its parent). */
  readonly pid: number;
  readonly url: string;
  output(): string;
  health(): Promise<Health | undefined>;
  signal(sig: NodeJS.Signals): void;
  readonly killed: boolean;
}

export interface Cluster {
  readonly pg: PostgresServer;
  /** The store's disk, when `smallDiskMb` was asked for and could be mounted. */
  readonly disk: SmallDisk | undefined;
  readonly storeUrl: string;
  readonly store: PostgresStore;
  readonly simUrl: string;
  readonly defs: string;
  readonly token: string;
  readonly serves: Serve[];
  startServe(options?: { readonly datacenter?: string; readonly env?: NodeJS.ProcessEnv }): Promise<Serve>;
  /** The controller that says it leads, once exactly one does (waiting up to `timeoutMs`). */
  leader(timeoutMs?: number, exclude?: readonly Serve[]): Promise<{ serve: Serve; health: Health }>;
  api<T>(serve: Serve, method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: T }>;
  journal(): Promise<JournalEntry[]>;
  events(): Promise<EngineEvent[]>;
  close(): Promise<void>;
}

export interface ClusterOptions {
  /** Simulated seconds per wall-clock second. */
  readonly speed: number;
  readonly seed?: number;
  readonly log?: (message: string) => void;
  /** Puts the store's database on a disk of this many MB that the test can fill (where mounting is permitted). */
  readonly smallDiskMb?: number;
}

function tsx(args: readonly string[]): string[] {
  return ['--import', 'tsx', join(ROOT, 'bin', 'dev.ts'), ...args];
}

/** Resolves with the first match of `pattern` in the child's output so far or to come. */
function waitOutput(get: () => string, pattern: RegExp, timeoutMs: number, what: string): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + timeoutMs;
    const check = (): void => {
      const m = pattern.exec(get());
      if (m) resolve(m);
      else if (Date.now() > deadline) reject(new Error(`timed out waiting for ${what}:\n${get().slice(-3000)}`));
      else setTimeout(check, 50);
    };
    check();
  });
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const log = options.log ?? (() => undefined);
  const dir = mkdtempSync(join(tmpdir(), 'maelstrom-ha-'));
  const defs = quickDefinitions(dir, 'quick-plan.yaml');
  const children: ChildProcess[] = [];
  const pids: number[] = [];
  const pg = await startPostgres();
  const disk = options.smallDiskMb !== undefined ? await pg.smallDisk('small', options.smallDiskMb) : undefined;
  const storeUrl = await pg.createDatabase('maelstrom', disk ? 'small' : undefined);
  const store = createPostgresStore({ url: storeUrl, poolSize: 2 });
  await store.init();
  const token = await createToken(store, 'operator', 'ha-test');

  const sim = spawn(
    process.execPath,
    tsx([
      'sim',
      'drain-test-east',
      '-f',
      defs,
      '--speed',
      String(options.speed),
      '--port',
      '0',
      ...(options.seed !== undefined ? ['--seed', String(options.seed)] : []),
    ]),
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' } },
  );
  children.push(sim);
  let simOut = '';
  sim.stdout.on('data', (d: Buffer) => (simOut += d.toString()));
  sim.stderr.on('data', (d: Buffer) => (simOut += d.toString()));
  const simUrl = (await waitOutput(() => simOut, /on (http:\/\/127\.0\.0\.1:\d+)/, 60_000, 'the simulator'))[1]!;
  log(`sim ${simUrl}, store ${storeUrl}`);

  const serves: Serve[] = [];
  const startServe: Cluster['startServe'] = async (o = {}) => {
    const name = `serve-${serves.length + 1}`;
    const args = tsx([
      'serve',
      '-f',
      defs,
      '--backend',
      `sim+${simUrl}`,
      '--store',
      storeUrl,
      '--port',
      '0',
      ...(o.datacenter !== undefined ? ['--datacenter', o.datacenter] : []),
    ]);
    // The controller runs under `sleep`, which never reaps it: killed, it stays a zombie.
    const parent = spawn(
      'sh',
      ['-c', '"$@" & echo "maelstrom-pid $!"; exec sleep 1000000', 'sh', process.execPath, ...args],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, FORCE_COLOR: '0', ...o.env },
      },
    );
    children.push(parent);
    let out = '';
    parent.stdout.on('data', (d: Buffer) => (out += d.toString()));
    parent.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const pid = Number((await waitOutput(() => out, /maelstrom-pid (\d+)/, 30_000, `${name}'s pid`))[1]);
    pids.push(pid);
    const url = (await waitOutput(() => out, /maelstrom serve: (http:\/\/\S+) \(API/, 90_000, `${name} to listen`))[1]!;
    let killed = false;
    const serve: Serve = {
      name,
      datacenter: o.datacenter,
      pid,
      url,
      output: () => out,
      get killed() {
        return killed;
      },
      health: async () => {
        if (killed) return undefined;
        try {
          const res = await fetch(`${url}/api/v1/health`, { signal: AbortSignal.timeout(2_000) });
          return (await res.json()) as Health;
        } catch {
          return undefined;
        }
      },
      signal: (sig) => {
        if (sig === 'SIGKILL') killed = true;
        process.kill(pid, sig);
      },
    };
    serves.push(serve);
    log(`${name} ${url} pid ${pid}${o.datacenter ? ` in ${o.datacenter}` : ''}`);
    return serve;
  };

  const leader: Cluster['leader'] = async (timeoutMs = 30_000, exclude = []) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const live = serves.filter((s) => !s.killed && !exclude.includes(s));
      const answers = await Promise.all(live.map(async (s) => ({ serve: s, health: await s.health() })));
      const leading = answers.filter((a) => a.health?.state === 'leading');
      if (leading.length === 1) return leading[0] as { serve: Serve; health: Health };
      if (Date.now() > deadline)
        throw new Error(`no single leader after ${timeoutMs} ms: ${JSON.stringify(answers.map((a) => a.health))}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  return {
    pg,
    disk,
    storeUrl,
    store,
    simUrl,
    defs,
    token,
    serves,
    startServe,
    leader,
    api: async <T>(serve: Serve, method: 'GET' | 'POST', path: string, body?: unknown) => {
      const res = await fetch(`${serve.url}/api/v1${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      return { status: res.status, body: (await res.json()) as T };
    },
    journal: async () => (await (await fetch(`${simUrl}/journal`)).json()) as JournalEntry[],
    events: async () => [...(await store.listEvents({ limit: 1_000_000 }))],
    close: async () => {
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGCONT');
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      await store.close().catch(() => undefined);
      await pg.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
