import { beforeAll, describe, expect, it } from 'vitest';
import { createSimBackend } from '../backends/sim/backend.js';
import { loadDefinitions } from '../load/load.js';
import type { Fleet, Scenario } from '../model/definitions.js';
import { VirtualClock } from '../model/virtual-clock.js';
import { trafficShift } from './traffic-shift.js';
import { testContext } from './testing/context.js';
import type { StageResult } from './stage.js';

let fleet: Fleet;
let scenario: Scenario;
beforeAll(async () => {
  const { definitions } = await loadDefinitions(['examples']);
  fleet = definitions.fleets.get('example')!;
  const base = definitions.scenarios.get('receiver-degrades')!;
  scenario = {
    ...base,
    spec: {
      ...base.spec,
      faults: [
        {
          at: '90s',
          kind: 'receiver-slow',
          datacenter: 'west',
          service: 'feed',
          capacityFraction: 0.1,
          duration: '5m',
        },
      ],
    },
  };
});

describe('a self-regulating cluster-layer shift and a receiver that turns slow', () => {
  it('sends on what arrives at the sick receiver through its own table, and gives it back once it has room', async () => {
    const b = createSimBackend({ fleet, scenario, seriesResolutionMs: 10_000 });
    await b.init();
    const ctx = testContext({
      backend: b,
      fleet,
      with: { layer: 'cluster', service: 'feed', datacenter: 'east', target: 'zero' },
      pacing: { mode: 'self-regulating' },
    });
    let result: StageResult | undefined;
    const done = trafficShift(ctx).then((r) => {
      result = r;
    });
    const clock = b.clock as VirtualClock;
    await clock.runUntil(() => result !== undefined, clock.now() + 3600_000);
    await done;
    expect(result?.outcome).toBe('success');
    // West's own table (the shift drains east's): sent on toward central while the fault lasts, never toward east
    // (the drained datacenter), and back to its own clusters once west has room again (after the fault).
    const faultEnd = Date.parse(String(scenario.spec.start)) + 90_000 + 5 * 60_000;
    const west = b
      .journal()
      .filter((j) => j.changed && j.action.kind === 'weights.set' && j.action.source === 'west')
      .map((j) => ({ time: j.time, weights: (j.action as { weights: Record<string, number> }).weights }));
    expect(west.length).toBe(2);
    expect(west[0]!.time).toBeLessThan(faultEnd);
    expect(west[0]!.weights['central-a']).toBeGreaterThan(0);
    expect(west[0]!.weights['east-a'] ?? 0).toBe(0);
    expect(west[1]!.time).toBeGreaterThanOrEqual(faultEnd);
    expect(west[1]!.weights).toMatchObject({ 'west-a': 1, 'west-b': 1, 'central-a': 0, 'central-b': 0 });
    const reasons = ctx.events.flatMap((e) => (e.type === 'shift.step' ? [e.reason ?? ''] : []));
    expect(reasons.some((r) => /route-around #\d+: .*\(west sending on what arrives there\)/.test(r))).toBe(true);
    expect(
      reasons.some((r) => /west has room again for the \d+ rps its own table sent on: back as it was/.test(r)),
    ).toBe(true);
  });
});
