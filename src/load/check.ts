/**
 * Load and lint in one step: what every command that reads definitions calls (`validate`, `plan`, `run`, `sim`…).
 */
import type { Definitions } from '../model/definitions.js';
import { MaelstromError } from '../model/errors.js';
import { formatDiagnostic, type Diagnostic } from './diagnostic.js';
import { lintDefinitions } from './lint/index.js';
import { loadDefinitions, type DefinitionSource, type LoadResult } from './load.js';

function byPlace(a: Diagnostic, b: Diagnostic): number {
  return a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.column - b.column;
}

/** Every problem of the files, load and lint, in file and line order. Lint runs on whatever loaded cleanly. */
export async function loadAndLint(sources: readonly DefinitionSource[]): Promise<LoadResult> {
  const loaded = await loadDefinitions(sources);
  const lint = lintDefinitions(loaded.definitions, { invalid: loaded.invalid });
  // The YAML parser may report one mistake several times at the same place.
  const seen = new Set<string>();
  const diagnostics = [...loaded.diagnostics, ...lint]
    .filter((d) => {
      const key = formatDiagnostic(d);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .sort(byPlace);
  return { ...loaded, diagnostics };
}

export interface LoadOrFailOptions {
  /** Where warnings go; standard error by default. */
  readonly warn?: (line: string) => void;
}

/**
 * Loads and lints, returning the definitions when there is no error. Otherwise throws one MaelstromError whose
 * message lists every error as `PATH:LINE:COL: error CODE: message`, one a line, with the diagnostics as details.
 */
export async function loadOrFail(
  sources: readonly DefinitionSource[],
  options: LoadOrFailOptions = {},
): Promise<Definitions> {
  const { definitions, diagnostics } = await loadAndLint(sources);
  const warn =
    options.warn ??
    ((line: string) => {
      process.stderr.write(`${line}\n`);
    });
  for (const d of diagnostics) if (d.severity === 'warning') warn(formatDiagnostic(d));
  const errors = diagnostics.filter((d) => d.severity === 'error');
  const first = errors[0];
  if (first) {
    const count = `${errors.length} error${errors.length === 1 ? '' : 's'} in the definitions`;
    throw new MaelstromError(first.code, `${count}:\n${errors.map(formatDiagnostic).join('\n')}`, { details: errors });
  }
  return definitions;
}
