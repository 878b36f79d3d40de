import { describe, expect, it } from 'vitest';
import { loadDefinitions } from '../load/load.js';
import type { Fault, Scenario } from '../model/definitions.js';
import { createSimulation, type Simulation } from './simulation.js';

const { definitions } = await loadDefinitions(['examples']);
const fleet = definitions.fleets.get('example')!;
const base = definitions.scenarios.get('drain-test-east')!;
const MIN = 60_000;

function world(faults: readonly Fault[], noise = 0): Simulation {
  const scenario: Scenario = {
    ...base,
    spec: { ...base.spec, load: { ...base.spec.load, noise }, faults: [...faults], run: [] },
  };
  return createSimulation({ fleet, scenario });
}

const reading = (sim: Simulation, service: string, dc: string) => sim.snapshot().services[service]!.datacenters[dc]!;

const sum = (sim: Simulation): number => sim.counters().failures.reduce((a, f) => a + f.requests, 0);

describe('failed requests by cause and place', () => {
  it('add up to the failed requests, each counted where and why it failed', () => {
    const sim = world([
      { at: '1m', kind: 'datacenter-lost', datacenter: 'central', duration: '2m' },
      { at: '5m', kind: 'backbone', datacenter: 'east', capacityFraction: 0.3, duration: '2m' },
      { at: '9m', kind: 'capacity', datacenter: 'west', service: 'web', capacityFraction: 0.3, duration: '2m' },
    ]);
    sim.advanceTo(sim.startMs + 12 * MIN);
    // Everything routed through the edge to nowhere, a promotion's outage, torn-down sessions.
    sim.apply({ kind: 'weights.set', layer: 'edge', service: 'api', source: 'nyc', weights: { east: 0 } });
    sim.apply({ kind: 'stateful.primary', service: 'user-db', primary: 'central' });
    sim.apply({ kind: 'sessions.teardown', service: 'messenger', datacenter: 'east', rate: 50 });
    sim.advanceTo(sim.startMs + 15 * MIN);
    const c = sim.counters();
    expect(sum(sim)).toBeCloseTo(c.failedRequests, 3);
    const by = (cause: string, dc: string | null) =>
      c.failures.filter((f) => f.cause === cause && f.datacenter === dc).reduce((a, f) => a + f.requests, 0);
    expect(by('datacenter-lost', 'central')).toBeGreaterThan(0);
    expect(by('backbone', 'east')).toBeGreaterThan(0);
    expect(by('overload', 'west')).toBeGreaterThan(0);
    expect(by('unrouted', null)).toBeGreaterThan(0);
    expect(c.failures.some((f) => f.cause === 'write-outage' && f.service === 'user-db')).toBe(true);
    expect(c.failures.some((f) => f.cause === 'teardown' && f.service === 'messenger' && f.datacenter === 'east')).toBe(
      true,
    );
    // The per-service totals say the same.
    for (const [service, failed] of Object.entries(c.failedByService)) {
      const rows = c.failures.filter((f) => f.service === service).reduce((a, f) => a + f.requests, 0);
      expect(rows).toBeCloseTo(failed, 3);
    }
  });

  it('are none in a quiet world', () => {
    const sim = world([]);
    sim.advanceTo(sim.startMs + 10 * MIN);
    expect(sim.counters().failures).toEqual([]);
  });
});

describe('receiver-slow', () => {
  it('slows one cluster: its capacity drops to the fraction and its latency rises by the factor, for the window', () => {
    const fault: Fault = {
      at: '2m',
      kind: 'receiver-slow',
      datacenter: 'east',
      cluster: 'east-b',
      service: 'web',
      capacityFraction: 0.4,
      latencyFactor: 5,
      duration: '3m',
    };
    const slow = world([fault]);
    const calm = world([]);
    for (const s of [slow, calm]) s.advanceTo(s.startMs + 3 * MIN);
    const a = reading(slow, 'web', 'east');
    const b = reading(calm, 'web', 'east');
    // One of east's three clusters keeps 40 % of its third.
    expect(a.capacity!).toBeCloseTo((b.capacity! * (2 + 0.4)) / 3, 3);
    expect(a.latencyP99!).toBeGreaterThan(b.latencyP99! * 4);
    // Other services and datacenters are untouched.
    expect(reading(slow, 'api', 'east').capacity).toBe(reading(calm, 'api', 'east').capacity);
    expect(reading(slow, 'web', 'west').capacity).toBe(reading(calm, 'web', 'west').capacity);
    for (const s of [slow, calm]) s.advanceTo(s.startMs + 6 * MIN);
    expect(reading(slow, 'web', 'east').capacity).toBe(reading(calm, 'web', 'east').capacity);
  });

  it('refuses a cluster of another datacenter, naming the ones it has', () => {
    expect(() => world([{ at: '1m', kind: 'receiver-slow', datacenter: 'east', cluster: 'west-a' }])).toThrow(
      /no cluster "west-a" in datacenter "east" \(it has east-a, east-b, east-c\)/,
    );
  });
});

describe('metrics-lag', () => {
  it('shows the readings of `delay` ago, stamped with their time, while the world moves on', () => {
    const lagged = world([{ at: '3m', kind: 'metrics-lag', datacenter: 'west', delay: '90s', duration: '5m' }]);
    const live = world([]);
    const t0 = lagged.startMs + 4 * MIN;
    for (const s of [lagged, live]) {
      s.advanceTo(t0 - 90_000);
      // Move traffic toward west: the live world shows it at once, the lagged readings 90 s later.
      s.apply({ kind: 'weights.set', layer: 'edge', service: 'web', source: 'nyc', weights: { west: 1 } });
    }
    const before = reading(live, 'web', 'west');
    for (const s of [lagged, live]) s.advanceTo(t0);
    const w = reading(lagged, 'web', 'west');
    expect(w.sampledAt).toBe(t0 - 90_000);
    expect(w.load).toBeCloseTo(before.load!, 6);
    expect(reading(live, 'web', 'west').load!).toBeGreaterThan(before.load! * 1.5);
    // Other datacenters read live.
    expect(reading(lagged, 'web', 'east').sampledAt).toBeUndefined();
    expect(reading(lagged, 'web', 'east').load).toBeCloseTo(reading(live, 'web', 'east').load!, 6);
    // After the window, readings are live again.
    for (const s of [lagged, live]) s.advanceTo(lagged.startMs + 9 * MIN);
    expect(reading(lagged, 'web', 'west')).toEqual(reading(live, 'web', 'west'));
  });
});

describe('cold-cache', () => {
  it('raises the cold-cache cost and slows the warm-up of moved traffic, through the same mechanism', () => {
    const step = (s: Simulation): void => {
      s.apply({ kind: 'weights.set', layer: 'edge', service: 'web', source: 'nyc', weights: { west: 1 } });
    };
    const cold = world([{ at: '1m', kind: 'cold-cache', datacenter: 'west', coldFactor: 4, warmUp: '10m' }]);
    const calm = world([]);
    for (const s of [cold, calm]) {
      s.advanceTo(s.startMs + 2 * MIN);
      step(s);
      s.advanceTo(s.startMs + 2 * MIN + 45_000);
    }
    // Right after the move, the cold part of the load costs more with the fault...
    const u = reading(cold, 'web', 'west').utilization!;
    const v = reading(calm, 'web', 'west').utilization!;
    expect(u).toBeGreaterThan(v * 1.2);
    // ...and five minutes on, the normal world has warmed while the faulty one has not.
    for (const s of [cold, calm]) s.advanceTo(s.startMs + 8 * MIN);
    const load = reading(calm, 'web', 'west').load!;
    const capacity = reading(calm, 'web', 'west').capacity!;
    expect(reading(calm, 'web', 'west').utilization!).toBeLessThan((load / capacity) * 1.05);
    expect(reading(cold, 'web', 'west').utilization!).toBeGreaterThan((load / capacity) * 1.2);
  });
});
