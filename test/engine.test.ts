import { describe, expect, it } from 'vitest';
import { MaelstromError } from '../src/model/errors.js';
import { code, loadMini, makeWorld, operator, readingAs } from './engine-fixture.js';

describe('engine: scheduling and execution', () => {
  it('runs a plan to the end, callers before callees, every stage once, state committed first', async () => {
    const w = await makeWorld();
    const started = await w.controller.startRun('mini-drain', operator);
    expect(started.state).toBe('pending');
    // Persisted before anything ran.
    expect((await w.store.getRun(started.id))?.state).toBeDefined();
    let done = false;
    void w.controller.wait(started.id).then(() => {
      done = true;
    });
    await w.until(() => done);
    const run = await w.controller.getRun(started.id);
    expect(run.state).toBe('succeeded');
    expect(run.tasks.map((t) => t.state)).toEqual(['succeeded', 'succeeded']);
    expect(w.fake.calls.map((c) => `${c.taskId}#${c.stage}`)).toEqual([
      'front/step#0',
      'front/step#1',
      'back/step#0',
      'back/step#1',
    ]);
    const journal = w.backend.journal();
    expect(journal.map((j) => j.origin && `${j.origin.taskId}#${j.origin.stage}`)).toEqual([
      'front/step#0',
      'front/step#1',
      'back/step#0',
      'back/step#1',
    ]);
    // Every stage.start was journaled before the action it led to.
    const starts = w.events.filter((e) => e.type === 'stage.start');
    expect(starts).toHaveLength(4);
    expect(run.criticalPath).toEqual(['front/step', 'back/step']);
  });

  it('a bug in a stage fails the task although next routes failures; the world’s failure is routed', async () => {
    const extra = `
---
apiVersion: maelstrom/v1
kind: TaskTemplate
metadata: { name: routed }
spec:
  params: { service: { type: service }, datacenter: { type: datacenter } }
  stages:
    - { name: act, uses: config.set, with: { key: act, value: x }, next: { failure: recover } }
    - { name: recover, uses: config.set, with: { key: recover, value: x } }
---
apiVersion: maelstrom/v1
kind: Runbook
metadata: { name: routed }
spec:
  direction: drain
  params: { service: { type: service }, datacenter: { type: datacenter } }
  tasks:
    - { name: t, template: routed, with: { service: '\${{ params.service }}', datacenter: '\${{ params.datacenter }}' } }
---
apiVersion: maelstrom/v1
kind: Plan
metadata: { name: mini-routed }
spec: { fleet: mini, direction: drain, datacenter: east, services: [back], runbooks: [ { match: {}, runbook: routed } ] }
`;
    for (const how of ['bug', 'world'] as const) {
      const ran: string[] = [];
      const w = await makeWorld({
        defs: await loadMini(extra),
        library: {
          'config.set': async (ctx) => {
            ran.push(String(ctx.with.key));
            if (ctx.with.key === 'recover') return { outcome: 'success' };
            if (how === 'bug') throw new TypeError("Cannot read properties of undefined (reading 'weights')");
            throw new MaelstromError('E_BACKEND', 'the load balancer refused the change');
          },
        },
      });
      const run = await w.controller.startRun('mini-routed', operator);
      let done = false;
      void w.controller.wait(run.id).then(() => {
        done = true;
      });
      await w.until(() => done || w.events.some((e) => e.type === 'task.state' && e.state === 'failed'), 600_000);
      const task = (await w.controller.getRun(run.id)).tasks[0]!;
      if (how === 'bug') {
        expect(task.state).toBe('failed');
        expect(task.reason).toMatch(/internal error .*no runbook route applies\): E_INTERNAL: Cannot read properties/);
        expect(ran).toEqual(['act']);
        expect(task.allowedActions).toEqual(['retry', 'skip']);
      } else {
        expect(task.state).toBe('succeeded');
        expect(ran).toEqual(['act', 'recover']);
      }
      await w.controller.close();
    }
  });

  it('refuses a plan that fails the pre-flight check, with the figures', async () => {
    const defs = await loadMini(`
---
apiVersion: maelstrom/v1
kind: Fleet
metadata: { name: tight }
spec:
  datacenters: [ { name: east, clusters: [east-a] }, { name: west, clusters: [west-a] } ]
  pops: [ { name: nyc, share: 1, weights: { east: 90, west: 10 } } ]
  services:
    - { name: front, type: stateless, userFacing: true, demand: 1000, capacity: { east: 1000, west: 300 } }
---
apiVersion: maelstrom/v1
kind: Plan
metadata: { name: tight-drain }
spec: { fleet: tight, direction: drain, datacenter: east, runbooks: [ { match: {}, runbook: steps } ] }
`);
    const w = await makeWorld({ defs });
    const err = await w.controller.startRun('tight-drain', operator).catch((e: unknown) => e as MaelstromError);
    expect(err).toBeInstanceOf(MaelstromError);
    expect((err as MaelstromError).code).toBe('E_PREFLIGHT');
    expect((err as MaelstromError).message).toMatch(
      /^front: needs \d+ req\/s moved, the other datacenters have \d+ req\/s of headroom at 85\.0 %$/,
    );
    expect(await w.store.listRuns()).toHaveLength(0);
  });

  it('refuses a run acting on a service and datacenter that another active run acts on', async () => {
    const w = await makeWorld();
    const first = await w.controller.startRun('mini-drain', operator);
    expect(await code(w.controller.startRun('mini-drain-again', operator))).toBe('E_CONFLICT');
    // Another datacenter is fine.
    const other = await w.controller.startRun('mini-gated', operator);
    expect(other.id).not.toBe(first.id);
    await w.controller.close();
  });

  it('missing metrics hold a task (blocked, visibly) and never count as healthy; no action is sent', async () => {
    const w = await makeWorld();
    const blind = readingAs(w.backend, (s) => {
      const front = s.services.front;
      // front's error rate cannot be read.
      return { ...s, services: { ...s.services, ...(front ? { front: { datacenters: front.datacenters } } : {}) } };
    });
    const c = await w.newController({ backend: blind });
    const events: string[] = [];
    c.subscribe((e) => {
      if (e.type === 'health' && e.taskId === 'front/step') events.push(`health:${String(e.ok)}`);
      if (e.type === 'condition.blocked') events.push(`blocked:${e.condition}`);
    });
    const run = await c.startRun('mini-drain', operator);
    await w.until(() => false, 600_000);
    const view = await c.getRun(run.id);
    expect(view.tasks.find((t) => t.id === 'front/step')?.state).toBe('blocked');
    expect(view.tasks.find((t) => t.id === 'front/step')?.reason).toMatch(/unknown \(missing data\)/);
    expect(view.state).toBe('blocked');
    expect(view.reason).toMatch(/front\/step is blocked/);
    expect(events).toContain('health:null');
    expect(events).toContain('blocked:errors-low');
    expect(w.backend.journal()).toHaveLength(0);
    await c.close();
  });
  it('a false pre-condition holds the task visibly: an event at once, blocked after a while, never passed silently', async () => {
    const w = await makeWorld();
    const busy = readingAs(w.backend, (s) => {
      const back = s.services.back!;
      // west looks full for back, so its pre-condition (capacity-left) is false.
      return {
        ...s,
        services: {
          ...s.services,
          back: {
            ...back,
            datacenters: { ...back.datacenters, west: { ...back.datacenters.west, utilization: 1.2 } },
          },
        },
      };
    });
    const c = await w.newController({ backend: busy });
    const seen: string[] = [];
    c.subscribe((e) => {
      if (e.type === 'condition.blocked' && e.taskId === 'back/step') seen.push(e.condition);
      if (e.type === 'task.state' && e.taskId === 'back/step') seen.push(e.state);
    });
    const run = await c.startRun('mini-drain', operator);
    await w.until(() => false, 600_000);
    expect(seen.slice(0, 3)).toEqual(['capacity-left', 'waiting', 'blocked']);
    const view = await c.getRun(run.id);
    expect(view.tasks.find((t) => t.id === 'back/step')).toMatchObject({ state: 'blocked' });
    expect(view.state).toBe('blocked');
    expect(w.backend.journal().filter((j) => j.origin?.taskId === 'back/step')).toHaveLength(0);
    await c.command(
      run.id,
      { action: 'override-condition', task: 'back/step', condition: 'capacity-left', reason: 'west is being expanded' },
      operator,
    );
    let done = false;
    void c.wait(run.id).then(() => {
      done = true;
    });
    await w.until(() => done);
    expect((await c.getRun(run.id)).state).toBe('succeeded');
    await c.close();
  });
});
