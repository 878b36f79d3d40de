/**
 * Lint (docs/definitions.md lists every code): the checks that need more than one document at a time, run after
 * loading. Every problem is reported, each at the node it is about; warnings never fail a run.
 */
import type { Definitions } from '../../model/definitions.js';
import type { Diagnostic } from '../diagnostic.js';
import { lintPlan, lintRunbook, lintScenario, lintTemplate } from './documents.js';
import { lintFleet } from './fleet.js';
import { Reporter } from './report.js';

export interface LintOptions {
  /** `Kind/name` of documents that failed their schema: references to them are not reported again. */
  readonly invalid?: ReadonlySet<string>;
}

export function lintDefinitions(defs: Definitions, options: LintOptions = {}): Diagnostic[] {
  const r = new Reporter(defs);
  const invalid = options.invalid ?? new Set<string>();
  for (const fleet of defs.fleets.values()) lintFleet(r, fleet);
  for (const t of defs.templates.values()) lintTemplate(r, t, defs);
  for (const rb of defs.runbooks.values()) lintRunbook(r, rb, defs, invalid);
  for (const plan of defs.plans.values()) lintPlan(r, plan, defs, invalid);
  for (const sc of defs.scenarios.values()) lintScenario(r, sc, defs, invalid);
  return r.diagnostics;
}
