/**
 * How a report says that a plan did not succeed, the same on the terminal of `drain-test`, `run` and `lab` and in
 * the HTML page: its name, what became of it, the error code when the engine refused it, and the reason in its own
 * words, e.g. `evacuate-x not started: E_PREFLIGHT search: no other datacenter runs search`.
 */

export interface PlanOutcome {
  readonly name: string;
  /** `succeeded`, `not-started`, or the state the run ended or was left in. */
  readonly outcome: string;
  readonly error?: string;
  readonly errorCode?: string;
  readonly reason?: string;
}

/** The line for a plan that did not succeed; undefined for one that did. */
export function planOutcomeLine(p: PlanOutcome): string | undefined {
  if (p.outcome === 'succeeded') return undefined;
  if (p.outcome === 'not-started') {
    const code = p.errorCode !== undefined ? `${p.errorCode} ` : '';
    return `${p.name} not started: ${code}${p.error ?? 'no reason recorded'}`;
  }
  const why = p.reason ?? p.error;
  return `${p.name} ${p.outcome}${why !== undefined ? `: ${why}` : ''}`;
}
