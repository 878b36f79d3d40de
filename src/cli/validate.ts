/**
 * `maelstrom validate -f PATH…`: loads and lints definitions and prints every problem as
 * `PATH:LINE:COL: error CODE: message`. Exit 0 when there is no error (warnings are printed but do not fail), 1
 * otherwise, 2 when no path is given.
 */
import type { Command } from 'commander';
import { MaelstromError } from '../model/errors.js';
import { loadAndLint } from '../load/check.js';
import { formatDiagnostic } from '../load/diagnostic.js';
import type { Definitions } from '../model/definitions.js';
import { collect } from './collect.js';

interface ValidateOptions {
  readonly file?: string[];
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** One line naming what was loaded, e.g. `1 fleet (14 services, 3 datacenters), 5 templates, …`. */
export function summarize(defs: Definitions): string {
  const fleets = [...defs.fleets.values()];
  const services = fleets.reduce((n, f) => n + f.spec.services.length, 0);
  const dcs = fleets.reduce((n, f) => n + f.spec.datacenters.length, 0);
  return [
    `${plural(fleets.length, 'fleet')}${fleets.length > 0 ? ` (${plural(services, 'service')}, ${plural(dcs, 'datacenter')})` : ''}`,
    plural(defs.templates.size, 'template'),
    plural(defs.runbooks.size, 'runbook'),
    plural(defs.plans.size, 'plan'),
    plural(defs.scenarios.size, 'scenario'),
    // Schedules are named only when there are some, so that a set without them reads as it always did.
    ...(defs.schedules.size > 0 ? [plural(defs.schedules.size, 'schedule')] : []),
    // Alerting documents are named only where there are some, so a definitions set without them reads as before.
    ...(defs.triggers.size > 0 ? [plural(defs.triggers.size, 'trigger')] : []),
    ...(defs.notifiers.size > 0 ? [plural(defs.notifiers.size, 'notifier')] : []),
  ].join(', ');
}

export async function validate(paths: readonly string[], out: (line: string) => void): Promise<number> {
  const { definitions, diagnostics } = await loadAndLint(paths);
  for (const d of diagnostics) out(formatDiagnostic(d));
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = diagnostics.length - errors;
  if (errors > 0) {
    out(`invalid: ${plural(errors, 'error')}${warnings > 0 ? `, ${plural(warnings, 'warning')}` : ''}`);
    return 1;
  }
  out(`valid: ${summarize(definitions)}${warnings > 0 ? ` (${plural(warnings, 'warning')})` : ''}`);
  return 0;
}

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('check definitions: schemas, references, cycles, parameters, expressions; every problem at its line')
    .option('-f, --file <path>', 'a definition file, or a directory of them (repeatable)', collect)
    .argument('[paths...]', 'more files or directories')
    .action(async (more: string[], options: ValidateOptions) => {
      const paths = [...(options.file ?? []), ...more];
      if (paths.length === 0)
        throw new MaelstromError('E_BAD_REQUEST', 'give at least one -f PATH (a file or a directory of .yaml files)');
      process.exitCode = await validate(paths, (line) => {
        process.stdout.write(`${line}\n`);
      });
    });
}
