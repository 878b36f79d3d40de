import { describe, expect, it } from 'vitest';
import { loadDefinitions } from '../../load/load.js';
import type { Fleet, Scenario } from '../../model/definitions.js';
import { MaelstromError } from '../../model/errors.js';
import { VirtualClock } from '../../model/virtual-clock.js';
import { backendConformance } from '../conformance.js';
import { createSimBackend } from './backend.js';

const { definitions } = await loadDefinitions(['examples']);
const fleet = definitions.fleets.get('example')!;
const drainTest = definitions.scenarios.get('drain-test-east')!;

backendConformance('sim (in process)', async () => {
  const backend = createSimBackend({ fleet, scenario: drainTest });
  await backend.init();
  return { backend, service: 'web', layer: 'edge' };
});

backendConformance('sim (in process, cluster layer)', async () => {
  const backend = createSimBackend({ fleet });
  await backend.init();
  return { backend, service: 'feed', layer: 'cluster' };
});

function withFaults(faults: NonNullable<Scenario['spec']['faults']>): Scenario {
  return { ...drainTest, spec: { ...drainTest.spec, faults } };
}

describe('sim backend', () => {
  it('steps the world as its virtual clock moves, and a weight change takes effect after the propagation delay', async () => {
    const clock = new VirtualClock(Date.parse(drainTest.spec.start));
    const backend = createSimBackend({ fleet, scenario: drainTest, clock });
    await backend.init();
    for (const t of await backend.weights('edge', 'web')) {
      await backend.act({
        kind: 'weights.set',
        layer: 'edge',
        service: 'web',
        source: t.source,
        weights: { ...t.weights, east: 0 },
      });
    }
    await clock.advanceTo(clock.now() + 29_000);
    expect((await backend.snapshot()).services.web!.datacenters.east!.share!.edge).toBeGreaterThan(0.4);
    await clock.advanceTo(clock.now() + 1_000);
    const snap = await backend.snapshot();
    expect(snap.time).toBe(clock.now());
    expect(snap.services.web!.datacenters.east!.share!.edge).toBe(0);
    expect(backend.oracle.propagationMs('edge')).toBe(30_000);
    const truth = await backend.oracle.truth('web');
    expect(truth.capacity).toEqual({ east: 14000, west: 12000, central: 12000 });
    expect(truth.load.east).toBe(0);
  });

  it('journals every call in order with its simulated time, target, origin and whether it changed anything', async () => {
    const clock = new VirtualClock(Date.parse(drainTest.spec.start));
    const backend = createSimBackend({ fleet, scenario: drainTest, clock });
    const origin = { runId: 'r1', taskId: 'messenger/drain', stage: 1, attempt: 1 };
    const action = { kind: 'sessions.teardown', service: 'messenger', datacenter: 'east', rate: 200 } as const;
    await backend.act(action, { origin });
    await clock.advanceTo(clock.now() + 5_000);
    await backend.act(action, { origin: { ...origin, attempt: 2 } });
    await expect(
      backend.act({ kind: 'sessions.teardown', service: 'web', datacenter: 'east', rate: 1 }),
    ).rejects.toMatchObject({ code: 'E_BAD_REQUEST' });
    const journal = backend.journal();
    expect(journal.map((e) => [e.seq, e.kind, e.target, e.changed])).toEqual([
      [1, 'sessions.teardown', 'messenger/east', true],
      [2, 'sessions.teardown', 'messenger/east', false],
      [3, 'sessions.teardown', 'web/east', false],
    ]);
    expect(journal[1]!.time - journal[0]!.time).toBe(5_000);
    expect(journal[1]!.origin).toEqual({ ...origin, attempt: 2 });
    expect(journal[2]!.error?.code).toBe('E_BAD_REQUEST');
  });

  it('a mechanism that errors makes act() throw a retryable error while the fault lasts', async () => {
    const scenario = withFaults([{ at: '1m', duration: '2m', kind: 'mechanism', mechanism: 'edge', mode: 'error' }]);
    const clock = new VirtualClock(Date.parse(scenario.spec.start));
    const backend = createSimBackend({ fleet, scenario, clock });
    const action = {
      kind: 'weights.set',
      layer: 'edge',
      service: 'web',
      source: 'nyc',
      weights: { east: 0, west: 1, central: 1 },
    } as const;
    await clock.advanceTo(clock.now() + 60_000);
    const err = await backend.act(action).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MaelstromError);
    expect((err as MaelstromError).retryable).toBe(true);
    expect((err as MaelstromError).code).toBe('E_BACKEND_UNAVAILABLE');
    // the cluster mechanism is unaffected
    expect(
      (
        await backend.act({
          kind: 'weights.set',
          layer: 'cluster',
          service: 'web',
          source: 'east',
          weights: { 'east-a': 1 },
        })
      ).changed,
    ).toBe(true);
    await clock.advanceTo(clock.now() + 120_000);
    expect((await backend.act(action)).changed).toBe(true);
  });

  it('a mechanism that hangs never answers until the caller aborts', async () => {
    const scenario = withFaults([{ at: '0s', kind: 'mechanism', mechanism: 'sessions', mode: 'hang' }]);
    const backend = createSimBackend({ fleet, scenario });
    const controller = new AbortController();
    let settled = false;
    const pending = backend
      .act(
        { kind: 'sessions.teardown', service: 'messenger', datacenter: 'east', rate: 10 },
        { signal: controller.signal },
      )
      .finally(() => {
        settled = true;
      });
    await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false);
    controller.abort(new Error('deadline'));
    await expect(pending).rejects.toMatchObject({ code: 'E_ABORTED', retryable: true });
  });

  it('hides the readings of a service in a datacenter while its metrics are missing', async () => {
    const scenario = withFaults([
      { at: '0s', duration: '1m', kind: 'metrics-missing', service: 'web', datacenter: 'west' },
    ]);
    const clock = new VirtualClock(Date.parse(scenario.spec.start));
    const backend = createSimBackend({ fleet, scenario, clock });
    await clock.advanceTo(clock.now() + 10_000);
    let snap = await backend.snapshot();
    expect(snap.services.web!.datacenters.west).toEqual({});
    expect(snap.services.web!.datacenters.east!.utilization).toBeGreaterThan(0);
    await clock.advanceTo(clock.now() + 60_000);
    snap = await backend.snapshot();
    expect(snap.services.web!.datacenters.west!.utilization).toBeGreaterThan(0);
  });

  it('answers prom() queries as absent and runs with a fleet alone', async () => {
    const backend = createSimBackend({ fleet: fleet satisfies Fleet });
    const snap = await backend.snapshot({ queries: ['up'] });
    expect(snap.queries).toEqual({ up: undefined });
    expect(Object.keys(snap.services)).toHaveLength(fleet.spec.services.length);
  });

  it('journals its own changes with the HLC: a weight change taking effect after the call, a fault starting and ending', async () => {
    const scenario = withFaults([
      { at: '1m', duration: '2m', kind: 'capacity', datacenter: 'west', capacityFraction: 0.5 },
    ]);
    const clock = new VirtualClock(Date.parse(scenario.spec.start));
    const backend = createSimBackend({ fleet, scenario, clock });
    await backend.init();
    const [table] = await backend.weights('edge', 'web');
    await backend.act({
      kind: 'weights.set',
      layer: 'edge',
      service: 'web',
      source: table!.source,
      weights: { ...table!.weights, east: 0 },
    });
    await clock.advanceTo(clock.now() + 5 * 60_000);
    const world = backend.worldJournal();
    const act = backend.stampedJournal()[0]!;
    const effective = world.find((c) => c.kind === 'weights.effective')!;
    expect(effective).toMatchObject({ layer: 'edge', service: 'web', source: table!.source });
    expect(effective.kind === 'weights.effective' && effective.weights.east).toBe(0);
    // Caused by the call, and after it in HLC order; in simulated time, one propagation delay later.
    expect(BigInt(effective.hlc)).toBeGreaterThan(BigInt(act.hlc));
    expect(effective.time).toBe(act.time + backend.oracle.propagationMs('edge'));
    const faults = world.flatMap((c) => (c.kind === 'weights.effective' ? [] : [[c.kind, c.fault]]));
    expect(faults).toEqual([
      ['fault.start', 'capacity'],
      ['fault.end', 'capacity'],
    ]);
    // The journal of calls is as it was: one entry per call.
    expect(backend.journal()).toHaveLength(1);
  });
});
