/**
 * Running a fidelity case (bench/fidelity/cases.ts) as a test: it holds its claim (the message names our figures
 * when it does not), and its figures stay within the test's tolerant bounds. Cases share their drills within a
 * process; the suite is split in two files so that each core runs one.
 */
import { expect } from 'vitest';
import { CASES, type CaseOutcome } from '../bench/fidelity/cases.js';

const outcomes = new Map<string, Promise<CaseOutcome>>();

function outcomeOf(name: string): Promise<CaseOutcome> {
  let o = outcomes.get(name);
  if (!o) {
    const c = CASES.find((x) => x.case === name);
    if (!c) throw new Error(`no fidelity case "${name}"`);
    o = c.run();
    outcomes.set(name, o);
  }
  return o;
}

/** A test body: runs the case, checks that it holds, and hands its figures to `bounds`. */
export const holds =
  (name: string, bounds: (f: Readonly<Record<string, number>>) => void) => async (): Promise<void> => {
    const outcome = await outcomeOf(name);
    expect(outcome.held, outcome.ours).toBe(true);
    bounds(outcome.figures);
  };
