/**
 * Fidelity to the paper, the traffic itself: drain time per traffic type, a restore in the wrong order, a replication
 * restore, session decay and a fibre cut (`npm run fidelity` prints the same cases as a table).
 */
import { describe, expect, it } from 'vitest';
import { holds } from './fidelity-case.js';

describe('fidelity to the paper: how traffic moves', () => {
  it(
    'orders drain times by traffic type as Table 3 does, and teardown shortens a sticky drain at least 5×',
    holds('per-type drain time (Table 3)', (f) => {
      expect(f.replication).toBeGreaterThanOrEqual(60);
      expect(f.replication).toBeLessThanOrEqual(300);
      expect(f.stateless).toBeGreaterThan(300);
      expect(f.stateless).toBeLessThan(900);
      expect(f.stateful).toBeGreaterThan(f.stateless!);
      expect(f.stateful).toBeLessThan(1800);
      expect(f.sticky).toBeGreaterThan(3600);
      expect(f.speedup).toBeGreaterThanOrEqual(5);
    }),
  );

  it(
    'fails requests while callers are restored before their callees, until the order is repaired; in order none',
    holds('out-of-order restore (Fig. 6)', (f) => {
      expect(f.reversedRpcPeak).toBeGreaterThan(5 * f.reversedRpcBefore!);
      expect(f.reversedFailed).toBeGreaterThan(0);
      expect(f.failedPerSecondAfterRepair).toBeLessThan(1);
      expect(f.inOrderFailed).toBeLessThan(0.001 * f.reversedFailed!);
      expect(f.inOrderRpcPeak).toBeLessThanOrEqual(1.25 * f.inOrderRpcBefore!);
    }),
  );

  it(
    'saturates the backbone with an unpaced replica catch-up and keeps a network-paced one under its planned use',
    holds('replication restore (§5.2)', (f) => {
      expect(f.unpacedPeak).toBeGreaterThanOrEqual(1);
      expect(f.unpacedSaturatedSeconds).toBeGreaterThan(0);
      expect(f.unpacedFailed).toBeGreaterThan(0);
      expect(f.pacedPeak).toBeLessThanOrEqual(0.8);
      expect(f.pacedSaturatedSeconds).toBe(0);
      expect(f.pacedFailed).toBe(0);
      expect(f.pacedSeconds).toBeGreaterThan(f.unpacedSeconds!);
    }),
  );

  it(
    'halves established sessions in mean × ln 2 after a redirect, and a paced teardown reaches zero',
    holds('sticky sessions (Fig. 8)', (f) => {
      expect(Math.abs(f.halfSeconds! - f.expectedSeconds!)).toBeLessThanOrEqual(0.05 * f.expectedSeconds!);
      expect(f.halfSeconds! / 60).toBeGreaterThan(22);
      expect(f.halfSeconds! / 60).toBeLessThan(28);
      expect(f.sessionsLeft).toBe(0);
      expect(f.overloadSeconds).toBe(0);
    }),
  );

  it(
    'evacuates user-facing traffic within 17 minutes of a fibre cut, with no receiver overloaded',
    holds('fibre cut (§5.1)', (f) => {
      expect(f.minutesAfterCut).toBeLessThanOrEqual(17);
      expect(f.overloadSeconds).toBe(0);
    }),
  );
});
