/**
 * The fidelity suite as tests: every case of `npm run fidelity` (bench/fidelity/cases.ts) holds its claim, and its
 * figures stay within tolerant bounds around what the paper measured. The cases share their drills, so the file
 * runs them in one process, one after another.
 */
import { describe, expect, it } from 'vitest';
import { CASES, type CaseOutcome } from '../bench/fidelity/cases.js';

const outcomes = new Map<string, Promise<CaseOutcome>>();
const outcomeOf = (name: string): Promise<CaseOutcome> => {
  let o = outcomes.get(name);
  if (!o) {
    const c = CASES.find((x) => x.case === name);
    if (!c) throw new Error(`no fidelity case "${name}"`);
    o = c.run();
    outcomes.set(name, o);
  }
  return o;
};

/** Runs the case, checks that it holds (naming our figures when not), and hands its figures to `bounds`. */
const holds = (name: string, bounds: (f: Readonly<Record<string, number>>) => void) => async (): Promise<void> => {
  const outcome = await outcomeOf(name);
  expect(outcome.held, outcome.ours).toBe(true);
  bounds(outcome.figures);
};

describe('fidelity to the paper, case by case', () => {
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
    'runs the 79-task evacuation at least 4× faster as a DAG than one task at a time, the reference 1.5×',
    holds('sequential vs DAG (Table 5)', (f) => {
      expect(f.tasks).toBe(79);
      expect(f.edges).toBeGreaterThanOrEqual(105);
      expect(f.edges).toBeLessThanOrEqual(113);
      expect(f.generatedRatio).toBeGreaterThanOrEqual(4);
      expect(f.referenceTasks).toBe(18);
      expect(f.referenceRatio).toBeGreaterThanOrEqual(1.5);
    }),
  );

  it(
    'puts 5–20 % of the evacuation’s tasks on its critical path',
    holds('critical path (Table 4)', (f) => {
      expect(f.tasks).toBe(79);
      expect(f.share).toBeGreaterThanOrEqual(0.05);
      expect(f.share).toBeLessThanOrEqual(0.2);
    }),
  );

  it(
    'fails requests while callers are restored before their callees, until the order is repaired; in order none',
    holds('out-of-order restore (Fig. 6)', (f) => {
      expect(f.reversedRpcPeak).toBeGreaterThan(5 * f.reversedRpcBefore!);
      expect(f.reversedFailed).toBeGreaterThan(0);
      expect(f.failedPerSecondAfterRepair).toBeLessThan(1);
      expect(f.inOrderFailed).toBe(0);
      expect(f.inOrderRpcPeak).toBeLessThanOrEqual(1.25 * f.inOrderRpcBefore!);
    }),
  );

  it(
    'drains web in 4–6 closed-loop steps 60–120 s apart with the paper’s settings',
    holds('stateless steps (Fig. 7)', (f) => {
      expect(f.steps).toBeGreaterThanOrEqual(4);
      expect(f.steps).toBeLessThanOrEqual(6);
      expect(f.minGap).toBeGreaterThanOrEqual(60);
      expect(f.maxGap).toBeLessThanOrEqual(120);
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

  it(
    'overloads through cold caches when restoring in one step, and not when the restore is paced',
    holds('restore and cold caches (Table 5)', (f) => {
      expect(f.oneStepOverloadSeconds).toBeGreaterThan(0);
      expect(f.oneStepMaxUtilization).toBeGreaterThan(1);
      expect(f.oneStepLoadShare).toBeLessThan(1);
      expect(f.pacedOverloadSeconds).toBe(0);
    }),
  );
});
