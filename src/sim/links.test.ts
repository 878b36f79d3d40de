import { describe, expect, it } from 'vitest';
import { Fleet, Scenario } from '../model/definitions.js';
import { createSimulation, type Simulation } from './simulation.js';

/**
 * Two datacenters: user traffic enters `a`, where `front` runs; `front` calls `back`, which runs only in `b`, so
 * every call crosses into `b` and its reply back into `a`. `store` replicates from `b` into `a`.
 */
function world(backbone: { a?: number; b?: number } = {}): Simulation {
  const fleet = Fleet.parse({
    apiVersion: 'maelstrom/v1',
    kind: 'Fleet',
    metadata: { name: 'links' },
    spec: {
      datacenters: [
        { name: 'a', clusters: ['a-1'], ...(backbone.a ? { backbone: backbone.a } : {}) },
        { name: 'b', clusters: ['b-1'], ...(backbone.b ? { backbone: backbone.b } : {}) },
      ],
      pops: [{ name: 'p', share: 1, weights: { a: 1 } }],
      services: [
        {
          name: 'front',
          type: 'stateless',
          userFacing: true,
          demand: 1000,
          capacity: { a: 5000 },
          dependsOn: [{ service: 'back', kind: 'rpc', fanout: 1 }],
        },
        { name: 'back', type: 'stateless', capacity: { b: 5000 } },
        { name: 'store', type: 'replication', capacity: { a: 2000, b: 2000 }, replication: { source: 'b' } },
      ],
    },
  });
  const scenario = Scenario.parse({
    apiVersion: 'maelstrom/v1',
    kind: 'Scenario',
    metadata: { name: 'flat' },
    spec: { fleet: 'links', start: '2026-03-02T12:00:00Z', duration: '2h', load: { curve: 'flat' } },
  });
  return createSimulation({ fleet, scenario });
}

const lastBackbone = (sim: Simulation, dc: string): number =>
  sim.series('backbone', { datacenter: dc, resolutionMs: 60_000 }).values.at(-1)!;

describe('the backbone', () => {
  it("carries a call's reply back into the caller's datacenter", () => {
    const sim = world();
    sim.advanceTo(sim.startMs + 120_000);
    // Into a: the user requests from the PoP and the replies to front's calls; into b: the calls and the stream.
    expect(lastBackbone(sim, 'a')).toBeCloseTo(1000 + 1000 + 200, 0);
    expect(lastBackbone(sim, 'b')).toBeCloseTo(1000, 0);
    expect(sim.counters().backboneSaturatedSeconds.a).toBe(0);
  });

  it('fails what a link the fleet sized too small cannot carry, and counts the saturation', () => {
    const sim = world({ a: 1500 });
    sim.advanceTo(sim.startMs + 120_000);
    const c = sim.counters();
    // Asked for 2,200 at first; less once requests fail on the way in (fewer of them call out).
    expect(c.backbonePeakUtilization.a).toBeGreaterThan(1.3);
    expect(c.backbonePeakUtilization.a).toBeLessThanOrEqual(2200 / 1500 + 1e-9);
    expect(c.backboneSaturatedSeconds.a).toBeGreaterThan(100);
    expect(c.failedByService.front).toBeGreaterThan(0);
    expect(c.failedByService.back).toBeGreaterThan(0);
    expect(lastBackbone(sim, 'a')).toBeCloseTo(1500, 0);
  });

  it("fails a reply the links into the caller's datacenter drop there, not as an error of the callee's", () => {
    const sim = world({ a: 1500 });
    sim.advanceTo(sim.startMs + 120_000);
    const back = sim.snapshot().services.back!.datacenters;
    // The calls reach b and are answered; the links into a drop part of the replies: b is healthy, a reads the loss.
    expect(sim.counters().backboneSaturatedSeconds.b).toBe(0);
    expect(back.b!.errorRate).toBe(0);
    expect(back.a!.errorRate).toBeGreaterThan(0.05);
  });
});

/**
 * Users enter both datacenters; `front` runs in both and calls `db`, whose primary is in `b`: the writes from `a` cross
 * into `b` whatever the order of a drain, and a call crosses only once `db` is drained out of the caller's datacenter.
 */
function withPrimary(): Simulation {
  const fleet = Fleet.parse({
    apiVersion: 'maelstrom/v1',
    kind: 'Fleet',
    metadata: { name: 'primary' },
    spec: {
      datacenters: [
        { name: 'a', clusters: ['a-1'] },
        { name: 'b', clusters: ['b-1'] },
      ],
      pops: [{ name: 'p', share: 1, weights: { a: 1, b: 1 } }],
      services: [
        {
          name: 'front',
          type: 'stateless',
          userFacing: true,
          demand: 1000,
          capacity: { a: 5000, b: 5000 },
          dependsOn: [{ service: 'db', kind: 'rpc', fanout: 1 }],
        },
        {
          name: 'db',
          type: 'stateful',
          capacity: { a: 5000, b: 5000 },
          stateful: { primary: 'b', replicas: ['a'], catchUp: '30s', writeOutage: '5s' },
        },
      ],
    },
  });
  const scenario = Scenario.parse({
    apiVersion: 'maelstrom/v1',
    kind: 'Scenario',
    metadata: { name: 'flat' },
    spec: { fleet: 'primary', start: '2026-03-02T12:00:00Z', duration: '2h', load: { curve: 'flat' } },
  });
  return createSimulation({ fleet, scenario });
}

const lastOf = (sim: Simulation, metric: 'crossDatacenterRpc' | 'crossDatacenterCalls'): number =>
  sim.series(metric, { resolutionMs: 60_000 }).values.at(-1)!;

describe('cross-datacenter RPC and the calls among it', () => {
  it('counts the writes to a primary in another datacenter as cross-datacenter RPC, not as calls', () => {
    const sim = withPrimary();
    sim.advanceTo(sim.startMs + 120_000);
    // 500 calls a second to db in a, a fifth of them writes, sent to the primary in b.
    expect(lastOf(sim, 'crossDatacenterRpc')).toBeCloseTo(100, 6);
    expect(lastOf(sim, 'crossDatacenterCalls')).toBe(0);
    expect(sim.counters().crossDatacenterCalls).toBe(0);
  });

  it("counts the calls a callee drained out of the caller's datacenter sends away among the calls", () => {
    const sim = withPrimary();
    sim.advanceTo(sim.startMs + 60_000);
    sim.apply({ kind: 'weights.set', layer: 'cluster', service: 'db', source: 'a', weights: { 'b-1': 1 } });
    sim.advanceTo(sim.startMs + 180_000);
    // The writes still cross as before; the 400 reads a second that db in a served now cross too.
    expect(lastOf(sim, 'crossDatacenterCalls')).toBeCloseTo(400, 6);
    expect(lastOf(sim, 'crossDatacenterRpc')).toBeCloseTo(500, 6);
    const c = sim.counters();
    expect(c.crossDatacenterCalls).toBeGreaterThan(0);
    expect(c.crossDatacenterCalls).toBeLessThan(c.crossDatacenterRpc);
  });
});

describe('replicas stopped and started again', () => {
  it('a stopped replica falls behind by the stream, and catches up unpaced at ten times it', () => {
    const sim = world();
    sim.advanceTo(sim.startMs + 60_000);
    expect(sim.apply({ kind: 'replication.replica', service: 'store', datacenter: 'a', enabled: false }).changed).toBe(
      true,
    );
    expect(sim.apply({ kind: 'replication.replica', service: 'store', datacenter: 'a', enabled: false }).changed).toBe(
      false,
    );
    sim.advanceTo(sim.startMs + 660_000);
    expect(sim.snapshot().services.store!.datacenters.a!.replicationLag).toBeCloseTo(601, 0);
    sim.apply({ kind: 'replication.replica', service: 'store', datacenter: 'a', enabled: true });
    // 600 s of stream at 10 × the stream (the stream itself keeps flowing): about 67 s.
    sim.advanceTo(sim.startMs + 720_000);
    expect(sim.snapshot().services.store!.datacenters.a!.replicationLag).toBeGreaterThan(1);
    sim.advanceTo(sim.startMs + 735_000);
    expect(sim.snapshot().services.store!.datacenters.a!.replicationLag).toBe(1);
  });

  it('a network-paced catch-up keeps the link below its planned utilisation, and takes longer', () => {
    const catchUp = (pace: 'unpaced' | 'network'): { seconds: number; peak: number } => {
      const sim = world({ a: 4000 });
      sim.advanceTo(sim.startMs + 60_000);
      sim.apply({ kind: 'replication.replica', service: 'store', datacenter: 'a', enabled: false });
      sim.advanceTo(sim.startMs + 660_000);
      const from = sim.now();
      sim.apply({ kind: 'replication.replica', service: 'store', datacenter: 'a', enabled: true, catchUp: pace });
      while (sim.snapshot().services.store!.datacenters.a!.replicationLag! > 1) sim.advanceTo(sim.now() + 1000);
      return { seconds: (sim.now() - from) / 1000, peak: sim.counters().backbonePeakUtilization.a! };
    };
    const unpaced = catchUp('unpaced');
    const network = catchUp('network');
    expect(unpaced.peak).toBeGreaterThan(1);
    expect(network.peak).toBeLessThanOrEqual(0.75 + 1e-9);
    // The link has 4000 × 0.75 − 2000 (requests and replies) − 200 (the stream) = 800 units/s for 120,000 units.
    expect(network.seconds).toBeCloseTo(150, -1);
    expect(network.seconds).toBeGreaterThan(unpaced.seconds);
  });

  it('refuses to stop the source, and services without replicas, changing nothing', () => {
    const sim = world();
    expect(() => sim.apply({ kind: 'replication.replica', service: 'store', datacenter: 'b', enabled: false })).toThrow(
      /source of store/,
    );
    expect(() => sim.apply({ kind: 'replication.replica', service: 'front', datacenter: 'a', enabled: false })).toThrow(
      /no replicas/,
    );
    expect(sim.state.replicaStopped.every((x) => x === 0)).toBe(true);
  });
});
