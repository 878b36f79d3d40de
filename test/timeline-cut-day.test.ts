/**
 * A cut at any instant of a day's journal: the store's journal of 2,000 changes plus the simulator's 1,000 calls, cut
 * at random instants, each read from the store by HLC range and folded, holds every task and exactly the changes up
 * to the instant. How fast that is (under 100 ms for a day of the reference fleet) is bench/timeline.bench.ts's
 * figure: speed goals are checked there, never by timed assertions in tests.
 */
import { describe, expect, it } from 'vitest';
import { createSqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { seededRandom } from '../src/model/random.js';
import { cutAt, mergeTimelines, type TimelineEvent } from '../src/model/timeline.js';
import { simEvents } from '../src/timeline/sources.js';
import type { StampedJournalEntry } from '../src/backends/sim/backend.js';

const TASKS = Array.from({ length: 60 }, (_, i) => `service-${i}/edge`);

describe('cuts of a day of journal', () => {
  it('hold every task and exactly the changes up to the instant, at any instant', async () => {
    const store = createSqliteStore({ path: ':memory:' });
    await store.init();
    const random = seededRandom(7);
    await store.appendJournal([
      {
        type: 'run.created',
        runId: 'r1',
        plan: 'evacuate-east',
        state: 'pending',
        tasks: TASKS.map((id) => ({ id, state: 'pending', stage: 0 })),
      },
    ]);
    for (let batch = 0; batch < 2; batch++) {
      const entries = Array.from({ length: 1000 }, (_, i) => {
        const taskId = TASKS[Math.floor(random() * TASKS.length)]!;
        return i % 3 === 0
          ? { type: 'task.state', runId: 'r1', taskId, state: 'running', stage: i % 2 }
          : i % 3 === 1
            ? {
                type: 'shift.step',
                runId: 'r1',
                taskId,
                layer: 'edge',
                service: taskId.split('/')[0]!,
                datacenter: 'east',
                remaining: random(),
              }
            : { type: 'health', runId: 'r1', taskId, check: 'errors', ok: random() > 0.1 };
      });
      await store.appendJournal(entries);
    }
    const all = await store.listJournal();
    expect(all.length).toBe(2_001);
    const sim: StampedJournalEntry[] = Array.from({ length: 1000 }, (_, i) => ({
      seq: i + 1,
      time: i,
      epoch: 1,
      kind: 'weights.set',
      target: 'edge/web/nyc',
      action: {
        kind: 'weights.set',
        layer: 'edge',
        service: 'web',
        source: 'nyc',
        weights: { east: random(), west: 1 },
      },
      changed: true,
      hlc: all[Math.floor((i / 1000) * all.length)]!.hlc,
      wall: 0,
    }));
    const simTimeline = simEvents(sim);
    for (let i = 0; i < 10; i++) {
      const at = BigInt(all[Math.floor(random() * all.length)]!.hlc);
      const events: TimelineEvent[] = mergeTimelines(
        await store.listJournal({ toHlc: at.toString() }),
        simTimeline.filter((e) => BigInt(e.hlc) <= at),
      );
      const cut = cutAt(events, at);
      expect(cut.runs[0]!.tasks).toHaveLength(TASKS.length);
      const upTo = (e: { hlc: string }): boolean => BigInt(e.hlc) <= at;
      expect(cut.eventCount).toBe(all.filter(upTo).length + simTimeline.filter(upTo).length);
    }
    await store.close();
  });
});
