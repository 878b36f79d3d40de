import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadDefinitions } from '../load/load.js';
import { Fleet, type Scenario } from '../model/definitions.js';
import { compileCurve } from './demand.js';
import { createSimulation, type Simulation } from './simulation.js';
import type { SimCommand } from './types.js';

const { definitions } = await loadDefinitions(['examples']);
const fleet = definitions.fleets.get('example')!;
const drainTest = definitions.scenarios.get('drain-test-east')!;
const fibreCut = definitions.scenarios.get('fibre-cut-east')!;

function scenarioWith(spec: Partial<Scenario['spec']>, from: Scenario = drainTest): Scenario {
  return { ...from, spec: { ...from.spec, ...spec } };
}

/** A drain of east's web, messenger and message-store, sent at fixed offsets (ms). */
const script: readonly (readonly [number, SimCommand])[] = [
  [
    60_000,
    { kind: 'weights.set', layer: 'edge', service: 'web', source: 'nyc', weights: { east: 0, west: 40, central: 60 } },
  ],
  [
    61_500,
    {
      kind: 'weights.set',
      layer: 'edge',
      service: 'messenger',
      source: 'lon',
      weights: { east: 0, west: 1, central: 1 },
    },
  ],
  [200_000, { kind: 'sessions.teardown', service: 'messenger', datacenter: 'east', rate: 100 }],
  [
    250_250,
    {
      kind: 'weights.set',
      layer: 'cluster',
      service: 'feed',
      source: 'east',
      weights: { 'west-a': 1, 'central-a': 1 },
    },
  ],
  [300_000, { kind: 'stateful.primary', service: 'message-store', primary: 'west' }],
  [320_000, { kind: 'replication.source', service: 'search-index', source: 'central' }],
  [400_000, { kind: 'jobs.restart', service: 'cache', datacenter: 'west', rate: 0.01, generation: 'g2' }],
];

/** Runs the script, stepping the world in increments of `stepMs` (how the caller steps must not matter). */
function run(scenario: Scenario, stepMs: number, seed?: number): Simulation {
  const sim = createSimulation({ fleet, scenario, ...(seed === undefined ? {} : { seed }) });
  for (const [offset, cmd] of script) {
    const at = sim.startMs + offset;
    while (sim.now() + stepMs <= at) sim.advanceTo(sim.now() + stepMs);
    sim.advanceTo(at);
    sim.apply(cmd, at);
  }
  sim.advanceTo(sim.startMs + 1_200_000);
  return sim;
}

function fingerprint(sim: Simulation): string {
  const parts: unknown[] = [sim.snapshot(), sim.counters()];
  for (const service of ['web', 'messenger', 'feed', 'message-store', 'cache']) {
    for (const dc of ['east', 'west', 'central']) {
      for (const metric of ['load', 'utilization', 'latencyP99', 'failed', 'sessions', 'replicationLag'] as const) {
        parts.push(sim.series(metric, { service, datacenter: dc }).values);
      }
    }
  }
  parts.push(sim.series('crossDatacenterRpc').values, sim.series('backbone', { datacenter: 'east' }).values);
  return JSON.stringify(parts);
}

describe('determinism', () => {
  it('the same fleet, scenario, seed and actions give identical metrics, bit for bit, however the world is stepped', () => {
    const a = fingerprint(run(fibreCut, 1_000));
    const b = fingerprint(run(fibreCut, 7_300));
    const c = fingerprint(run(fibreCut, 1_000_000));
    expect(b).toBe(a);
    expect(c).toBe(a);
  });

  it('another seed gives other noise', () => {
    expect(fingerprint(run(fibreCut, 1_000, 99))).not.toBe(fingerprint(run(fibreCut, 1_000)));
  });
});

const arbCommand: fc.Arbitrary<SimCommand> = fc.oneof(
  fc.record({
    kind: fc.constant('weights.set' as const),
    layer: fc.constant('edge' as const),
    service: fc.constantFrom('web', 'api', 'photos', 'messenger'),
    source: fc.constantFrom('nyc', 'lon', 'chi', 'sfo'),
    weights: fc.record({ east: fc.nat(100), west: fc.nat(100), central: fc.nat(100) }),
  }),
  fc.record({
    kind: fc.constant('weights.set' as const),
    layer: fc.constant('cluster' as const),
    service: fc.constantFrom('web', 'feed', 'cache', 'auth', 'user-db'),
    source: fc.constantFrom('east', 'west', 'central'),
    weights: fc.record({ 'east-a': fc.nat(5), 'west-b': fc.nat(5), 'central-a': fc.nat(5) }),
  }),
  fc.record({
    kind: fc.constant('sessions.teardown' as const),
    service: fc.constantFrom('messenger', 'chat-proxy'),
    datacenter: fc.constantFrom('east', 'west'),
    rate: fc.constantFrom(0, 10, 1e6),
  }),
  fc.record({
    kind: fc.constant('jobs.stop' as const),
    service: fc.constantFrom('web', 'cache'),
    datacenter: fc.constantFrom('east', 'west', 'central'),
  }),
  fc.record({
    kind: fc.constant('stateful.primary' as const),
    service: fc.constantFrom('user-db', 'message-store'),
    primary: fc.constantFrom('east', 'west', 'central'),
  }),
);

function checkInvariants(sim: Simulation): void {
  const st = sim.state;
  // conservation: every request offered is served, failed or in flight
  const c = sim.conservation();
  expect(Math.abs(c.offered - (c.served + c.failed + c.inflight))).toBeLessThanOrEqual(1e-6 * Math.max(1, c.offered));
  // loads never negative
  for (const arr of [st.load, st.served, st.failed, st.offered, st.sessions, st.backlog, st.lag]) {
    for (const v of arr) expect(v).toBeGreaterThanOrEqual(0);
  }
  // weights normalised: every effective table sums to 1 (or routes nowhere at all)
  for (let row = 0; row < st.S * st.P; row++) {
    let sum = 0;
    for (let d = 0; d < st.D; d++) sum += st.edgeFrac[row * st.D + d]!;
    if (sum !== 0) expect(sum).toBeCloseTo(1, 12);
  }
  for (let j = 0; j < st.S * st.D; j++) {
    const n = st.routeLen[j]!;
    if (n === 0) continue;
    expect(st.routeFr.subarray(j * st.C, j * st.C + n).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  }
}

describe('invariants', () => {
  it('hold under any sequence of actions: conservation, non-negative loads, normalised weights', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 600 }), arbCommand), { maxLength: 12 }), (steps) => {
        const sim = createSimulation({ fleet, scenario: fibreCut, seriesResolutionMs: 0 });
        const sorted = [...steps].sort((x, y) => x[0] - y[0]);
        for (const [sec, cmd] of sorted) {
          sim.advanceTo(sim.startMs + sec * 1000);
          try {
            sim.apply(cmd);
          } catch {
            /* refused (e.g. a promotion already under way): nothing changed */
          }
        }
        sim.advanceTo(sim.startMs + 900_000);
        checkInvariants(sim);
      }),
      { numRuns: 25 },
    );
  });

  it('demand follows the curve exactly without noise, and on average with it', () => {
    const quiet = createSimulation({
      fleet,
      scenario: scenarioWith({ load: { curve: 'diurnal', peak: '20:00', trough: 0.45, noise: 0 } }),
      seriesResolutionMs: 0,
    });
    const curve = compileCurve({ curve: 'diurnal', peak: '20:00', trough: 0.45, noise: 0 });
    for (const minutes of [1, 30, 200, 700]) {
      quiet.advanceTo(quiet.startMs + minutes * 60_000);
      const web = quiet.state.demand[quiet.world.serviceIndex.get('web')!]!;
      expect(web).toBeCloseTo(20000 * curve.factor(quiet.now()), 6);
    }
    const noisy = createSimulation({ fleet, scenario: drainTest });
    noisy.advanceTo(noisy.startMs + 3_600_000);
    const demand = noisy.series('demand', { service: 'web', resolutionMs: 3_600_000 }).values[0]!;
    let expected = 0;
    for (let t = 1; t <= 3600; t++) expected += (20000 * curve.factor(noisy.startMs + t * 1000)) / 3600;
    expect(Math.abs(demand / expected - 1)).toBeLessThan(0.01);
  });

  it('a lost datacenter serves nothing, and its sessions reconnect elsewhere', () => {
    const sim = createSimulation({
      fleet,
      scenario: scenarioWith({ faults: [{ at: '2m', kind: 'datacenter-lost', datacenter: 'east' }] }),
    });
    sim.advanceTo(sim.startMs + 180_000);
    const snap = sim.snapshot();
    for (const [name, s] of Object.entries(snap.services)) {
      expect(s.datacenters.east!.traffic, name).toBe(0);
      expect(s.datacenters.east!.capacity, name).toBe(0);
      if (s.datacenters.east!.sessions !== undefined) expect(s.datacenters.east!.sessions).toBe(0);
    }
    expect(snap.services.web!.datacenters.east!.errorRate).toBe(1);
    expect(snap.services.messenger!.datacenters.west!.sessions).toBeGreaterThan(12_000);
    checkInvariants(sim);
  });

  it('the backbone fault lets through only its fraction of what the links carried, the rest fails', () => {
    const sim = createSimulation({ fleet, scenario: fibreCut });
    sim.advanceTo(sim.startMs + 9 * 60_000);
    const before = sim.series('backbone', { datacenter: 'east', resolutionMs: 60_000 }).values.at(-1)!;
    sim.advanceTo(sim.startMs + 15 * 60_000);
    const after = sim.series('backbone', { datacenter: 'east', resolutionMs: 60_000 }).values.at(-1)!;
    expect(after / before).toBeGreaterThan(0.13);
    expect(after / before).toBeLessThan(0.17);
    expect(sim.snapshot().services.web!.datacenters.east!.errorRate).toBeGreaterThan(0.5);
  });

  it('a capacity fault cuts capacity to its fraction for as long as it lasts', () => {
    const sim = createSimulation({
      fleet,
      scenario: scenarioWith({
        faults: [
          { at: '1m', duration: '5m', kind: 'capacity', service: 'web', datacenter: 'west', capacityFraction: 0.5 },
        ],
      }),
    });
    sim.advanceTo(sim.startMs + 120_000);
    expect(sim.snapshot().services.web!.datacenters.west!.capacity).toBe(6000);
    expect(sim.snapshot().services.web!.datacenters.east!.capacity).toBe(14000);
    expect(sim.truth('web').capacity.west).toBe(6000);
    sim.advanceTo(sim.startMs + 400_000);
    expect(sim.snapshot().services.web!.datacenters.west!.capacity).toBe(12000);
  });

  it('a promotion has a write outage, then the new primary', () => {
    const sim = createSimulation({ fleet, scenario: drainTest });
    sim.advanceTo(sim.startMs + 60_000);
    expect(
      sim.apply({ kind: 'stateful.primary', service: 'user-db', primary: 'central', maxLagSeconds: 5 }).changed,
    ).toBe(true);
    expect(sim.apply({ kind: 'stateful.primary', service: 'user-db', primary: 'central' }).changed).toBe(false);
    sim.advanceTo(sim.now() + 45_000 + 4_000); // catch-up 45s, then inside the 8s outage
    expect(sim.snapshot().services['user-db']!.errorRate).toBeGreaterThan(0.1);
    expect(sim.snapshot().services['user-db']!.primary).toBe('east');
    sim.advanceTo(sim.now() + 5_000);
    expect(sim.snapshot().services['user-db']!.primary).toBe('central');
    expect(sim.snapshot().services['user-db']!.errorRate).toBe(0);
  });

  it('a repoint takes effect after the apply delay and the replicas catch up', () => {
    const sim = createSimulation({ fleet, scenario: drainTest });
    expect(sim.apply({ kind: 'replication.source', service: 'search-index', source: 'west' }).changed).toBe(true);
    sim.advanceTo(sim.startMs + 119_000);
    expect(sim.snapshot().services['search-index']!.replicationSource).toBe('east');
    sim.advanceTo(sim.startMs + 120_000);
    expect(sim.snapshot().services['search-index']!.replicationSource).toBe('west');
    expect(sim.snapshot().services['search-index']!.datacenters.east!.replicationLag).toBeGreaterThan(5);
    sim.advanceTo(sim.startMs + 300_000);
    expect(sim.snapshot().services['search-index']!.datacenters.east!.replicationLag).toBe(1);
  });

  it('shard moves are paced by what the link has to spare', () => {
    const sim = createSimulation({ fleet, scenario: drainTest });
    const service = 'message-store';
    sim.state.shards[sim.world.serviceIndex.get(service)! * 3] = 10;
    expect(sim.apply({ kind: 'shards.place', service, from: 'east', to: 'west', count: 4 }).changed).toBe(true);
    expect(sim.apply({ kind: 'shards.place', service, from: 'east', to: 'west', count: 4 }).changed).toBe(false);
    sim.advanceTo(sim.startMs + 600_000);
    const moves = sim.state.shardMoves.get(sim.world.serviceIndex.get(service)!)!;
    expect(moves[0]!.remainingUnits).toBeLessThanOrEqual(1e-6);
    expect(moves[0]!.moved).toBeCloseTo(4, 6);
  });
});

describe("calls to a service that does not run in the caller's datacenter", () => {
  it('go to the datacenters that run it, and on through their cluster tables', () => {
    const small = Fleet.parse({
      apiVersion: 'maelstrom/v1',
      kind: 'Fleet',
      metadata: { name: 'small' },
      spec: {
        datacenters: [
          { name: 'a', clusters: ['a-1'] },
          { name: 'b', clusters: ['b-1'] },
          { name: 'c', clusters: ['c-1'] },
        ],
        pops: [{ name: 'p', share: 1, weights: { c: 1 } }],
        services: [
          {
            name: 'front',
            type: 'stateless',
            userFacing: true,
            demand: 1000,
            capacity: { c: 5000 },
            dependsOn: [{ service: 'back', kind: 'rpc', fanout: 1 }],
          },
          { name: 'back', type: 'stateless', capacity: { a: 3000, b: 1000 } },
        ],
      },
    });
    const sim = createSimulation({
      fleet: small,
      scenario: scenarioWith({ fleet: 'small', load: { curve: 'flat', peak: '20:00', trough: 1, noise: 0 } }),
    });
    sim.advanceTo(sim.startMs + 10_000);
    let back = sim.snapshot().services.back!.datacenters;
    expect(back.a!.traffic).toBeCloseTo(750, 6);
    expect(back.b!.traffic).toBeCloseTo(250, 6);
    expect(sim.series('crossDatacenterRpc').values.at(-1)).toBeCloseTo(1000, 6);
    sim.apply({ kind: 'weights.set', layer: 'cluster', service: 'back', source: 'b', weights: { 'a-1': 1 } });
    sim.advanceTo(sim.startMs + 30_000);
    back = sim.snapshot().services.back!.datacenters;
    expect(back.b!.traffic).toBe(0);
    expect(back.a!.traffic).toBeCloseTo(1000, 6);
    checkInvariants(sim);
  });
});

describe("losing the primary's datacenter", () => {
  it('fails writes until a replica, which kept its lag, is promoted', () => {
    const sim = createSimulation({
      fleet,
      scenario: scenarioWith({ faults: [{ at: '1m', kind: 'datacenter-lost', datacenter: 'east' }] }),
    });
    sim.advanceTo(sim.startMs + 180_000);
    const db = (): NonNullable<ReturnType<Simulation['snapshot']>['services'][string]> =>
      sim.snapshot().services['user-db']!;
    expect(db().errorRate).toBeGreaterThan(0.1);
    expect(db().datacenters.central!.replicationLag).toBeLessThan(5);
    expect(
      sim.apply({ kind: 'stateful.primary', service: 'user-db', primary: 'central', maxLagSeconds: 5 }).changed,
    ).toBe(true);
    sim.advanceTo(sim.now() + 60_000);
    expect(db().primary).toBe('central');
    expect(db().datacenters.west!.traffic).toBeGreaterThan(0);
    expect(db().datacenters.central!.errorRate).toBe(0);
  });
});
