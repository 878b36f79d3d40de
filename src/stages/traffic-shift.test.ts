import { beforeAll, describe, expect, it } from 'vitest';
import { createSimBackend, type SimBackend } from '../backends/sim/backend.js';
import { loadDefinitions } from '../load/load.js';
import type { Fleet } from '../model/definitions.js';
import type { EngineEvent } from '../model/events.js';
import { VirtualClock } from '../model/virtual-clock.js';
import { trafficShift } from './traffic-shift.js';
import { testContext, type TestContextOptions } from './testing/context.js';
import type { StageResult } from './stage.js';

let fleet: Fleet;
beforeAll(async () => {
  const { definitions } = await loadDefinitions(['examples']);
  fleet = definitions.fleets.get('example')!;
});

function sim(): SimBackend {
  return createSimBackend({ fleet, seriesResolutionMs: 10_000 });
}

/** Runs the stage to completion in virtual time. */
async function run(backend: SimBackend, options: Omit<TestContextOptions, 'backend' | 'fleet'>) {
  const ctx = testContext({ backend, fleet, ...options });
  let result: StageResult | undefined;
  let error: unknown;
  const done = trafficShift(ctx).then(
    (r) => {
      result = r;
    },
    (e: unknown) => {
      error = e;
    },
  );
  const clock = backend.clock as VirtualClock;
  await clock.runUntil(() => result !== undefined || error !== undefined, clock.now() + 6 * 3600_000);
  await done;
  return { ctx, result, error };
}

const steps = (events: readonly EngineEvent[]) => events.filter((e) => e.type === 'shift.step');
const changing = (b: SimBackend) => b.journal().filter((j) => j.changed);

describe('traffic.shift against the simulator', () => {
  it('drains web from east at the edge with a small first step and no receiver past the target', async () => {
    const b = sim();
    await b.init();
    const { ctx, result } = await run(b, {
      with: { layer: 'edge', service: 'web', datacenter: 'east', target: 'zero' },
    });
    expect(result?.outcome).toBe('success');
    const shiftSteps = steps(ctx.events).filter((e) => e.decision !== 'hold');
    // Small: a quarter of what the measured headroom allows, never under 5 %.
    expect(shiftSteps[0]!.decision).toBe('grow');
    expect(shiftSteps[0]!.moved).toBeGreaterThanOrEqual(0.05);
    expect(shiftSteps[0]!.moved).toBeLessThanOrEqual(0.25);
    expect(shiftSteps.at(-1)).toMatchObject({ decision: 'final', remaining: 0, moved: 1 });
    const remaining = shiftSteps.map((e) => e.remaining);
    expect(remaining).toEqual([...remaining].sort((x, y) => y - x));
    for (const t of await b.weights('edge', 'web')) expect(t.weights.east ?? 0).toBe(0);
    const snap = await b.snapshot();
    expect(snap.services.web!.datacenters.east!.share!.edge).toBeCloseTo(0, 5);
    const max = b.counters().maxUtilization.web!;
    expect(max.west!).toBeLessThan(0.9);
    expect(max.central!).toBeLessThan(0.9);
    // Every action carries its origin for the journal.
    expect(b.journal().every((j) => j.origin?.runId === 'run-1' && j.origin.taskId === 'task-1')).toBe(true);
  });

  it('running it twice is harmless: the second run sends no changing action', async () => {
    const b = sim();
    await b.init();
    await run(b, { with: { layer: 'edge', service: 'api', datacenter: 'east', target: 'zero' } });
    const before = b.journal().length;
    const again = await run(b, { with: { layer: 'edge', service: 'api', datacenter: 'east', target: 'zero' } });
    expect(again.result?.outcome).toBe('success');
    expect(
      b
        .journal()
        .slice(before)
        .filter((j) => j.changed),
    ).toEqual([]);
  });

  it('continues from its checkpoint after a crash without repeating or skipping a step', async () => {
    const b = sim();
    await b.init();
    const abort = new AbortController();
    const first = await run(b, {
      with: { layer: 'edge', service: 'web', datacenter: 'east', target: 'zero' },
      signal: abort.signal,
      // Crash right after the third step was checkpointed, before it was carried out.
      onCheckpoint: (state, n) => {
        if (
          n >= 2 &&
          (state as { steps: number }).steps === 3 &&
          !(state as { pending: { applied: boolean } }).pending.applied
        )
          abort.abort(new Error('killed'));
      },
    });
    expect(first.error).toBeDefined();
    const saved = first.ctx.checkpoints.at(-1) as { steps: number; progress: number };
    expect(saved.steps).toBe(3);
    const changedBefore = changing(b).length;
    const second = await run(b, {
      with: { layer: 'edge', service: 'web', datacenter: 'east', target: 'zero' },
      state: saved,
    });
    expect(second.result?.outcome).toBe('success');
    const resumedSteps = steps(second.ctx.events)
      .filter((e) => e.decision !== 'hold')
      .map((e) => e.step);
    // The interrupted third step is carried out once, then the run goes on from there.
    expect(resumedSteps[0]).toBe(3);
    expect(new Set(resumedSteps).size).toBe(resumedSteps.length);
    expect(changing(b).length).toBeGreaterThan(changedBefore);
    for (const t of await b.weights('edge', 'web')) expect(t.weights.east ?? 0).toBe(0);
  });

  it('a crash after a step was carried out resends nothing for it', async () => {
    const b = sim();
    await b.init();
    const abort = new AbortController();
    const first = await run(b, {
      with: { layer: 'edge', service: 'web', datacenter: 'east', target: 'zero' },
      signal: abort.signal,
      onCheckpoint: (state) => {
        const s = state as { steps: number; pending?: { applied: boolean } };
        if (s.steps === 2 && s.pending?.applied) abort.abort(new Error('killed'));
      },
    });
    const saved = first.ctx.checkpoints.at(-1);
    const journalBefore = b.journal().length;
    const ctxAfter = testContext({
      backend: b,
      fleet,
      with: { layer: 'edge', service: 'web', datacenter: 'east', target: 'zero' },
      state: saved,
    });
    const done = trafficShift(ctxAfter);
    const clock = b.clock as VirtualClock;
    // Until the next step is due, the resumed stage only waits.
    await clock.advanceTo(clock.now() + 1000);
    expect(b.journal().length).toBe(journalBefore);
    await clock.runUntil(
      () => ctxAfter.events.some((e) => e.type === 'shift.step' && e.decision === 'final'),
      clock.now() + 6 * 3600_000,
    );
    await clock.runUntil(() => false, clock.now() + 600_000);
    expect((await done).outcome).toBe('success');
  });

  it('drains an internal service at the cluster layer to other datacenters, then restores it to the baseline', async () => {
    const b = sim();
    await b.init();
    const drained = await run(b, {
      service: 'feed',
      with: { layer: 'cluster', service: 'feed', datacenter: 'east', target: 'zero' },
    });
    expect(drained.result?.outcome).toBe('success');
    const east = (await b.weights('cluster', 'feed')).find((t) => t.source === 'east')!;
    expect((east.weights['east-a'] ?? 0) + (east.weights['east-b'] ?? 0) + (east.weights['east-c'] ?? 0)).toBe(0);
    expect((east.weights['west-a'] ?? 0) + (east.weights['central-a'] ?? 0)).toBeGreaterThan(0);
    // Other datacenters' own tables are untouched.
    const baseline = await b.baselineWeights('cluster', 'feed');
    expect((await b.weights('cluster', 'feed')).find((t) => t.source === 'west')).toEqual(
      baseline.find((t) => t.source === 'west'),
    );
    const restored = await run(b, {
      service: 'feed',
      with: { layer: 'cluster', service: 'feed', datacenter: 'east', target: 'baseline' },
    });
    expect(restored.result?.outcome).toBe('success');
    expect(await b.weights('cluster', 'feed')).toEqual(baseline);
  });

  it('restores the edge of a drained service to exactly its baseline weights', async () => {
    const b = sim();
    await b.init();
    await run(b, { with: { layer: 'edge', service: 'photos', datacenter: 'east', target: 'zero' } });
    const restored = await run(b, {
      with: { layer: 'edge', service: 'photos', datacenter: 'east', target: 'baseline' },
    });
    expect(restored.result?.outcome).toBe('success');
    expect(await b.weights('edge', 'photos')).toEqual(await b.baselineWeights('edge', 'photos'));
    expect(steps(restored.ctx.events).at(-1)).toMatchObject({ decision: 'final', moved: 1 });
  });

  it('moves 10 % every 5 minutes with the fixed pacer', async () => {
    const b = sim();
    await b.init();
    const start = b.clock.now();
    const { ctx, result } = await run(b, {
      with: { layer: 'edge', service: 'api', datacenter: 'east' },
      pacing: { mode: 'fixed' },
    });
    expect(result?.outcome).toBe('success');
    const moves = steps(ctx.events);
    expect(moves).toHaveLength(10);
    expect(moves.slice(0, 9).every((e) => e.decision === 'fixed')).toBe(true);
    expect(b.clock.now() - start).toBeGreaterThanOrEqual(50 * 60_000);
  });

  it('the oracle pacer finishes sooner than the closed loop, and the closed loop far sooner than the fixed schedule', async () => {
    const times: Record<string, number> = {};
    for (const mode of ['oracle', 'closed-loop', 'fixed'] as const) {
      const b = sim();
      await b.init();
      const start = b.clock.now();
      const { result } = await run(b, {
        with: { layer: 'edge', service: 'web', datacenter: 'east' },
        pacing: { mode },
      });
      expect(result?.outcome).toBe('success');
      times[mode] = b.clock.now() - start;
      expect(b.counters().maxUtilization.web!.central!).toBeLessThan(mode === 'fixed' ? 2 : 0.9);
    }
    expect(times.oracle!).toBeLessThan(times['closed-loop']!);
    expect(times['closed-loop']!).toBeLessThan(times.fixed! / 2);
  });

  it('refuses the oracle pacer on a backend without an oracle', async () => {
    const b = sim();
    const { oracle: _o, ...rest } = b;
    const { error } = await run({ ...rest } as unknown as SimBackend, {
      with: { layer: 'edge', service: 'web', datacenter: 'east' },
      pacing: { mode: 'oracle' },
    });
    expect((error as { code?: string }).code).toBe('E_BAD_REQUEST');
  });

  it('rejects a bad layer with E_PARAM', async () => {
    const { error } = await run(sim(), { with: { layer: 'moon', service: 'web', datacenter: 'east' } });
    expect((error as { code?: string }).code).toBe('E_PARAM');
  });
});
