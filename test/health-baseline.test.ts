/**
 * A health check that is already false when a task starts measures the trouble the task is there to end (errors in
 * a datacenter being evacuated): it must not block the cure. It is recorded and warned about, the task proceeds, and
 * the check gates again once it has been true during the task. Missing data still holds.
 */
import { describe, expect, it } from 'vitest';
import type { Backend } from '../src/backends/backend.js';
import { makeWorld, operator, readingAs, type World } from './engine-fixture.js';

/** The world with front's fleet-wide error rate under the test's control (undefined: it cannot be read). */
function withFrontErrors(w: World, rate: () => number | undefined): Backend {
  return readingAs(w.backend, (s) => {
    const front = s.services.front!;
    const r = rate();
    return {
      ...s,
      services: {
        ...s.services,
        front: { datacenters: front.datacenters, ...(r !== undefined ? { errorRate: r } : {}) },
      },
    };
  });
}

const frontActions = (w: World): number => w.backend.journal().filter((j) => j.origin?.taskId === 'front/step').length;

describe('engine: health checks failing before the task started', () => {
  it('do not gate on their absolute value: a health event and a warning, and the task proceeds to the end', async () => {
    const w = await makeWorld();
    // errors-low is errorRate(front) < 0.5: false from the start.
    const c = await w.newController({ backend: withFrontErrors(w, () => 0.9) });
    const health: (boolean | null)[] = [];
    const alerts: string[] = [];
    c.subscribe((e) => {
      if (!('taskId' in e) || e.taskId !== 'front/step') return;
      if (e.type === 'health' && e.check === 'errors-low') health.push(e.ok);
      if (e.type === 'alert') alerts.push(`${e.severity}: ${e.message}`);
    });
    const run = await c.startRun('mini-drain', operator);
    let done = false;
    void c.wait(run.id).then(() => {
      done = true;
    });
    await w.until(() => done, 600_000);
    expect(done).toBe(true);
    expect((await c.getRun(run.id)).tasks.find((t) => t.id === 'front/step')?.state).toBe('succeeded');
    expect(health[0]).toBe(false);
    expect(alerts.some((a) => /^warning: health errors-low .*failing before the task started/.test(a))).toBe(true);
    expect(frontActions(w)).toBe(2);
    await c.close();
  });

  it('gate again as soon as they have been true once during the task', async () => {
    const w = await makeWorld();
    let rate = 0.9;
    const c = await w.newController({ backend: withFrontErrors(w, () => rate) });
    w.fake.durationMs = 10_000;
    const run = await c.startRun('mini-drain', operator);
    // Healthy for a while (the drain worked), then failing again before the first stage acts.
    await w.until(() => false, 3_000);
    rate = 0;
    await w.until(() => false, 3_000);
    rate = 0.9;
    await w.until(() => false, 120_000);
    const task = (await c.getRun(run.id)).tasks.find((t) => t.id === 'front/step');
    expect(task?.state).toBe('blocked');
    expect(task?.reason).toMatch(/health errors-low is false/);
    expect(frontActions(w)).toBe(0);
    // Recovered: it proceeds.
    rate = 0;
    let done = false;
    void c.wait(run.id).then(() => {
      done = true;
    });
    await w.until(() => done, 600_000);
    expect((await c.getRun(run.id)).state).toBe('succeeded');
    await c.close();
  });

  it('a resumed task cannot tell when a check started failing, so the check gates it', async () => {
    const w = await makeWorld();
    const c = await w.newController({ backend: withFrontErrors(w, () => 0.9) });
    w.fake.durationMs = 60_000;
    const run = await c.startRun('mini-drain', operator);
    await w.until(() => false, 5_000);
    await c.command(run.id, { action: 'pause', reason: 'look first' }, operator);
    await w.until(() => false, 5_000);
    await c.command(run.id, { action: 'resume' }, operator);
    await w.until(() => false, 300_000);
    const task = (await c.getRun(run.id)).tasks.find((t) => t.id === 'front/step');
    expect(task?.state).toBe('blocked');
    expect(task?.reason).toMatch(/health errors-low is false/);
    expect(frontActions(w)).toBe(0);
    await c.close();
  });

  it('missing data still holds, from the start', async () => {
    const w = await makeWorld();
    const c = await w.newController({ backend: withFrontErrors(w, () => undefined) });
    const alerts: string[] = [];
    c.subscribe((e) => {
      if (e.type === 'alert' && e.taskId === 'front/step') alerts.push(e.message);
    });
    const run = await c.startRun('mini-drain', operator);
    await w.until(() => false, 300_000);
    const task = (await c.getRun(run.id)).tasks.find((t) => t.id === 'front/step');
    expect(task?.state).toBe('blocked');
    expect(task?.reason).toMatch(/unknown \(missing data\)/);
    expect(alerts.filter((a) => /before the task started/.test(a))).toHaveLength(0);
    expect(frontActions(w)).toBe(0);
    await c.close();
  });
});
