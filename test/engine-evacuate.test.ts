/**
 * The reference drain, end to end in process: evacuate-east against the simulated reference fleet at the evening
 * peak, on virtual time, then restore-east. Zero overload at any receiver, and everything back afterwards.
 */
import { describe, expect, it } from 'vitest';
import { createSimBackend } from '../src/backends/sim/backend.js';
import { createController } from '../src/compose/controller.js';
import { loadOrFail } from '../src/load/check.js';
import { VirtualClock } from '../src/model/virtual-clock.js';
import { isTerminalRun } from '../src/model/states.js';
import { createSqliteStore } from '../src/store/sqlite/sqlite-store.js';

describe('engine: the reference drain', () => {
  it('evacuate-east drains east with zero overload and restore-east brings it back, in seconds of wall time', async () => {
    const defs = await loadOrFail(['examples'], { warn: () => undefined });
    const scenario = defs.scenarios.get('drain-test-east')!;
    const fleet = defs.fleets.get('example')!;
    const clock = new VirtualClock(Date.parse(scenario.spec.start));
    const backend = createSimBackend({ fleet, scenario, clock });
    await backend.init();
    const store = createSqliteStore({ path: ':memory:' });
    await store.init();
    const controller = await createController({ definitions: defs, backend, store, clock, requestPollMs: false });
    const actor = { name: 'drill', role: 'operator' as const };
    const wall = Date.now();

    const drive = async (plan: string): Promise<string> => {
      const run = await controller.startRun(plan, actor);
      let done = false;
      void controller.wait(run.id).then((v) => {
        done = isTerminalRun(v.state);
      });
      await clock.runUntil(() => done, clock.now() + 6 * 3600_000);
      const view = await controller.getRun(run.id);
      expect(
        view.state,
        `${plan}: ${view.reason ?? ''}\n${view.tasks
          .filter((t) => t.state !== 'succeeded')
          .map((t) => `${t.id} ${t.state} ${t.reason ?? ''}`)
          .join('\n')}`,
      ).toBe('succeeded');
      return run.id;
    };

    const drainStart = clock.now();
    await drive('evacuate-east');
    const drainMs = clock.now() - drainStart;
    const snap = await backend.snapshot();
    for (const [service, reading] of Object.entries(snap.services)) {
      const east = reading.datacenters.east;
      if (!east?.share) continue;
      expect(east.share.edge ?? 0, `${service} edge share left in east`).toBeLessThan(1e-6);
    }
    const counters = backend.counters();
    const overload = Object.entries(counters.overloadSeconds).flatMap(([svc, byDc]) =>
      Object.entries(byDc)
        .filter(([, s]) => s > 0)
        .map(([dc, s]) => `${svc}@${dc} ${s}s`),
    );
    expect(overload).toEqual([]);

    await drive('restore-east');
    const after = await backend.snapshot();
    expect(after.services.web?.datacenters.east?.share?.edge ?? 0).toBeGreaterThan(0.3);
    expect(
      Object.values(backend.counters().overloadSeconds)
        .flatMap((byDc) => Object.values(byDc))
        .every((s) => s === 0),
    ).toBe(true);
    // Hours of fleet time in seconds of wall time.
    expect(drainMs).toBeGreaterThan(10 * 60_000);
    expect(Date.now() - wall).toBeLessThan(60_000);
    await controller.close();
    await store.close();
  }, 120_000);
  it('evacuate-east-approved waits at each promotion until an operator approves it, then drains east', async () => {
    const defs = await loadOrFail(['examples'], { warn: () => undefined });
    const scenario = defs.scenarios.get('drain-test-east')!;
    const clock = new VirtualClock(Date.parse(scenario.spec.start));
    const backend = createSimBackend({ fleet: defs.fleets.get('example')!, scenario, clock });
    await backend.init();
    const store = createSqliteStore({ path: ':memory:' });
    await store.init();
    const controller = await createController({ definitions: defs, backend, store, clock });
    const actor = { name: 'ana', role: 'operator' as const };
    const run = await controller.startRun('evacuate-east-approved', actor);
    let view = run;
    let done = false;
    void controller.wait(run.id).then(() => {
      done = true;
    });
    const gates = ['message-store/approve', 'user-db/approve'];
    const waiting = (): string[] =>
      view.tasks.filter((t) => t.state === 'running' && t.allowedActions.includes('approve')).map((t) => t.id);
    const approved: string[] = [];
    while (!done && approved.length < gates.length) {
      await clock.runUntil(() => {
        void controller.getRun(run.id).then((v) => {
          view = v;
        });
        return done || waiting().length > 0;
      }, clock.now() + 3600_000);
      view = await controller.getRun(run.id);
      for (const id of waiting()) {
        // Waiting for a person holds its promotion back: nothing is promoted before the go.
        const promote = view.tasks.find((t) => t.id === id.replace('/approve', '/promote'))!;
        expect(promote.state).toBe('pending');
        const after = await controller.command(
          run.id,
          { action: 'approve', task: id, reason: 'replicas look fine' },
          actor,
        );
        expect(after.tasks.find((t) => t.id === id)).toMatchObject({ approved: true });
        expect(after.tasks.find((t) => t.id === id)!.allowedActions).not.toContain('approve');
        approved.push(id);
      }
      view = await controller.getRun(run.id);
    }
    await clock.runUntil(() => done, clock.now() + 6 * 3600_000);
    view = await controller.getRun(run.id);
    expect(approved.sort()).toEqual(gates);
    expect(view.state).toBe('succeeded');
    expect(view.tasks).toHaveLength(20);
    await controller.close();
    await store.close();
  }, 120_000);
});
