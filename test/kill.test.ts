/**
 * Crash safety, proven: a controller process drives a drain of east against a separate simulator process and is
 * killed with SIGKILL at seeded random moments, then started again on the same store, until the run completes.
 * After every kill the store says which stages had completed; the simulator's journal must show no action from a
 * completed stage afterwards (no completed stage repeated), and at the end every stage of every task completed
 * (none skipped).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { JournalEntry } from '../src/backends/sim/backend.js';
import { createSqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { seededRandom as prng } from '../src/model/random.js';
import { cliProcesses } from './cli-processes.js';
import { PLAN, quickDefinitions } from './quick-plan.js';

// Slow enough that the drain outlasts every planned kill (each controller lives at most 1.2 s before its kill).
const SPEED = 100;
const KILLS = 6;

const { startSim, runController, killAll } = cliProcesses();
const dir = mkdtempSync(join(tmpdir(), 'maelstrom-kill-'));

// The reference definitions plus the quick plan (test/quick-plan.ts), which keeps the test within a minute.
const DEFS = quickDefinitions(dir, 'kill-plan.yaml');

afterAll(() => {
  killAll();
  rmSync(dir, { recursive: true, force: true });
});

async function journal(url: string): Promise<JournalEntry[]> {
  const res = await fetch(`${url}/journal`);
  return (await res.json()) as JournalEntry[];
}

const key = (taskId: string, stage: number): string => `${taskId}#${stage}`;

/** Stages whose end is committed in the store: those a restarted controller must never run again. */
async function completedStages(
  storePath: string,
): Promise<{ done: Set<string>; state: string | undefined; starts: { seq: number; key: string }[] }> {
  const store = createSqliteStore({ path: storePath });
  await store.init();
  try {
    const done = new Set<string>();
    const starts: { seq: number; key: string }[] = [];
    const runs = await store.listRuns();
    for (const e of await store.listEvents({ limit: 1_000_000 })) {
      if (e.type === 'stage.end' && e.outcome === 'success') done.add(key(e.taskId, e.stage));
      if (e.type === 'stage.start') starts.push({ seq: e.seq ?? 0, key: key(e.taskId, e.stage) });
    }
    return { done, state: runs[0]?.state, starts };
  } finally {
    await store.close();
  }
}

describe('kill test', () => {
  it('a controller killed at random moments resumes the drain without repeating or skipping a completed stage', async () => {
    const url = await startSim(['drain-test-east', '-f', DEFS, '--speed', String(SPEED)]);
    const storePath = join(dir, 'store.db');
    const random = prng(20260302);
    const violations: string[] = [];
    let kills = 0;
    let finished = false;
    let lastOutput = '';
    let resumed = 0;
    for (let attempt = 0; attempt < KILLS + 3 && !finished; attempt++) {
      const before = await completedStages(storePath).catch(() => ({
        done: new Set<string>(),
        state: undefined,
        starts: [],
      }));
      const lastSeq = Math.max(0, ...before.starts.map((s) => s.seq));
      const journalBefore = (await journal(url)).length;
      // Once the controller has started or resumed the run, kill it at a random moment of the next 1.2 s.
      const { code, killed, output } = await runController(
        ['run', PLAN, '-f', DEFS, '--backend', `sim+${url}`, '--store', `sqlite:${storePath}`, '--plain'],
        kills < KILLS ? random() * 1200 : undefined,
      );
      if (killed) kills++;
      lastOutput = output;
      if (/resuming run/.test(output)) resumed++;
      // Every action sent by this controller came from a stage not completed before it started.
      const after = (await journal(url)).slice(journalBefore);
      for (const j of after) {
        if (j.origin && before.done.has(key(j.origin.taskId, j.origin.stage))) {
          violations.push(
            `${j.origin.taskId} stage ${j.origin.stage} acted again (${j.kind} ${j.target}) after it had completed`,
          );
        }
      }
      // Nor did it even begin one again (a repeat of an idempotent stage sends nothing, but still shows here).
      const now = await completedStages(storePath);
      for (const st of now.starts)
        if (st.seq > lastSeq && before.done.has(st.key))
          violations.push(`${st.key} started again after it had completed`);
      if (code === 0) finished = true;
      else if (code !== null) throw new Error(`the controller exited with ${code}:\n${output}`);
    }
    expect(kills).toBeGreaterThanOrEqual(KILLS);
    expect(resumed).toBeGreaterThan(0);
    expect(finished, lastOutput).toBe(true);
    expect(violations).toEqual([]);

    // None skipped: every stage of every task completed, and every traffic shift acted on the world.
    const store = createSqliteStore({ path: storePath });
    await store.init();
    const [run] = await store.listRuns();
    expect(run?.state).toBe('succeeded');
    const { done } = await completedStages(storePath);
    const all = await journal(url);
    for (const t of run!.compiled.tasks) {
      t.stages.forEach((s, i) => {
        expect(done.has(key(t.id, i)), `${t.id} stage ${i} (${s.uses}) completed`).toBe(true);
        if (s.uses === 'traffic.shift')
          expect(
            all.some((j) => j.origin?.taskId === t.id && j.origin.stage === i),
            `${t.id} stage ${i} acted`,
          ).toBe(true);
      });
    }
    await store.close();
  }, 120_000);
});
