/**
 * Lint (docs/definitions.md lists every code): the checks that need more than one document at a time, run after
 * loading. Every problem is reported, each at the node it is about; warnings never fail a run.
 */
import type { Definitions, Kind } from '../../model/definitions.js';
import type { Diagnostic } from '../diagnostic.js';
import { lintNotifier, lintTrigger } from './alerting.js';
import { lintPlan, lintRunbook, lintScenario, lintTemplate } from './documents.js';
import { lintFleet } from './fleet.js';
import { Reporter } from './report.js';
import { lintSchedule } from './schedule.js';

export interface LintOptions {
  /** `Kind/name` of documents that failed their schema: references to them are not reported again. */
  readonly invalid?: ReadonlySet<string>;
}

export function lintDefinitions(defs: Definitions, options: LintOptions = {}): Diagnostic[] {
  const r = new Reporter(defs);
  const invalid = options.invalid ?? new Set<string>();
  // A rule that trips over input nobody foresaw must not hide the other rules' findings.
  const guarded = (kind: Kind, name: string, run: () => void): void => {
    try {
      run();
    } catch (e) {
      r.error(
        'E_INTERNAL',
        kind,
        name,
        [],
        `lint failed on this definition: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
  };
  for (const f of defs.fleets.values())
    guarded('Fleet', f.metadata.name, () => {
      lintFleet(r, f);
    });
  for (const t of defs.templates.values())
    guarded('TaskTemplate', t.metadata.name, () => {
      lintTemplate(r, t, defs);
    });
  for (const rb of defs.runbooks.values())
    guarded('Runbook', rb.metadata.name, () => {
      lintRunbook(r, rb, defs, invalid);
    });
  for (const p of defs.plans.values())
    guarded('Plan', p.metadata.name, () => {
      lintPlan(r, p, defs, invalid);
    });
  for (const sc of defs.scenarios.values())
    guarded('Scenario', sc.metadata.name, () => {
      lintScenario(r, sc, defs, invalid);
    });
  for (const s of defs.schedules.values())
    guarded('Schedule', s.metadata.name, () => {
      lintSchedule(r, s, defs, invalid);
    });
  for (const t of defs.triggers.values())
    guarded('Trigger', t.metadata.name, () => {
      lintTrigger(r, t, defs, invalid);
    });
  for (const n of defs.notifiers.values())
    guarded('Notifier', n.metadata.name, () => {
      lintNotifier(r, n);
    });
  return r.diagnostics;
}
