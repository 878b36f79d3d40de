/**
 * Schedules: the fleet, each test's datacenter and its pair of plans (a drain and a restore of that datacenter, of
 * the same fleet), the cron expressions and time zone, the blocked windows' two forms, and the guards' and abort
 * conditions' expressions.
 */
import type { Definitions, Schedule } from '../../model/definitions.js';
import type { ErrorCode } from '../../model/errors.js';
import { compileCondition, isExpressionError } from '../../expr/expressions.js';
import { isCronProblem, isTimeZone, parseCron } from '../../model/cron.js';
import { suggest } from '../../model/suggest.js';
import { repeats, type Path, type Reporter } from './report.js';

export function lintSchedule(r: Reporter, schedule: Schedule, defs: Definitions, invalid: ReadonlySet<string>): void {
  const name = schedule.metadata.name;
  const spec = schedule.spec;
  const err = (code: ErrorCode, path: Path, message: string): void =>
    r.error(code, 'Schedule', name, ['spec', ...path], message);
  const fleet = defs.fleets.get(spec.fleet);
  if (!fleet && !invalid.has(`Fleet/${spec.fleet}`))
    err('E_UNKNOWN_REF', ['fleet'], `unknown fleet "${spec.fleet}"${suggest(spec.fleet, defs.fleets.keys())}`);

  const zoneOk = isTimeZone(spec.timeZone);
  if (!zoneOk) err('E_CRON', ['timeZone'], `"${spec.timeZone}" is not a time zone (an IANA name such as Europe/Paris)`);
  const cron = (path: Path, pattern: string): void => {
    const c = parseCron(pattern, zoneOk ? spec.timeZone : 'UTC');
    if (isCronProblem(c)) err('E_CRON', path, c.problem);
  };
  cron(['cadence'], spec.cadence);

  const datacenters = new Set(fleet?.spec.datacenters.map((d) => d.name) ?? []);
  for (const d of repeats(spec.tests, (t) => t.datacenter))
    err('E_DUPLICATE', ['tests', d.index, 'datacenter'], `datacenter "${d.name}" is listed twice`);
  spec.tests.forEach((test, i) => {
    if (fleet && !datacenters.has(test.datacenter))
      err(
        'E_UNKNOWN_REF',
        ['tests', i, 'datacenter'],
        `"${test.datacenter}" is not a datacenter of fleet "${spec.fleet}"${suggest(test.datacenter, datacenters)}`,
      );
    for (const role of ['drain', 'restore'] as const) {
      const planName = test[role];
      const at: Path = ['tests', i, role];
      const plan = defs.plans.get(planName);
      if (!plan) {
        if (!invalid.has(`Plan/${planName}`))
          err('E_UNKNOWN_REF', at, `unknown plan "${planName}"${suggest(planName, defs.plans.keys())}`);
        continue;
      }
      if (plan.spec.fleet !== spec.fleet) {
        err('E_FLEET', at, `plan "${planName}" is for fleet "${plan.spec.fleet}", not the schedule's "${spec.fleet}"`);
        continue;
      }
      const known = !fleet || datacenters.has(test.datacenter);
      if (known && (plan.spec.direction !== role || plan.spec.datacenter !== test.datacenter)) {
        const does = `${plan.spec.direction === 'drain' ? 'drains' : 'restores'} ${plan.spec.datacenter}`;
        const wanted = `${role === 'drain' ? 'drain' : 'restore'} ${test.datacenter}`;
        err('E_DIRECTION', at, `plan "${planName}" ${does}, but the test's ${role} plan must ${wanted}`);
      }
    }
  });

  const windows = spec.blocked ?? [];
  for (const d of repeats(windows, (w) => w.name))
    err('E_DUPLICATE', ['blocked', d.index, 'name'], `duplicate blocked window "${d.name}"`);
  windows.forEach((w, i) => {
    const periodic = w.cron !== undefined || w.duration !== undefined;
    const range = w.from !== undefined || w.to !== undefined;
    if (
      periodic === range ||
      (periodic && (w.cron === undefined || w.duration === undefined)) ||
      (range && (w.from === undefined || w.to === undefined))
    ) {
      err(
        'E_SCHEMA',
        ['blocked', i],
        `blocked window "${w.name}" needs either cron and duration (a recurring window) or from and to (a range)`,
      );
      return;
    }
    if (w.cron !== undefined) cron(['blocked', i, 'cron'], w.cron);
    if (w.from !== undefined && w.to !== undefined && Date.parse(w.to) <= Date.parse(w.from))
      err('E_SCHEMA', ['blocked', i, 'to'], `blocked window "${w.name}" ends (${w.to}) before it begins (${w.from})`);
  });

  const scope = { params: {}, ...(fleet ? { fleet } : {}) };
  for (const section of ['guards', 'abortWhen'] as const) {
    const list = spec[section] ?? [];
    for (const d of repeats(list, (c) => c.name))
      err('E_DUPLICATE', [section, d.index, 'name'], `duplicate condition "${d.name}" in ${section}`);
    list.forEach((c, i) => {
      const compiled = compileCondition(c.expr, scope);
      if (isExpressionError(compiled))
        r.errorInText('E_EXPR', 'Schedule', name, ['spec', section, i, 'expr'], compiled.offset ?? 0, compiled.message);
    });
  }
}
