/**
 * The retrospective timeline stays causal across processes whose clocks disagree. `maelstrom sim` runs 200 ms
 * behind, the controller 200 ms ahead (`--clock-offset`); the controller is killed with SIGKILL at seeded moments and
 * started again until the drain completes. For every action in the simulator's journal, the controller's
 * `stage.start` of the same origin has a smaller HLC; the same check on the processes' wall clocks finds violations
 * (the skew puts the action "before" its cause), so the check can fail. Then the timeline as users read it:
 * `maelstrom timeline --at` a minute in the middle shows exactly the tasks of that minute, and `--from/--to --json`
 * lists the merged events in HLC order.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
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
import { cliProcesses } from './cli-processes.js';
import { PLAN, quickDefinitions, quickPlanYaml } from './quick-plan.js';

const ROOT = join(import.meta.dirname, '..');
const SPEED = 100;
const KILLS = 2;
const run = promisify(execFile);

const { startSim, runController, killAll } = cliProcesses();
const dir = mkdtempSync(join(tmpdir(), 'maelstrom-timeline-'));
const DEFS = quickDefinitions(
  dir,
  'quick-plan.yaml',
  quickPlanYaml(['web', 'api', 'photos', 'messenger', 'search-index', 'user-db']),
);
afterAll(() => {
  killAll();
  rmSync(dir, { recursive: true, force: true });
});

async function simJournal(url: string): Promise<StampedJournalEntry[]> {
  return (await (await fetch(`${url}/journal`)).json()) as StampedJournalEntry[];
}

/** Drives the run to its end, killing the controller `KILLS` times at seeded moments. */
async function drain(url: string, storePath: string): Promise<number> {
  const random = prng(20261201);
  let kills = 0;
  for (let attempt = 0; attempt < KILLS + 3; attempt++) {
    const { code, killed, output } = await runController(
      [
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
      ],
      kills < KILLS ? 300 + random() * 900 : undefined,
    );
    if (killed) {
      kills++;
      continue;
    }
    if (code === 0) return kills;
    throw new Error(`the controller exited with ${code}:\n${output}`);
  }
  throw new Error('the run did not finish');
}

describe('the timeline of skewed processes', () => {
  it('orders every simulator action after the stage.start that caused it in HLC order, not in wall-clock order', async () => {
    const url = await startSim(['drain-test-east', '-f', DEFS, '--speed', String(SPEED), '--clock-offset', '-200']);
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
    // `maelstrom timeline` over the run's store and the simulator, as a user would call it.
    const timeline = async (...range: string[]): Promise<string> =>
      (
        await run(
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
          ].concat(range, ['--json']),
          { cwd: ROOT },
        )
      ).stdout;
    const cut = JSON.parse(await timeline('--at', at)) as ReturnType<typeof cutAt>;
    const listed = await timeline('--from', '0', '--to', at);
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
