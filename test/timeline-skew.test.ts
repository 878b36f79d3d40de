/**
 * The retrospective timeline stays causal across processes whose clocks disagree. `maelstrom sim` runs 200 ms
 * behind, the controller 200 ms ahead (`--clock-offset`); the controller is killed with SIGKILL at seeded moments and
 * started again until the drain completes. For every action in the simulator's journal, the controller's
 * `stage.start` of the same origin has a smaller HLC; the same check on the processes' wall clocks finds violations
 * (the skew puts the action "before" its cause), so the check can fail. Then the timeline as users read it:
 * `maelstrom timeline --at` a minute in the middle shows exactly the tasks of that minute, and `--from/--to --json`
 * lists the merged events in HLC order.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import type { StampedJournalEntry } from '../src/backends/sim/backend.js';
import { seededRandom as prng } from '../src/model/random.js';
import { compareHlc, physicalOf } from '../src/model/hlc.js';
import { cutAt, type TimelineEvent } from '../src/model/timeline.js';
import { createSqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { simEvents } from '../src/timeline/sources.js';

const ROOT = join(import.meta.dirname, '..');
const SPEED = 100;
const KILLS = 2;
const run = promisify(execFile);

function cli(args: readonly string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'bin/dev.ts', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, FORCE_COLOR: '0' },
  });
}

const children: ChildProcess[] = [];
const dir = mkdtempSync(join(tmpdir(), 'maelstrom-timeline-'));
const PLAN = 'evacuate-east-quick';
const DEFS = join(dir, 'defs');
mkdirSync(DEFS);
for (const f of readdirSync(join(ROOT, 'examples'))) copyFileSync(join(ROOT, 'examples', f), join(DEFS, f));
writeFileSync(
  join(DEFS, 'quick-plan.yaml'),
  `apiVersion: maelstrom/v1
kind: Plan
metadata: { name: ${PLAN} }
spec:
  fleet: example
  direction: drain
  datacenter: east
  services: [web, api, photos, messenger, search-index, user-db]
  runbooks:
    - { match: { type: stateless, userFacing: true }, runbook: drain-user-facing }
    - { match: { type: stateless }, runbook: drain-internal }
    - { match: { type: sticky }, runbook: drain-sticky, with: { grace: 2m } }
    - { match: { type: replication }, runbook: drain-replication }
    - { match: { type: stateful }, runbook: drain-stateful }
  concurrency: 8
  pacing: { mode: closed-loop, targetUtilization: 0.85, settle: 60s }
  restorePlan: restore-east
`,
);
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

async function startSim(): Promise<string> {
  const sim = cli([
    'sim',
    'drain-test-east',
    '-f',
    DEFS,
    '--speed',
    String(SPEED),
    '--port',
    '0',
    '--clock-offset',
    '-200',
  ]);
  children.push(sim);
  return new Promise<string>((resolve, reject) => {
    let text = '';
    sim.stdout!.on('data', (d: Buffer) => {
      text += d.toString();
      const m = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(text);
      if (m) resolve(m[1]!);
    });
    sim.stderr!.on('data', (d: Buffer) => {
      text += d.toString();
    });
    sim.on('exit', (code) => {
      reject(new Error(`the simulator exited (${code}): ${text}`));
    });
  });
}

async function simJournal(url: string): Promise<StampedJournalEntry[]> {
  return (await (await fetch(`${url}/journal`)).json()) as StampedJournalEntry[];
}

/** Drives the run to its end, killing the controller `KILLS` times at seeded moments. */
async function drain(url: string, storePath: string): Promise<number> {
  const random = prng(20261201);
  let kills = 0;
  for (let attempt = 0; attempt < KILLS + 3; attempt++) {
    const controller = cli([
      'run',
      PLAN,
      '-f',
      DEFS,
      '--backend',
      `sim+${url}`,
      '--store',
      `sqlite:${storePath}`,
      '--plain',
      '--clock-offset',
      '200',
    ]);
    children.push(controller);
    let output = '';
    controller.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    controller.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => controller.on('exit', (code) => resolve(code)));
    if (kills < KILLS) {
      const ready = new Promise<void>((resolve) => {
        const check = (): void => {
          if (/started run|resuming run/.test(output)) resolve();
          else if (controller.exitCode === null) setTimeout(check, 20);
        };
        check();
      });
      const delay = 300 + random() * 900;
      const outcome = await Promise.race([
        exited,
        ready.then(() => new Promise<'kill'>((r) => setTimeout(() => r('kill'), delay))),
      ]);
      if (outcome === 'kill') {
        controller.kill('SIGKILL');
        await exited;
        kills++;
        continue;
      }
      if (outcome === 0) return kills;
      throw new Error(`the controller exited with ${outcome}:\n${output}`);
    }
    const code = await exited;
    if (code === 0) return kills;
    throw new Error(`the controller exited with ${code}:\n${output}`);
  }
  throw new Error('the run did not finish');
}

describe('the timeline of skewed processes', () => {
  it('orders every simulator action after the stage.start that caused it in HLC order, not in wall-clock order', async () => {
    const url = await startSim();
    const storePath = join(dir, 'store.db');
    expect(await drain(url, storePath)).toBe(KILLS);

    const store = createSqliteStore({ path: storePath });
    await store.init();
    const controller = await store.listJournal();
    const [runRecord] = await store.listRuns();
    await store.close();
    expect(runRecord?.state).toBe('succeeded');
    const acts = simEvents(await simJournal(url)).filter((e) => e.origin !== undefined);
    expect(acts.length).toBeGreaterThan(20);

    const firstStart = new Map<string, TimelineEvent>();
    for (const e of controller)
      if (e.type === 'stage.start') {
        const k = `${e.runId}|${String(e.taskId)}|${String(e.stage)}`;
        if (!firstStart.has(k)) firstStart.set(k, e);
      }
    const hlcViolations: string[] = [];
    let wallViolations = 0;
    for (const a of acts) {
      const o = a.origin as { runId: string; taskId: string; stage: number };
      const cause = firstStart.get(`${o.runId}|${o.taskId}|${o.stage}`);
      expect(cause, `a stage.start for ${o.taskId} stage ${o.stage}`).toBeDefined();
      if (compareHlc(cause!.hlc, a.hlc) >= 0) hlcViolations.push(`${o.taskId}#${o.stage}: ${String(a.kind)}`);
      if (cause!.wall >= a.wall) wallViolations++;
    }
    process.stdout.write(
      `skewed drain: ${acts.length} actions, ${hlcViolations.length} before their cause in HLC order, ` +
        `${wallViolations} in wall-clock order\n`,
    );
    expect(hlcViolations).toEqual([]);
    expect(wallViolations).toBeGreaterThan(0);

    // What a user sees: the cut a minute (of wall time) into the run, from the CLI, is the fold of that prefix.
    const starts = controller.filter((e) => e.type === 'run.created');
    const end = controller.at(-1)!;
    const middle = Math.floor((physicalOf(starts[0]!.hlc) + physicalOf(end.hlc)) / 2);
    const at = new Date(middle).toISOString();
    const { stdout } = await run(
      process.execPath,
      [
        '--import',
        'tsx',
        'bin/dev.ts',
        'timeline',
        '--store',
        `sqlite:${storePath}`,
        '--backend',
        `sim+${url}`,
        '--at',
        at,
        '--json',
      ],
      { cwd: ROOT },
    );
    const cut = JSON.parse(stdout) as ReturnType<typeof cutAt>;
    const { stdout: listed } = await run(
      process.execPath,
      [
        '--import',
        'tsx',
        'bin/dev.ts',
        'timeline',
        '--store',
        `sqlite:${storePath}`,
        '--backend',
        `sim+${url}`,
        '--from',
        '0',
        '--to',
        at,
        '--json',
      ],
      { cwd: ROOT },
    );
    const { events } = JSON.parse(listed) as { events: TimelineEvent[] };
    for (let i = 1; i < events.length; i++)
      expect(compareHlc(events[i - 1]!.hlc, events[i]!.hlc)).toBeLessThanOrEqual(0);
    expect(events.every((e) => physicalOf(e.hlc) <= middle)).toBe(true);
    const { last: _last, ...expected } = cutAt(events, BigInt(cut.hlc));
    expect(cut).toEqual(JSON.parse(JSON.stringify(expected)));
    expect(cut.runs).toHaveLength(1);
    const states = new Set(cut.runs[0]!.tasks.map((t) => t.state));
    // A minute in the middle: some tasks done, some not.
    expect(cut.runs[0]!.state).toBe('running');
    expect(states.size).toBeGreaterThan(1);
  }, 150_000);
});
