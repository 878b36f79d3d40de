/**
 * The lab against the real programs: HAProxy, Prometheus and service processes started here, the engine driving
 * them. One lab serves the first group of tests, in order; each test starts from the baseline weights. Then
 * `maelstrom lab` as a user runs it. One file, so that two labs never run at once.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../src/model/events.js';
import type { RunView } from '../../src/model/api.js';
import { RuntimeApi } from '../../src/backends/haproxy/runtime-api.js';
import { startLab, type LabEnvironment } from '../../src/lab/environment.js';
import { writeLabFiles } from '../../src/lab/files.js';
import { labDefinitions } from '../../src/lab/fleet.js';
import { postgresBin } from '../../src/lab/postgres.js';
import { startLoad, type LoadGenerator } from '../../src/lab/load.js';
import { createLabSession, type LabSession } from '../../src/lab/session.js';
import { createSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { eventually, haveLab } from './programs.js';

const RPS = 1000;
type Step = Extract<EngineEvent, { type: 'shift.step' }>;

describe.skipIf(!haveLab)('lab: HAProxy and Prometheus driven by the engine', () => {
  let env: LabEnvironment;
  let load: LoadGenerator;

  async function session(): Promise<LabSession> {
    const store = createSqliteStore({ path: ':memory:' });
    await store.init();
    return createLabSession(env, {
      store,
      rps: RPS,
      settle: '1s',
      ...(process.env.MAELSTROM_LAB_LOG ? { log: (m: string) => process.stderr.write(`lab: ${m}\n`) } : {}),
    });
  }
  const weightOf = async (server: string): Promise<number> =>
    (await new RuntimeApi({ socket: env.socket }).serversState('web_lab')).find((x) => x.server === server)!.weight;
  const steps = (s: LabSession, runId: string): Step[] =>
    s.events.filter((e): e is Step => e.type === 'shift.step' && e.runId === runId);
  /** Waits until Prometheus has readings of every datacenter under load. */
  async function warm(s: LabSession): Promise<void> {
    await eventually(
      'readings of every datacenter',
      async () => {
        const dcs = Object.values((await s.snapshot()).services.web?.datacenters ?? {});
        return (
          dcs.length === env.datacenters.length &&
          dcs.every((r) => r.load !== undefined && r.load > 0 && r.latencyP99 !== undefined)
        );
      },
      15_000,
    );
  }
  /** Once the readings are in, starts the drain of dc1 and waits for its first step. */
  async function drainUnderway(s: LabSession): Promise<RunView> {
    await warm(s);
    const run = await s.start('lab-drain-dc1');
    await eventually('the first step', () => steps(s, run.id).length >= 1, 15_000);
    return run;
  }
  async function dc1Weight(s: LabSession): Promise<number> {
    return (await s.backend.weights('edge', 'web'))[0]!.weights.dc1!;
  }

  beforeAll(async () => {
    env = await startLab({ datacenters: 3, rps: RPS });
    load = startLoad(env.url, RPS);
  });
  afterAll(async () => {
    await load?.stop();
    await env?.stop();
  });

  it('drains and restores a datacenter at 1,000 rps: weights move as paced, no request fails', async () => {
    const s = await session();
    try {
      await warm(s);
      const failedBefore = load.failedSoFar();
      const requestsBefore = load.requestsSoFar();
      const seen: number[] = [];
      const unsubscribe = s.controller.subscribe((e) => {
        if (e.type === 'shift.step')
          void s.backend.api
            .serversState('web_lab')
            .then((st) => seen.push(st.find((x) => x.server === 'dc1')!.weight));
      });
      const drain = await s.run('lab-drain-dc1');
      expect(drain.state).toBe('succeeded');
      const ds = steps(s, drain.id);
      // Paced: several steps, the first small, what is left only ever falls, and it ends at nothing.
      expect(ds.length).toBeGreaterThanOrEqual(3);
      expect(1 / 3 - ds[0]!.remaining).toBeLessThanOrEqual(0.1);
      for (let i = 1; i < ds.length; i++) expect(ds[i]!.remaining).toBeLessThanOrEqual(ds[i - 1]!.remaining + 1e-9);
      expect(ds.at(-1)!.remaining).toBe(0);
      expect(await dc1Weight(s)).toBe(0);
      // HAProxy saw intermediate weights, not a jump from the baseline to 0.
      await eventually('every step read back', () => seen.length === ds.length, 5_000);
      expect(seen.some((w) => w > 0)).toBe(true);
      const restore = await s.run('lab-restore-dc1');
      expect(restore.state).toBe('succeeded');
      expect(steps(s, restore.id).length).toBeGreaterThanOrEqual(2);
      expect(await dc1Weight(s)).toBe(100);
      unsubscribe();
      // Answers in flight when the restore ended are counted too.
      await new Promise((r) => setTimeout(r, 500));
      expect(load.requestsSoFar() - requestsBefore).toBeGreaterThan(RPS * 10);
      expect(load.failedSoFar() - failedBefore).toBe(0);
    } finally {
      await s.close();
    }
  }, 90_000);

  it('a slowed service in a receiving datacenter holds the drain until it recovers', async () => {
    const s = await session();
    try {
      const run = await drainUnderway(s);
      await env.slow('dc2', 400);
      await eventually(
        'a failing latency check or a held step',
        () =>
          s.events.some(
            (e) =>
              e.runId === run.id &&
              ((e.type === 'health' && e.check === 'receivers-fast' && e.ok === false) ||
                (e.type === 'shift.step' && (e.decision === 'hold' || e.decision === 'backoff'))),
          ),
        15_000,
      );
      // While dc2 stays slow the drain does not finish.
      const until = Date.now() + 3_000;
      await eventually('3 s of holding', () => Date.now() > until, 5_000);
      expect((await s.controller.getRun(run.id)).state).not.toBe('succeeded');
      expect(Math.min(...steps(s, run.id).map((e) => e.remaining))).toBeGreaterThan(0);
      await env.slow('dc2', 0);
      const done = await s.controller.wait(run.id);
      expect(done.state).toBe('succeeded');
      expect((await s.run('lab-restore-dc1')).state).toBe('succeeded');
    } finally {
      await env.slow('dc2', 0);
      await s.close();
    }
  }, 90_000);

  it('losing the HAProxy runtime socket midway holds the run with a clear message; it continues once the socket is back', async () => {
    const s = await session();
    try {
      const run = await drainUnderway(s);
      await env.hideSocket(true);
      await eventually(
        'a message about the runtime socket',
        () => s.issues.some((i) => i.message.includes('runtime API') && i.message.includes('unreachable')),
        10_000,
      );
      const stepsWhileLost = steps(s, run.id).length;
      const until = Date.now() + 2_000;
      await eventually('2 s without the socket', () => Date.now() > until, 5_000);
      expect(['running', 'blocked', 'paused', 'pending']).toContain((await s.controller.getRun(run.id)).state);
      expect(steps(s, run.id).length).toBeLessThanOrEqual(stepsWhileLost + 1);
      await env.hideSocket(false);
      expect((await s.controller.wait(run.id)).state).toBe('succeeded');
      expect((await s.run('lab-restore-dc1')).state).toBe('succeeded');
    } finally {
      await env.hideSocket(false).catch(() => undefined);
      await s.close();
    }
  }, 90_000);

  it('maelstrom run --backend haproxy:MAPPING --prometheus URL drains and restores the lab as an operator would', async () => {
    const files = await writeLabFiles(
      join(env.dir, 'operator'),
      labDefinitions({ datacenters: env.datacenters.length, rps: RPS, settle: '1s' }),
      env.mapping,
    );
    const failedBefore = load.failedSoFar();
    const common = [
      '-f',
      files.definitions,
      '--backend',
      `haproxy:${files.mapping}`,
      '--prometheus',
      env.prometheusUrl,
      '--store',
      `sqlite:${join(env.dir, 'operator', 'maelstrom.db')}`,
      '--plain',
    ];
    const drain = cli(['run', 'lab-drain-dc1', ...common]);
    expect(await drain.exited, drain.stderr).toBe(0);
    expect(drain.stdout).toMatch(/started run \S+ of lab-drain-dc1: 1 tasks on haproxy/);
    expect(drain.stdout).toMatch(/run \S+ of lab-drain-dc1: succeeded/);
    expect(await weightOf('dc1')).toBe(0);
    // A new process finds dc1 at weight 0: the restore must still know the baseline (from the fleet, not HAProxy).
    const restore = cli(['run', 'lab-restore-dc1', ...common]);
    expect(await restore.exited, restore.stderr).toBe(0);
    expect(restore.stdout).toMatch(/run \S+ of lab-restore-dc1: succeeded/);
    expect(await weightOf('dc1')).toBeGreaterThan(0);
    expect(load.failedSoFar() - failedBefore).toBe(0);
  }, 90_000);

  it('maelstrom serve --backend haproxy:MAPPING serves the lab: live readings, and a drain and restore started through the API', async () => {
    const files = await writeLabFiles(
      join(env.dir, 'server'),
      labDefinitions({ datacenters: env.datacenters.length, rps: RPS, settle: '1s' }),
      env.mapping,
    );
    const store = `sqlite:${join(env.dir, 'server', 'maelstrom.db')}`;
    const made = cli(['token', 'create', '--role', 'operator', '--store', store]);
    expect(await made.exited, made.stderr).toBe(0);
    const headers = { authorization: `Bearer ${made.stdout.trim()}`, 'content-type': 'application/json' };
    const serve = cli([
      'serve',
      '-f',
      files.definitions,
      '--backend',
      `haproxy:${files.mapping}`,
      '--prometheus',
      env.prometheusUrl,
      '--store',
      store,
      '--port',
      '0',
    ]);
    try {
      await eventually('the server to listen', () => /maelstrom serve: http:\/\/\S+ \(/.test(serve.stdout), 30_000);
      const url = /maelstrom serve: (http:\/\/\S+) \(/.exec(serve.stdout)![1]!;
      const get = async <T>(path: string): Promise<T> =>
        (await (await fetch(`${url}${path}`, { headers })).json()) as T;
      type Fleet = { services: { name: string; reading?: { datacenters: Record<string, { load?: number }> } }[] };
      await eventually(
        'readings of every datacenter',
        async () => {
          const web = (await get<Fleet>('/api/v1/fleet')).services.find((x) => x.name === 'web');
          const dcs = Object.values(web?.reading?.datacenters ?? {});
          return dcs.length === 3 && dcs.every((d) => (d.load ?? 0) > 0);
        },
        15_000,
      );
      for (const plan of ['lab-drain-dc1', 'lab-restore-dc1']) {
        const started = await fetch(`${url}/api/v1/runs`, { method: 'POST', headers, body: JSON.stringify({ plan }) });
        expect(started.status).toBe(201);
        const { id } = (await started.json()) as { id: string };
        await eventually(
          `${plan} to succeed`,
          async () => (await get<{ state: string }>(`/api/v1/runs/${id}`)).state === 'succeeded',
          45_000,
        );
        if (plan === 'lab-drain-dc1') expect(await weightOf('dc1')).toBe(0);
      }
      expect(await weightOf('dc1')).toBeGreaterThan(0);
    } finally {
      serve.kill('SIGINT');
      expect(await serve.exited).toBe(0);
    }
  }, 120_000);

  it('losing Prometheus midway leaves the readings absent and holds the run with a clear message, never a crash', async () => {
    const s = await session();
    try {
      const run = await drainUnderway(s);
      await env.stopPrometheus();
      await eventually(
        'a message about Prometheus',
        () => s.issues.some((i) => i.message.startsWith('prometheus') && i.message.includes('unreachable')),
        10_000,
      );
      const snap = await s.snapshot();
      expect(snap.services.web!.datacenters.dc2!.utilization).toBeUndefined();
      expect(snap.services.web!.errorRate).toBeUndefined();
      const left = Math.min(...steps(s, run.id).map((e) => e.remaining));
      const until = Date.now() + 4_000;
      await eventually('4 s without Prometheus', () => Date.now() > until, 6_000);
      expect(['running', 'blocked', 'paused', 'pending']).toContain((await s.controller.getRun(run.id)).state);
      expect(Math.min(...steps(s, run.id).map((e) => e.remaining))).toBeGreaterThanOrEqual(left - 0.2);
      expect(Math.min(...steps(s, run.id).map((e) => e.remaining))).toBeGreaterThan(0);
    } finally {
      await s.close();
    }
  }, 60_000);
});

// `maelstrom lab` as a user runs it: the report on stdout, and nothing left running afterwards, also on Ctrl-C.
interface Cli {
  stdout: string;
  stderr: string;
  code: number | null | undefined;
  kill(signal: NodeJS.Signals): void;
  exited: Promise<number | null>;
}

function cli(args: string[]): Cli {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bin/dev.ts', ...args], {
    cwd: process.cwd(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out: Cli = {
    stdout: '',
    stderr: '',
    code: undefined,
    kill: (s) => {
      child.kill(s);
    },
    exited: new Promise((resolve) =>
      child.on('exit', (c) => {
        out.code = c;
        resolve(c);
      }),
    ),
  };
  child.stdout.on('data', (c: Buffer) => {
    out.stdout += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    out.stderr += c.toString();
  });
  return out;
}

/** Processes whose command line names the lab's temp dir. */
async function processesUsing(dir: string): Promise<number> {
  let n = 0;
  for (const pid of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(pid)) continue;
    const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmd.includes(dir)) n += 1;
  }
  return n;
}

const labDir = (stderr: string): string | undefined => /(\/[^\s]*maelstrom-lab-[A-Za-z0-9]+)/.exec(stderr)?.[1];

describe.skipIf(!haveLab)('maelstrom lab', () => {
  it('drains and restores under load with no failed request, prints the report, and leaves nothing running', async () => {
    const run = cli(['lab', '--datacenters', '3', '--rps', '600', '--duration', '1s']);
    expect(await run.exited).toBe(0);
    const report = JSON.parse(run.stdout) as {
      outcome: string;
      failedRequests: number;
      plans: { outcome: string; direction: string }[];
      load: { requests: number };
    };
    expect(report.outcome).toBe('succeeded');
    expect(report.failedRequests).toBe(0);
    expect(report.plans.map((p) => [p.direction, p.outcome])).toEqual([
      ['drain', 'succeeded'],
      ['restore', 'succeeded'],
    ]);
    expect(report.load.requests).toBeGreaterThan(600 * 5);
    const dir = labDir(run.stderr)!;
    expect(dir).toBeDefined();
    expect(existsSync(dir)).toBe(false);
    expect(await processesUsing(dir)).toBe(0);
  }, 120_000);

  it.runIf(postgresBin() !== undefined || process.env.CI === 'true')(
    'with two controllers on a PostgreSQL store, the leader SIGKILLed mid-drain, the standby finishes: no failed request, no step undone or skipped',
    async () => {
      const run = cli(['lab', '--datacenters', '3', '--rps', '600', '--duration', '1s', '--controllers', '2']);
      expect(await run.exited, run.stderr.slice(-3000)).toBe(0);
      const report = JSON.parse(run.stdout) as {
        outcome: string;
        failedRequests: number;
        plans: { outcome: string; direction: string }[];
        tasks: { plan: string; steps: { step: number; remaining: number }[] }[];
        controllers: { count: number; kills: { takeoverSeconds: number; resumedSeconds: number | null }[] };
      };
      expect(report.outcome).toBe('succeeded');
      expect(report.failedRequests).toBe(0);
      expect(report.plans.map((p) => [p.direction, p.outcome])).toEqual([
        ['drain', 'succeeded'],
        ['restore', 'succeeded'],
      ]);
      expect(report.controllers.count).toBe(2);
      expect(report.controllers.kills).toHaveLength(1);
      expect(report.controllers.kills[0]!.takeoverSeconds).toBeLessThan(10);
      expect(report.controllers.kills[0]!.resumedSeconds).not.toBeNull();
      expect(run.stderr).toMatch(/killed controller-\d .* with SIGKILL mid-drain/);
      // Steps in order across the takeover. The standby resumes the shift from its checkpoint: the step under way
      // when the leader died is set again (changing nothing) and told again, with the same number and effect.
      for (const t of report.tasks) {
        const numbers = t.steps.map((x) => x.step);
        expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
        for (const [i, x] of t.steps.entries()) {
          const prev = t.steps[i - 1];
          if (prev?.step === x.step) expect(x.remaining).toBeCloseTo(prev.remaining, 6);
        }
      }
      const dir = labDir(run.stderr)!;
      expect(existsSync(dir)).toBe(false);
      expect(await processesUsing(dir)).toBe(0);
    },
    240_000,
  );

  it('stops everything it started on Ctrl-C', async () => {
    const run = cli(['lab', '--rps', '300']);
    await eventually('the drain to start', () => run.stderr.includes('starting lab-drain'), 60_000);
    const dir = labDir(run.stderr)!;
    expect(await processesUsing(dir)).toBeGreaterThan(0);
    run.kill('SIGINT');
    const code = await run.exited;
    expect(code).not.toBe(0);
    expect(run.stderr).toContain('stopping everything');
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(await processesUsing(dir)).toBe(0);
    expect(existsSync(dir)).toBe(false);
  }, 120_000);

  it('refuses bad options with a clear error', async () => {
    const run = cli(['lab', '--datacenters', '1']);
    expect(await run.exited).toBe(2);
    expect(run.stderr).toContain('--datacenters must be a whole number of at least 2');
  }, 60_000);
});
