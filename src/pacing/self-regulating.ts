/**
 * The self-regulating pacer (the default): the closed loop's headroom-sized steps while the receivers are healthy,
 * and a health manager (health-manager.ts) that detects, diagnoses and resolves when they are not — backing off,
 * moving traffic back to a healthy source, routing around a sick receiver, waiting out cold caches or lagging
 * readings, starting jobs, or holding and paging — judging each resolution by its effect and not repeating one
 * that did not help. A shift that reached its target keeps its manager while its run goes on (a watch).
 *
 * Without the health manager's input (a stage that does not provide it) it paces exactly as the closed loop.
 */
import { createClosedLoopPacer, type ClosedLoopConfig } from './closed-loop.js';
import { isUrgent, manage, type Stepper } from './health-manager.js';
import type { Pacer, PacerInput } from './pacer.js';

/** The receivers (and their readings before the shift) a step goes to. */
function receiversOf(
  input: PacerInput,
  only: readonly string[] | undefined,
): Pick<PacerInput, 'receivers' | 'baseline'> {
  if (only === undefined) return input;
  const keep = (r: { readonly name: string }): boolean => only.includes(r.name);
  return { receivers: input.receivers.filter(keep), baseline: input.baseline.filter(keep) };
}

export function createSelfRegulatingPacer(config: ClosedLoopConfig): Pacer {
  const closed = createClosedLoopPacer(config);
  const step: Stepper = (input, s) =>
    createClosedLoopPacer({
      ...config,
      headroomShare: s.headroomShare,
      maxStep: Math.min(config.maxStep, s.maxStep ?? 1),
      growthBy: 'receiving',
      nearTarget: s.nearTarget ?? 'stepwise',
      // The manager limits steps itself (stepCap) and resolves trouble itself: the closed loop only sizes steps.
    }).next({ ...input, ...receiversOf(input, s.only), targetUtilization: s.target, backoffs: 0 });
  return {
    mode: 'self-regulating',
    next: (input) => (input.health ? manage(input, input.health, step) : closed.next(input)),
    interrupt: (input) => (input.health ? isUrgent(input, input.health) : false),
  };
}
