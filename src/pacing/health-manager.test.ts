import { describe, expect, it } from 'vitest';
import { EMPTY_MEMORY, type HealthInput, type HealthMemory } from './health.js';
import { isUrgent, manage, type Stepping } from './health-manager.js';
import { createSelfRegulatingPacer } from './self-regulating.js';
import { CLOSED_LOOP_DEFAULTS } from './closed-loop.js';
import type { Decision, PacerInput, ReceiverReading } from './pacer.js';
import { rankResolvers } from './resolvers.js';

const T0 = Date.UTC(2026, 2, 2, 20, 0, 0);

const receiver = (name: string, load: number, capacity: number, extra: Partial<ReceiverReading> = {}) => ({
  name,
  load,
  capacity,
  utilization: load / capacity,
  errorRate: 0.001,
  latencyP99: 0.08,
  ...extra,
});

function health(over: Partial<HealthInput> = {}): HealthInput {
  return {
    now: T0,
    direction: 'drain',
    layer: 'edge',
    service: 'web',
    source: receiver('east', 2000, 10_000),
    sourceBaseline: receiver('east', 6000, 10_000),
    watching: false,
    movedTo: { west: 0.5, central: 0.5 },
    volumeNow: 6000,
    upstreamSettled: true,
    arrival: 'immediate',
    emergency: false,
    canStartJobs: false,
    propagationMs: 30_000,
    settleMs: 60_000,
    preferences: [],
    ...over,
  };
}

function input(receivers: ReceiverReading[], over: Partial<PacerInput> = {}): PacerInput {
  return {
    progress: 0.6,
    steps: 4,
    lastStep: 0.1,
    lastDecision: 'grow',
    volume: 6000,
    receivers,
    baseline: [receiver('west', 4000, 10_000), receiver('central', 4000, 10_000)],
    targetUtilization: 0.85,
    ...over,
  };
}

/** A stepper that records what it was asked and moves a fixed 5 %. */
function recordingStepper(): {
  calls: { input: PacerInput; stepping: Stepping }[];
  step: (i: PacerInput, s: Stepping) => Decision;
} {
  const calls: { input: PacerInput; stepping: Stepping }[] = [];
  return {
    calls,
    step: (i, s) => {
      calls.push({ input: i, stepping: s });
      return { kind: 'grow', step: 0.05, waitMs: 90_000, reason: 'headroom-sized step' };
    },
  };
}

describe('the health manager', () => {
  it('moves traffic back to a healthy source when a receiver lost capacity and the others cannot take its excess', () => {
    // West lost 30 % and is overloaded; central is at the target: no room to route around.
    const west = receiver('west', 8200, 7000);
    const central = receiver('central', 8500, 10_000);
    const s = recordingStepper();
    const d = manage(input([west, central], { baseline: [receiver('west', 4000, 10_000), central] }), health(), s.step);
    expect(d.kind).toBe('move-back');
    expect(d.step).toBeLessThan(0);
    expect(d.health?.diagnosis?.kind).toBe('receivers-lost-capacity');
    expect(d.health?.resolution?.resolver).toBe('move-back');
    expect(d.health?.resolution?.takeBackFrom).toEqual(['west']);
    // The reason reads symptom → diagnosis → action → what it expects.
    expect(d.reason).toMatch(/west lost 30\.0 % of its capacity.*→.*move-back #1.*expects west at or under 85\.0 %/);
  });

  it('routes around a receiver that lost capacity when the others have room for its excess', () => {
    const west = receiver('west', 8000, 7000);
    const central = receiver('central', 3000, 10_000);
    const s = recordingStepper();
    const d = manage(input([west, central], { baseline: [receiver('west', 4000, 10_000), central] }), health(), s.step);
    expect(d.kind).toBe('reroute');
    expect(d.health?.resolution?.reroute?.from.west).toBeGreaterThan(0);
    expect(d.health?.resolution?.reroute?.to.central).toBeGreaterThan(0);
  });

  it('never moves traffic back to a failing source: it keeps the receivers under the emergency ceiling instead', () => {
    const west = receiver('west', 8200, 7000);
    const central = receiver('central', 8500, 10_000);
    const s = recordingStepper();
    const d = manage(
      input([west, central], { baseline: [receiver('west', 4000, 10_000), central] }),
      health({ emergency: true }),
      s.step,
    );
    expect(d.kind).not.toBe('move-back');
    expect(d.step).toBeGreaterThanOrEqual(0);
  });

  it('routes around a receiver that lost capacity only toward receivers healthy in themselves', () => {
    // Two receivers with room; one of them slow (its p99 far above its own before the shift): it gets none.
    const west = receiver('west', 8000, 7000);
    const central = receiver('central', 3000, 10_000, { latencyP99: 2 });
    const south = receiver('south', 3000, 10_000);
    const baseline = [receiver('west', 4000, 10_000), receiver('central', 3000, 10_000), south];
    const d = manage(input([west, central, south], { baseline }), health(), recordingStepper().step);
    expect(d.kind).toBe('reroute');
    expect(Object.keys(d.health!.resolution!.reroute!.to)).toEqual(['south']);
  });

  it('routes around only within the room of its callees at the other receivers', () => {
    // Central has room for the caller but its callee there is at the target: the caller's excess cannot go there.
    const west = receiver('west', 8000, 7000);
    const central = receiver('central', 3000, 10_000);
    const baseline = [receiver('west', 4000, 10_000), central];
    const callees = [
      { service: 'db', fanout: 1, receivers: [receiver('west', 5000, 10_000), receiver('central', 8400, 10_000)] },
    ];
    const d = manage(input([west, central], { baseline }), health({ callees }), recordingStepper().step);
    expect(d.kind).not.toBe('reroute');
    expect(d.health?.resolution?.resolver).toBe('move-back');
  });

  it('judges a resolution once it has settled, and does not try one that did not help again for that diagnosis', () => {
    const west = receiver('west', 8200, 7000);
    const central = receiver('central', 8500, 10_000);
    const base = [receiver('west', 4000, 10_000), central];
    const first = manage(input([west, central], { baseline: base }), health(), recordingStepper().step);
    const memory = first.health!.memory;
    const judgeAt = first.health!.resolution!.judgeAt;
    // Still as hot when it is judged: not helped, and ruled out for the rest of the shift.
    const later = manage(
      input([west, central], { baseline: base, progress: 0.6 + first.step }),
      health({ now: judgeAt + 1, memory }),
      recordingStepper().step,
    );
    expect(later.health?.judged.map((j) => [j.resolver, j.outcome])).toEqual([['move-back', 'not-helped']]);
    expect(later.health?.memory.failed).toContainEqual({ diagnosis: 'receivers-lost-capacity', resolver: 'move-back' });
    expect(rankResolvers('receivers-lost-capacity', [], later.health!.memory.failed)).not.toContain('move-back');
  });

  it('prefers the resolver that helped in earlier runs (the store’s records)', () => {
    const stats = [
      {
        diagnosis: 'receivers-lost-capacity' as const,
        resolver: 'move-back' as const,
        tried: 10,
        helped: 9,
        partly: 1,
      },
    ];
    expect(rankResolvers('receivers-lost-capacity', stats, [])[0]).toBe('move-back');
    expect(rankResolvers('receivers-lost-capacity', [], [])[0]).toBe('route-around');
  });

  it('keeps moving toward the receivers with room when one is just over the target, and sends it none of the step', () => {
    const west = receiver('west', 3000, 10_000);
    const central = receiver('central', 8600, 10_000);
    const s = recordingStepper();
    const d = manage(input([west, central], { baseline: [west, central] }), health(), s.step);
    expect(d.kind).toBe('grow');
    expect(s.calls[0]?.stepping.only).toEqual(['west']);
  });

  it('fills to a margin under the target while a receiver is short of capacity', () => {
    // West lost 30 % but is under the target: nothing to resolve, but a demand swing away from past it.
    const west = receiver('west', 5000, 7000);
    const central = receiver('central', 3000, 10_000);
    const s = recordingStepper();
    const d = manage(input([west, central], { baseline: [receiver('west', 4000, 10_000), central] }), health(), s.step);
    expect(d.kind).toBe('grow');
    expect(s.calls[0]?.stepping.target).toBeCloseTo(0.82, 5);
    expect(d.reason).toMatch(/filling to 82\.0 % while a receiver is short of capacity/);
    // Capacity back: the target again.
    const s2 = recordingStepper();
    manage(input([receiver('west', 5000, 10_000), central], { baseline: [west, central] }), health(), s2.step);
    expect(s2.calls[0]?.stepping.target).toBe(0.85);
  });

  it('acts at once on a receiver that tipped over after a resolution that did not see it hot, still arriving', () => {
    // A back-off 4 s ago, for central and west at 88 %: then west lost capacity and is at 126 %.
    const pending = {
      id: 1,
      at: T0 - 4_000,
      judgeAt: T0 + 86_000,
      diagnosis: 'step-too-large' as const,
      resolver: 'back-off' as const,
      expect: { below: { west: 0.85, central: 0.85 }, before: { west: 0.88, central: 0.88 }, text: '' },
    };
    const memory: HealthMemory = { ...EMPTY_MEMORY, nextId: 2, pending: [pending] };
    const hot = input([receiver('west', 8820, 7000), receiver('central', 8800, 10_000)]);
    expect(isUrgent(hot, health({ memory }))).toBe(true);
    // Heat the arriving resolution saw: it waits for it.
    const seen = { ...pending, expect: { ...pending.expect, before: { west: 1.26, central: 0.88 } } };
    expect(isUrgent(hot, health({ memory: { ...memory, pending: [seen] } }))).toBe(false);
  });

  it('does not blame its last step for a receiver that got none of it', () => {
    // The last step went to west alone; central rose past the target by itself (reconnects, demand).
    const lastMove = {
      at: T0 - 40_000,
      step: 0.05,
      rps: 300,
      before: { west: 0.3, central: 0.84 },
      predicted: { west: 0.33, central: 0.84 },
      gain: { west: 300, central: 0 },
    };
    const memory: HealthMemory = { ...EMPTY_MEMORY, lastMove };
    const west = receiver('west', 3300, 10_000);
    const central = receiver('central', 8900, 10_000);
    const d = manage(
      input([west, central], { baseline: [west, central] }),
      health({ memory }),
      recordingStepper().step,
    );
    expect(d.health?.diagnosis?.kind).not.toBe('step-too-large');
    expect(d.kind).not.toBe('backoff');
  });

  it('holds while no receiver has room', () => {
    const west = receiver('west', 8700, 10_000);
    const central = receiver('central', 8700, 10_000);
    const s = recordingStepper();
    const d = manage(input([west, central], { baseline: [west, central] }), health(), s.step);
    expect(d.kind).toBe('hold');
    expect(s.calls).toHaveLength(0);
  });

  it('lifts a smaller step cap again, doubling it with each step taken while nothing is wrong', () => {
    const west = receiver('west', 3000, 10_000);
    const central = receiver('central', 3000, 10_000);
    const memory: HealthMemory = { ...EMPTY_MEMORY, stepCap: 0.3 };
    const s = recordingStepper();
    const d = manage(input([west, central], { baseline: [west, central] }), health({ memory }), s.step);
    expect(s.calls[0]?.stepping.maxStep).toBe(0.3);
    expect(d.health?.memory.stepCap).toBe(0.6);
    const again = manage(
      input([west, central], { baseline: [west, central] }),
      health({ memory: d.health!.memory }),
      s.step,
    );
    expect(again.health?.memory.stepCap).toBeUndefined();
  });

  it('is deterministic: the same input and memory give the same decision', () => {
    const pacer = createSelfRegulatingPacer({ ...CLOSED_LOOP_DEFAULTS, propagationMs: 30_000, settleMs: 60_000 });
    const i = input([receiver('west', 8200, 7000), receiver('central', 8500, 10_000)], { health: health() });
    expect(pacer.next(i)).toEqual(pacer.next(i));
  });

  it('sheds what a receiver failing requests under the target cannot serve, and judges it on its errors', () => {
    // West lost a quarter of its capacity in one slow cluster: it reads 82 % but fails 10 % of its requests.
    const west = receiver('west', 6150, 7500, { errorRate: 0.1, latencyP99: 9 });
    const central = receiver('central', 3000, 10_000);
    const base = [receiver('west', 4000, 10_000), central];
    const d = manage(input([west, central], { baseline: base }), health(), recordingStepper().step);
    expect(d.health?.diagnosis?.kind).toBe('slow-receiver');
    expect(d.kind).toBe('reroute');
    // What it serves (90 %) is what it can serve: it lands a margin under the target of that, not of its reading.
    expect(d.health!.resolution!.reroute!.from.west).toBeGreaterThan(0.2 * 6150);
    expect(d.health!.resolution!.expect.errorsBelow?.west).toBeCloseTo(0.003, 5);
    // Under the target but still failing requests when judged: not helped.
    const later = manage(
      input([receiver('west', 5000, 7500, { errorRate: 0.08, latencyP99: 9 }), central], { baseline: base }),
      health({ now: d.health!.resolution!.judgeAt + 1, memory: d.health!.memory }),
      recordingStepper().step,
    );
    expect(later.health?.judged[0]?.outcome).not.toBe('helped');
    expect(later.health?.judged[0]?.text).toMatch(/west failing 10\.0 % → 8\.0 %/);
  });

  it('sends a slow receiver none of the next step, and goes on toward the others', () => {
    const west = receiver('west', 3000, 10_000, { latencyP99: 2 });
    const central = receiver('central', 3000, 10_000);
    const s = recordingStepper();
    const d = manage(input([west, central], { baseline: [receiver('west', 3000, 10_000), central] }), health(), s.step);
    expect(d.kind).toBe('grow');
    expect(s.calls[0]?.stepping.only).toEqual(['central']);
    expect(d.only).toEqual(['central']);
  });

  it('bounds its steps by the room of its callees at the receivers, and relieves a callee over the target', () => {
    const west = receiver('west', 3000, 10_000);
    const central = receiver('central', 3000, 10_000);
    const s = recordingStepper();
    // The callee has 500 rps of room at west; two calls per request leave the caller 250 rps there.
    const callees = [
      {
        service: 'db',
        fanout: 2,
        receivers: [receiver('west', 8000, 10_000), receiver('central', 2000, 10_000)],
      },
    ];
    manage(input([west, central], { baseline: [west, central] }), health({ callees }), s.step);
    const seen = s.calls[0]!.input.receivers.find((r) => r.name === 'west')!;
    expect(10_000 * 0.85 - seen.load!).toBeCloseTo(250, 0);
    // The callee over the target at west: west gets none of the next step.
    const hot = [{ ...callees[0]!, receivers: [receiver('west', 9000, 10_000), receiver('central', 2000, 10_000)] }];
    const s2 = recordingStepper();
    const d = manage(input([west, central], { baseline: [west, central] }), health({ callees: hot }), s2.step);
    expect(d.health?.symptoms.some((x) => x.callee?.service === 'db' && x.at === 'west')).toBe(true);
    expect(d.step).toBeGreaterThanOrEqual(0);
    if (d.kind === 'grow') expect(d.only).toEqual(['central']);
  });
});

describe('route-around at the cluster layer through a sick receiver’s own table', () => {
  // The cluster layer of a drain the edge has not finished: nothing moved there yet, so only what arrives at the
  // sick receiver (from the edge, from its own callers) can be re-weighted, by its own table.
  const west = receiver('west', 7400, 7000, { errorRate: 0.05 });
  const central = receiver('central', 5000, 10_000);
  const baseline = [receiver('west', 7400, 10_000), receiver('central', 5000, 10_000)];
  const cluster = (over: Partial<HealthInput> = {}): HealthInput =>
    health({ layer: 'cluster', movedTo: {}, propagationMs: 10_000, ...over });

  it('sends on what arrives at the sick receiver toward the others’ clusters, within their room', () => {
    const d = manage(
      input([west, central], { baseline, progress: 0 }),
      cluster({ divertible: ['west'] }),
      recordingStepper().step,
    );
    expect(d.kind).toBe('reroute');
    const r = d.health!.resolution!.reroute!;
    expect(Object.keys(r.to)).toEqual(['central']);
    expect(r.own?.west).toBeGreaterThan(0);
    expect(r.own?.west).toBeCloseTo(r.from.west!, 6);
    // Within central's room at a margin under the target, a moved request costing two.
    expect(r.to.central!).toBeLessThanOrEqual((10_000 * 0.82 - 5000) / 2 + 1e-6);
    expect(d.reason).toMatch(/west sending on what arrives there/);
  });

  it('does not re-weight a receiver’s own table the backend does not offer', () => {
    const d = manage(input([west, central], { baseline, progress: 0 }), cluster(), recordingStepper().step);
    expect(d.health?.resolution?.resolver).not.toBe('route-around');
  });

  it('gives a receiver’s own table back once it has room again for what it sent on', () => {
    const healed = receiver('west', 4000, 10_000);
    const d = manage(
      input([healed, central], { baseline, progress: 1 }),
      cluster({ divertible: ['west'], diverted: { west: 1000 }, watching: true }),
      recordingStepper().step,
    );
    expect(d.kind).toBe('reroute');
    expect(d.giveBack).toEqual({ west: 1 });
    expect(d.reason).toMatch(/west has room again for the 1000 rps its own table sent on/);
    // Part of it where only part fits a margin under the target (a moved request costing two): 7400 + 2 × 400.
    const part = manage(
      input([receiver('west', 7400, 10_000), central], { baseline, progress: 1 }),
      cluster({ divertible: ['west'], diverted: { west: 1000 }, watching: true }),
      recordingStepper().step,
    );
    expect(part.giveBack?.west).toBeCloseTo(0.4, 6);
    // None while too little fits to be worth a change.
    const busy = receiver('west', 8150, 10_000);
    const kept = manage(
      input([busy, central], { baseline, progress: 1 }),
      cluster({ divertible: ['west'], diverted: { west: 1000 }, watching: true }),
      recordingStepper().step,
    );
    expect(kept.giveBack).toBeUndefined();
  });
});
