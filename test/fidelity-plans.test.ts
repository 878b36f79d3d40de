/**
 * Fidelity to the paper, the plans: sequential against DAG, the critical path, the pacing's steps and a restore on
 * cold caches (`npm run fidelity` prints the same cases as a table).
 */
import { describe, expect, it } from 'vitest';
import { holds } from './fidelity-case.js';

describe('fidelity to the paper: how plans run', () => {
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
    'drains web in 4–6 closed-loop steps 60–120 s apart with the paper’s settings',
    holds('stateless steps (Fig. 7)', (f) => {
      expect(f.steps).toBeGreaterThanOrEqual(4);
      expect(f.steps).toBeLessThanOrEqual(6);
      expect(f.minGap).toBeGreaterThanOrEqual(60);
      expect(f.maxGap).toBeLessThanOrEqual(120);
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
