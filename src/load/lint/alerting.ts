/** Triggers and notifiers: what a trigger proposes exists and fits its fleet; a notifier knows where to send. */
import type { Definitions, Notifier, Trigger } from '../../model/definitions.js';
import { matcherRegex } from '../../model/labels.js';
import { suggest } from '../../model/suggest.js';
import type { Reporter } from './report.js';

export function lintTrigger(r: Reporter, t: Trigger, defs: Definitions, invalid: ReadonlySet<string>): void {
  const name = t.metadata.name;
  const spec = t.spec;
  const err = (code: Parameters<Reporter['error']>[0], path: (string | number)[], message: string): void =>
    r.error(code, 'Trigger', name, ['spec', ...path], message);
  if (!defs.fleets.has(spec.fleet) && !invalid.has(`Fleet/${spec.fleet}`))
    err('E_UNKNOWN_REF', ['fleet'], `unknown fleet "${spec.fleet}"${suggest(spec.fleet, defs.fleets.keys())}`);
  const plan = defs.plans.get(spec.plan);
  if (!plan) {
    if (!invalid.has(`Plan/${spec.plan}`))
      err('E_UNKNOWN_REF', ['plan'], `unknown plan "${spec.plan}"${suggest(spec.plan, defs.plans.keys())}`);
  } else if (plan.spec.fleet !== spec.fleet) {
    err(
      'E_FLEET',
      ['plan'],
      `plan "${spec.plan}" is for fleet "${plan.spec.fleet}", but the trigger watches fleet "${spec.fleet}"`,
    );
  }
  spec.when.forEach((m, i) => {
    if (m.op !== '=~' && m.op !== '!~') return;
    try {
      matcherRegex(m.value);
    } catch (e) {
      err('E_SCHEMA', ['when', i, 'value'], `not a regular expression: ${e instanceof Error ? e.message : String(e)}`);
    }
  });
}

export function lintNotifier(r: Reporter, n: Notifier): void {
  const spec = n.spec;
  if ((spec.url === undefined) === (spec.urlEnv === undefined))
    r.error(
      'E_SCHEMA',
      'Notifier',
      n.metadata.name,
      spec.url === undefined ? ['spec'] : ['spec', 'urlEnv'],
      spec.url === undefined
        ? 'a notifier needs `urlEnv` (the environment variable holding its webhook URL) or `url`'
        : 'give `url` or `urlEnv`, not both',
    );
}
