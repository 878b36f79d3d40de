import { describe, expect, it } from 'vitest';
import { CLOSED_LOOP_DEFAULTS, createClosedLoopPacer } from './closed-loop.js';
import { createPacer } from './index.js';
import type { PacerInput, ReceiverReading } from './pacer.js';

const recv = (name: string, load: number, capacity: number, extra: Partial<ReceiverReading> = {}): ReceiverReading => ({
  name,
  load,
  capacity,
  utilization: load / capacity,
  errorRate: 0.0001,
  latencyP99: 0.1,
  ...extra,
});

const input = (over: Partial<PacerInput> = {}): PacerInput => ({
  progress: 0,
  steps: 0,
  lastStep: 0,
  volume: 1000,
  receivers: [recv('west', 400, 1000), recv('central', 400, 1000)],
  baseline: [recv('west', 400, 1000), recv('central', 400, 1000)],
  targetUtilization: 0.85,
  ...over,
});

const closed = createPacer({ mode: 'closed-loop', targetUtilization: 0.85, settle: '60s' }, { propagationMs: 30_000 });

describe('closed-loop pacer', () => {
  it('starts with a small first step, a quarter of what the headroom allows, and waits for propagation plus settle', () => {
    // 2 × (850 − 400) = 900 rps of headroom, half of it usable (cold caches): 45 % allowed, a quarter of that first.
    const d = closed.next(input());
    expect(d).toMatchObject({ kind: 'grow', waitMs: 90_000 });
    expect(d.step).toBeCloseTo(0.1125);
    // Never below the configured first step, nor above what the headroom allows.
    const roomy = [recv('west', 100, 10_000), recv('central', 100, 10_000)];
    expect(closed.next(input({ volume: 100, receivers: roomy })).step).toBeCloseTo(0.25);
    expect(closed.next(input({ receivers: [recv('west', 820, 1000), recv('central', 820, 1000)] })).step).toBeCloseTo(
      0.03,
    );
  });

  it('grows the step fourfold while the receivers are well under the target, up to what the headroom allows', () => {
    const d = closed.next(input({ progress: 0.05, steps: 1, lastStep: 0.05, lastDecision: 'grow' }));
    expect(d.kind).toBe('grow');
    expect(d.step).toBeCloseTo(0.2);
    expect(closed.next(input({ progress: 0.2, steps: 2, lastStep: 0.2, lastDecision: 'grow' })).step).toBeCloseTo(0.45);
  });

  it('after the last step waits only for propagation: there is no further step to settle for', () => {
    const d = closed.next(input({ progress: 0.7, steps: 4, lastStep: 0.4, lastDecision: 'grow' }));
    expect(d).toMatchObject({ kind: 'final', waitMs: 31_000 });
  });

  it('folds a small rest (up to 5 % of the move) into a headroom-limited step when it fits in 62.5 % of the headroom', () => {
    // 2 × (850 − 720) = 260 rps of headroom: a step of 13 % is allowed, 16 % are left; 16 % ≤ 62.5 % × 260 / 1000.
    const tight = [recv('west', 720, 1000), recv('central', 720, 1000)];
    const d = closed.next(input({ progress: 0.84, steps: 3, lastStep: 0.2, lastDecision: 'grow', receivers: tight }));
    expect(d.kind).toBe('final');
    expect(0.84 + d.step).toBe(1);
    // 10 % left over is too much to fold: the step stays what the headroom allows.
    const far = closed.next(input({ progress: 0.77, steps: 3, lastStep: 0.2, lastDecision: 'grow', receivers: tight }));
    expect(far.kind).toBe('shrink');
    expect(far.step).toBeCloseTo(0.13);
  });

  it('does not grow the step near the target', () => {
    // 78 % is within 10 points of the 85 % target: 2 × 70 = 140 rps of headroom would allow 7 %, the step stays 5 %.
    const near = [recv('west', 780, 1000), recv('central', 780, 1000)];
    const d = closed.next(input({ progress: 0.1, steps: 2, lastStep: 0.05, lastDecision: 'grow', receivers: near }));
    expect(d.kind).toBe('grow');
    expect(d.step).toBeCloseTo(0.05);
  });

  it('never moves more than the measured headroom allows', () => {
    // 2 × (850 − 800) = 100 rps of headroom for 1000 rps: at most 5 %, half the headroom, for cold caches.
    const tight = [recv('west', 800, 1000), recv('central', 800, 1000)];
    const d = closed.next(input({ progress: 0.2, steps: 3, lastStep: 0.2, lastDecision: 'grow', receivers: tight }));
    expect(d.kind).toBe('shrink');
    expect(d.step).toBeCloseTo(0.05);
  });

  it('takes the rest in a final step when it fits', () => {
    const d = closed.next(input({ progress: 0.7, steps: 4, lastStep: 0.4, lastDecision: 'grow' }));
    expect(d.kind).toBe('final');
    expect(0.7 + d.step).toBeCloseTo(1);
  });

  it('never exceeds maxStep', () => {
    const p = createPacer(
      { mode: 'closed-loop', targetUtilization: 0.85, settle: '60s', maxStep: 0.25 },
      { propagationMs: 0 },
    );
    const d = p.next(input({ progress: 0.3, steps: 3, lastStep: 0.2, lastDecision: 'grow', volume: 100 }));
    expect(d.step).toBeCloseTo(0.25);
  });

  it('holds when a reading is missing, and says which', () => {
    const d = closed.next(input({ receivers: [recv('west', 400, 1000), { name: 'central', errorRate: 0 }] }));
    expect(d).toMatchObject({ kind: 'hold', step: 0 });
    expect(d.reason).toContain('central');
    expect(closed.next(input({ volume: undefined })).kind).toBe('hold');
    const noErrors = closed.next(
      input({ receivers: [recv('west', 400, 1000), recv('central', 400, 1000, { errorRate: undefined })] }),
    );
    expect(noErrors.kind).toBe('hold');
  });

  it('backs off one step when a receiver goes above the target, then holds until it recovers', () => {
    const hot = [recv('west', 900, 1000), recv('central', 500, 1000)];
    const d = closed.next(input({ progress: 0.4, steps: 3, lastStep: 0.2, lastDecision: 'grow', receivers: hot }));
    expect(d.kind).toBe('backoff');
    expect(d.step).toBeCloseTo(-0.2);
    expect(d.reason).toContain('west');
    const again = closed.next(
      input({ progress: 0.2, steps: 4, lastStep: 0.2, lastDecision: 'backoff', receivers: hot }),
    );
    expect(again).toMatchObject({ kind: 'hold', step: 0 });
  });

  it('finishes a move with nothing left to move even when a receiver is above the target (it cannot help)', () => {
    const hot = [recv('west', 950, 1000), recv('central', 500, 1000)];
    const d = closed.next(input({ volume: 0.5, receivers: hot }));
    expect(d).toMatchObject({ kind: 'final', step: 1 });
  });

  it('backs off when the error rate or the latency of a receiver rises', () => {
    const errors = [recv('west', 500, 1000, { errorRate: 0.01 }), recv('central', 500, 1000)];
    expect(
      closed.next(input({ progress: 0.3, steps: 2, lastStep: 0.1, lastDecision: 'grow', receivers: errors })).kind,
    ).toBe('backoff');
    const slow = [recv('west', 500, 1000, { latencyP99: 0.8 }), recv('central', 500, 1000)];
    expect(
      closed.next(input({ progress: 0.3, steps: 2, lastStep: 0.1, lastDecision: 'grow', receivers: slow })).kind,
    ).toBe('backoff');
  });

  it('resumes after a back-off with half the step that hurt', () => {
    const d = closed.next(input({ progress: 0.2, steps: 4, lastStep: 0.2, lastDecision: 'backoff' }));
    expect(d.kind).toBe('shrink');
    expect(d.step).toBeCloseTo(0.1);
  });

  it('halves the largest step for every back-off, so it cannot oscillate', () => {
    const d = closed.next(
      input({ progress: 0.3, steps: 5, lastStep: 0.4, lastDecision: 'grow', backoffs: 2, volume: 100 }),
    );
    expect(d.step).toBeCloseTo(0.125);
    // ...but never below a step worth taking.
    const floor = closed.next(
      input({ progress: 0.3, steps: 9, lastStep: 0.05, lastDecision: 'grow', backoffs: 10, volume: 100 }),
    );
    expect(floor.kind).not.toBe('hold');
    expect(floor.step).toBeCloseTo(0.02);
  });

  it('counts a receiver busier than its load (cold caches) by its utilisation', () => {
    const cold = [recv('west', 400, 1000, { utilization: 0.845 }), recv('central', 400, 1000, { utilization: 0.845 })];
    expect(
      closed.next(input({ progress: 0.2, steps: 3, lastStep: 0.2, lastDecision: 'grow', receivers: cold })).kind,
    ).toBe('hold');
  });

  it('takes a sliver left over with the step before it', () => {
    const d = closed.next(
      input({
        progress: 0.7,
        steps: 4,
        lastStep: 0.025,
        lastDecision: 'grow',
        volume: 10_000,
        receivers: [recv('west', 100, 10_000), recv('central', 100, 10_000)],
      }),
    );
    // The grown step (0.1) would leave 0.2; only a sliver under half the minimum step is folded in.
    expect(d.kind).toBe('grow');
    const last = closed.next(
      input({
        progress: 0.796,
        steps: 5,
        lastStep: 0.05,
        lastDecision: 'grow',
        volume: 10_000,
        receivers: [recv('west', 100, 10_000), recv('central', 100, 10_000)],
      }),
    );
    expect(last.kind).toBe('final');
    expect(0.796 + last.step).toBe(1);
  });

  it('holds when the receivers are at the target', () => {
    const full = [recv('west', 849, 1000), recv('central', 849, 1000)];
    expect(
      closed.next(input({ progress: 0.5, steps: 3, lastStep: 0.2, lastDecision: 'grow', receivers: full })).kind,
    ).toBe('hold');
  });

  it('counts load already committed but not yet arrived (sticky sessions) against the headroom', () => {
    // 900 rps of headroom, 800 of it promised to sessions that have not moved yet: at most 5 % of 1000 rps.
    const d = closed.next(input({ progress: 0.3, steps: 3, lastStep: 0.2, lastDecision: 'grow', inFlight: 800 }));
    expect(d.step).toBeCloseTo(0.05);
    expect(
      createPacer({ mode: 'oracle', targetUtilization: 0.85, settle: '60s' }, { propagationMs: 0 }).next(
        input({ inFlight: 900 }),
      ).kind,
    ).toBe('hold');
  });

  it('moves everything at once when no traffic is left to move', () => {
    expect(closed.next(input({ volume: 0.5 }))).toMatchObject({ kind: 'final', step: 1 });
  });

  it('is deterministic', () => {
    const i = input({ progress: 0.15, steps: 2, lastStep: 0.1, lastDecision: 'grow' });
    expect(closed.next(i)).toEqual(closed.next(i));
  });

  it('drains a simple linear world to the end without passing the target', () => {
    // Receivers gain exactly what is moved, split by headroom: the loop must finish and stay at or under 85 %.
    let progress = 0;
    let last = 0;
    let lastDecision: PacerInput['lastDecision'];
    const cap = { west: 1000, central: 1200 };
    const base = { west: 300, central: 500 };
    const volume = 800;
    let loads = { ...base };
    let steps = 0;
    for (let i = 0; i < 100 && progress < 1; i++) {
      const receivers = [recv('west', loads.west, cap.west), recv('central', loads.central, cap.central)];
      const d = closed.next({
        progress,
        steps,
        lastStep: last,
        lastDecision,
        volume,
        receivers,
        baseline: receivers,
        targetUtilization: 0.85,
      });
      if (d.kind === 'hold') break;
      const h = { west: cap.west * 0.85 - loads.west, central: cap.central * 0.85 - loads.central };
      const H = h.west + h.central;
      loads = {
        west: loads.west + (d.step * volume * h.west) / H,
        central: loads.central + (d.step * volume * h.central) / H,
      };
      expect(loads.west / cap.west).toBeLessThanOrEqual(0.85 + 1e-9);
      expect(loads.central / cap.central).toBeLessThanOrEqual(0.85 + 1e-9);
      progress += d.step;
      last = d.step;
      lastDecision = d.kind;
      steps++;
    }
    expect(progress).toBeCloseTo(1);
    expect(steps).toBeLessThanOrEqual(8);
  });
});

describe('fixed pacer', () => {
  const fixed = createPacer({ mode: 'fixed', targetUtilization: 0.85, settle: '60s' }, { propagationMs: 30_000 });

  it('moves 10 % every 5 minutes by default, whatever the readings', () => {
    const hot = [recv('west', 990, 1000)];
    expect(fixed.next(input({ receivers: hot }))).toMatchObject({ kind: 'fixed', step: 0.1, waitMs: 300_000 });
  });

  it('finishes with exactly the remainder', () => {
    const d = fixed.next(input({ progress: 0.95 }));
    expect(d.kind).toBe('final');
    expect(0.95 + d.step).toBe(1);
  });

  it('takes the step and interval of the plan', () => {
    const p = createPacer(
      { mode: 'fixed', targetUtilization: 0.85, settle: '60s', step: 0.25, interval: '90s' },
      { propagationMs: 0 },
    );
    expect(p.next(input())).toMatchObject({ step: 0.25, waitMs: 90_000 });
  });
});

describe('oracle pacer', () => {
  const oracle = createPacer({ mode: 'oracle', targetUtilization: 0.85, settle: '60s' }, { propagationMs: 30_000 });

  it('moves everything that fits under the target at once and waits only for propagation', () => {
    // 450 + 450 = 900 rps of true headroom for 1000 rps to move; cold caches double a moved request's cost.
    const d = oracle.next(input());
    expect(d.kind).toBe('grow');
    expect(d.step).toBeCloseTo(0.45);
    expect(d.waitMs).toBe(31_000);
  });

  it('finishes when the rest fits', () => {
    expect(oracle.next(input({ volume: 400 })).kind).toBe('final');
  });

  it('holds when the receivers are at the target', () => {
    const full = [recv('west', 850, 1000), recv('central', 850, 1000)];
    expect(oracle.next(input({ receivers: full })).kind).toBe('hold');
  });
});

describe('near the target', () => {
  it('the closed loop grows no more than the last step; the self-regulating sizing takes what the headroom allows', () => {
    // 78 % at an 85 % target: 2 × 70 = 140 rps of headroom, half of it for a 1000 rps move (7 %); the last step 1 %.
    const near = input({
      progress: 0.5,
      steps: 10,
      lastStep: 0.01,
      lastDecision: 'grow',
      receivers: [recv('west', 780, 1000), recv('central', 780, 1000)],
    });
    const stepwise = createClosedLoopPacer({ ...CLOSED_LOOP_DEFAULTS, propagationMs: 30_000, settleMs: 60_000 });
    expect(stepwise.next(near).step).toBeCloseTo(0.01);
    const sized = createClosedLoopPacer({
      ...CLOSED_LOOP_DEFAULTS,
      propagationMs: 30_000,
      settleMs: 60_000,
      nearTarget: 'headroom',
    });
    expect(sized.next(near).step).toBeCloseTo(0.07);
  });
});
