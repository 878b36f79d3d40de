import { describe, expect, it } from 'vitest';
import { manageTeardown, type TeardownInput } from './teardown.js';

const T0 = Date.UTC(2026, 2, 2, 20, 0, 0);
const receiver = (name: string, load: number, capacity: number) => ({
  name,
  load,
  capacity,
  utilization: load / capacity,
  errorRate: 0.001,
  latencyP99: 0.08,
});

function teardown(over: Partial<TeardownInput> = {}): TeardownInput {
  return {
    now: T0,
    service: 'messenger',
    receivers: [receiver('west', 6000, 10_000), receiver('central', 6000, 10_000)],
    baseline: [receiver('west', 5000, 10_000), receiver('central', 5000, 10_000)],
    target: 0.85,
    rate: 40,
    ramp: 80,
    minRate: 1,
    settleMs: 70_000,
    preferences: [],
    ...over,
  };
}

describe('the session teardown’s health manager', () => {
  it('ramps while the receivers are healthy', () => {
    const d = manageTeardown(teardown());
    expect(d.rate).toBe(80);
    expect(d.resolution).toBeUndefined();
  });

  it('slows the teardown on a reconnect storm, says what it expects, and holds the rate while that settles', () => {
    const hot = [receiver('west', 9200, 10_000), receiver('central', 6000, 10_000)];
    const d = manageTeardown(teardown({ receivers: hot }));
    expect(d.diagnosis?.kind).toBe('reconnect-storm');
    expect(d.resolution?.resolver).toBe('slow-teardown');
    expect(d.rate).toBe(20);
    expect(d.reason).toMatch(
      /west at 92\.0 %.*→.*reconnect.*→ slow-teardown #1: 40\.0\/s → 20\.0\/s; expects west at or under 85\.0 %/,
    );
    // Healthy again before it is judged: the rate is held, not raised.
    const next = manageTeardown(teardown({ now: T0 + 10_000, rate: 20, memory: d.memory }));
    expect(next.rate).toBe(20);
    // Judged once settled.
    const judged = manageTeardown(teardown({ now: T0 + 71_000, rate: 20, memory: d.memory }));
    expect(judged.judged.map((j) => [j.resolver, j.outcome])).toEqual([['slow-teardown', 'helped']]);
    expect(judged.rate).toBe(80);
  });

  it('goes on tearing down where a receiver over the target is no higher than where the edge weights take it', () => {
    // Central at 87 %, and its share of new sessions takes it near there anyway (0.43 of 20,000 rps on 10,000): the
    // sessions left would reconnect there as they end; tearing them down only brings that forward.
    const receivers = [
      { ...receiver('west', 5000, 10_000), edgeShare: 0.57 },
      { ...receiver('central', 8700, 10_000), edgeShare: 0.43 },
    ];
    const d = manageTeardown(teardown({ receivers, totalLoad: 20_000 }));
    expect(d.diagnosis).toBeUndefined();
    expect(d.rate).toBe(80);
    // Above where it is heading (the reconnects' own surge): a reconnect storm.
    const surge = [receivers[0]!, { ...receivers[1]!, load: 9100, utilization: 0.91 }];
    expect(manageTeardown(teardown({ receivers: surge, totalLoad: 20_000 })).diagnosis?.kind).toBe('reconnect-storm');
  });

  it('pages once when slowing down did not help, and holds at the least rate', () => {
    const hot = [receiver('west', 9200, 10_000), receiver('central', 6000, 10_000)];
    const first = manageTeardown(teardown({ receivers: hot }));
    const second = manageTeardown(teardown({ receivers: hot, now: T0 + 71_000, rate: 20, memory: first.memory }));
    expect(second.judged[0]?.outcome).toBe('not-helped');
    expect(second.resolution?.resolver).toBe('hold-and-page');
    expect(second.rate).toBe(1);
    expect(second.resolution?.page).toMatch(/messenger session teardown/);
  });
});
