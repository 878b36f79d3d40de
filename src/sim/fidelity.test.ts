/**
 * Fidelity: a bad runbook must hurt in the simulator. Each check runs the reference fleet at its evening peak and
 * compares a careless order or pace with a careful one.
 */
import { describe, expect, it } from 'vitest';
import { loadDefinitions } from '../load/load.js';
import type { Scenario } from '../model/definitions.js';
import { createSimulation, type Simulation } from './simulation.js';

const { definitions } = await loadDefinitions(['examples']);
const fleet = definitions.fleets.get('example')!;
const base = definitions.scenarios.get('drain-test-east')!;
const atPeak: Scenario = { ...base, spec: { ...base.spec, start: '2026-03-02T19:50:00Z' } };

/** Edge weights with `fraction` of east's weight moved to west and central in proportion to their headroom. */
function edgeShift(sim: Simulation, service: string, fraction: number): void {
  const snap = sim.snapshot().services[service]!.datacenters;
  const room = (dc: string): number => Math.max(0, snap[dc]!.capacity! - snap[dc]!.load!);
  const hw = room('west');
  const hc = room('central');
  for (const t of sim.baselineWeights('edge', service)) {
    const e = t.weights.east!;
    const moved = e * fraction;
    sim.apply({
      kind: 'weights.set',
      layer: 'edge',
      service,
      source: t.source,
      weights: {
        east: e - moved,
        west: t.weights.west! + (moved * hw) / (hw + hc),
        central: t.weights.central! + (moved * hc) / (hw + hc),
      },
    });
  }
}

function clusterDrain(sim: Simulation, service: string): void {
  sim.apply({
    kind: 'weights.set',
    layer: 'cluster',
    service,
    source: 'east',
    weights: { 'west-a': 1, 'west-b': 1, 'central-a': 1, 'central-b': 1 },
  });
}

function receiversWorst(sim: Simulation, service: string): { overload: number; maxUtilization: number } {
  const c = sim.counters();
  return {
    overload: c.overloadSeconds[service]!.west! + c.overloadSeconds[service]!.central!,
    maxUtilization: Math.max(c.maxUtilization[service]!.west!, c.maxUtilization[service]!.central!),
  };
}

describe('fidelity on the reference fleet at peak', () => {
  it('draining web from east in one 100 % step overloads the receivers; paced steps do not', () => {
    const oneStep = createSimulation({ fleet, scenario: atPeak });
    oneStep.advanceTo(oneStep.startMs + 300_000);
    edgeShift(oneStep, 'web', 1);
    oneStep.advanceTo(oneStep.startMs + 1_800_000);

    const paced = createSimulation({ fleet, scenario: atPeak });
    paced.advanceTo(paced.startMs + 300_000);
    // Ten steps of a tenth, 90 seconds apart (propagation and a settle window), each split by the headroom left.
    // Headroom is read once, before the drain, as a pacer sizing the whole move would.
    const snap0 = paced.snapshot();
    for (let step = 1; step <= 10; step++) {
      const room = (dc: string): number =>
        snap0.services.web!.datacenters[dc]!.capacity! - snap0.services.web!.datacenters[dc]!.load!;
      for (const t of paced.baselineWeights('edge', 'web')) {
        const moved = (t.weights.east! * step) / 10;
        const hw = room('west');
        const hc = room('central');
        paced.apply({
          kind: 'weights.set',
          layer: 'edge',
          service: 'web',
          source: t.source,
          weights: {
            east: t.weights.east! - moved,
            west: t.weights.west! + (moved * hw) / (hw + hc),
            central: t.weights.central! + (moved * hc) / (hw + hc),
          },
        });
      }
      paced.advanceTo(paced.now() + 90_000);
    }
    paced.advanceTo(paced.startMs + 1_800_000);

    const hard = receiversWorst(oneStep, 'web');
    const soft = receiversWorst(paced, 'web');
    if (process.env.SIM_FIGURES)
      console.log('web drain', JSON.stringify({ hard, soft, failedHard: oneStep.counters().failedByService.web }));
    expect(hard.overload).toBeGreaterThan(0);
    expect(hard.maxUtilization).toBeGreaterThan(1);
    expect(oneStep.counters().failedByService.web).toBeGreaterThan(0);
    expect(soft.overload).toBe(0);
    expect(soft.maxUtilization).toBeLessThan(0.95);
    expect(paced.counters().failedByService.web).toBe(0);
    // both end with east drained
    expect(oneStep.snapshot().services.web!.datacenters.east!.traffic).toBe(0);
    expect(paced.snapshot().services.web!.datacenters.east!.traffic).toBe(0);
  });

  it('draining callees before their callers raises cross-datacenter RPC, latency and backbone use', () => {
    const run = (calleesFirst: boolean): number => {
      const sim = createSimulation({ fleet, scenario: atPeak });
      sim.advanceTo(sim.startMs + 300_000);
      const before = sim.counters().crossDatacenterRpc;
      const callers = (): void => edgeShift(sim, 'web', 1);
      const callees = (): void => {
        for (const s of ['feed', 'ranking']) clusterDrain(sim, s);
      };
      if (calleesFirst) callees();
      else callers();
      sim.advanceTo(sim.now() + 600_000);
      if (calleesFirst) callers();
      else callees();
      sim.advanceTo(sim.now() + 600_000);
      return sim.counters().crossDatacenterRpc - before;
    };
    const wrongOrder = run(true);
    const rightOrder = run(false);
    // while only the callees are drained, web in east pays a cross-datacenter round trip and uses the backbone
    const sim = createSimulation({ fleet, scenario: atPeak });
    sim.advanceTo(sim.startMs + 300_000);
    const p99Before = sim.snapshot().services.web!.datacenters.east!.latencyP99!;
    const backboneBefore = sim.series('backbone', { datacenter: 'west', resolutionMs: 60_000 }).values.at(-1)!;
    for (const s of ['feed', 'ranking']) clusterDrain(sim, s);
    sim.advanceTo(sim.now() + 300_000);
    expect(sim.snapshot().services.web!.datacenters.east!.latencyP99! - p99Before).toBeGreaterThan(0.03);
    expect(sim.series('backbone', { datacenter: 'west', resolutionMs: 60_000 }).values.at(-1)!).toBeGreaterThan(
      backboneBefore + 2_000,
    );
    if (process.env.SIM_FIGURES) console.log('cross-dc rpc', JSON.stringify({ wrongOrder, rightOrder }));
    expect(wrongOrder).toBeGreaterThan(rightOrder * 2);
    // web in east calls feed 0.6 times per request: ten minutes of that is millions of calls
    expect(wrongOrder - rightOrder).toBeGreaterThan(1_000_000);
  });

  it("tearing down all of a sticky service's sessions at once makes a reconnect spike at the receivers", () => {
    const run = (rate: number): { overload: number; maxUtilization: number } => {
      const sim = createSimulation({ fleet, scenario: atPeak });
      sim.advanceTo(sim.startMs + 300_000);
      edgeShift(sim, 'messenger', 1);
      sim.advanceTo(sim.now() + 120_000);
      sim.apply({ kind: 'sessions.teardown', service: 'messenger', datacenter: 'east', rate });
      sim.advanceTo(sim.now() + 900_000);
      expect(sim.snapshot().services.messenger!.datacenters.east!.sessions).toBeLessThan(1);
      return receiversWorst(sim, 'messenger');
    };
    const atOnce = run(1e9);
    const paced = run(50);
    if (process.env.SIM_FIGURES) console.log('teardown', JSON.stringify({ atOnce, paced }));
    expect(atOnce.maxUtilization).toBeGreaterThan(2);
    expect(atOnce.overload).toBeGreaterThan(0);
    expect(paced.maxUtilization).toBeLessThan(1);
    expect(paced.overload).toBe(0);
  });
});
