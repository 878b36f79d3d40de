import { describe, expect, it } from 'vitest';
import { CLOSED_LOOP_DEFAULTS } from './closed-loop.js';
import { expectedLatency, latencyUp, loadLatencyFactor } from './detectors.js';
import type { ReceiverReading } from './pacer.js';

const at = (utilization: number, latencyP99: number, capacity = 1000): ReceiverReading => ({
  name: 'west',
  load: utilization * capacity,
  capacity,
  utilization,
  latencyP99,
});

describe('the latency detector', () => {
  it('reads a busy but healthy receiver at the evening peak as its load predicts, not as degraded', () => {
    // Before the shift west ran at 60 % with a p99 of 150 ms; at the peak it runs at 88 %, its p99 risen as the
    // latency curve says: well over the old rule's 4× and 0.5 s, and no symptom.
    const before = at(0.6, 0.15);
    const p99 = (0.15 * loadLatencyFactor(0.88)) / loadLatencyFactor(0.6);
    const busy = at(0.88, p99);
    expect(p99).toBeGreaterThan(0.15 * CLOSED_LOOP_DEFAULTS.latencyRatio);
    expect(p99 - 0.15).toBeGreaterThan(CLOSED_LOOP_DEFAULTS.latencyRise);
    expect(expectedLatency(busy, before)).toBeCloseTo(p99, 9);
    expect(latencyUp(busy, before)).toBeUndefined();
  });

  it('still reads a genuinely slow receiver as slow: latency × k at the load it had', () => {
    const before = at(0.6, 0.15);
    const slow = latencyUp(at(0.6, 0.15 * 5), before);
    expect(slow?.kind).toBe('latency-up');
    expect(slow?.text).toBe('west p99 latency up from 150 ms to 750 ms');
  });

  it('still reads a slow cluster (latency × 3, half its capacity) as slow though its load rose too', () => {
    // One cluster of two keeps half its capacity and triples its latency: the datacenter reads 75 % of its capacity
    // (utilisation up from 60 % to 80 %) and the slow cluster's p99, queueing, far above what 80 % predicts.
    const before = at(0.6, 0.15);
    const slow = at(0.8, 3.2, 750);
    const expected = expectedLatency(slow, before)!;
    expect(expected).toBeGreaterThan(0.15);
    expect(latencyUp(slow, before)?.text).toMatch(/up from 150 ms to 3200 ms \(\d+ ms expected at its load\)/);
  });

  it('expects no less than the reading before the shift where the load fell', () => {
    expect(expectedLatency(at(0.3, 0.1), at(0.6, 0.15))).toBe(0.15);
    expect(latencyUp(at(0.3, 0.5), at(0.6, 0.15))).toBeUndefined();
  });
});
