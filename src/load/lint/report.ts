/** Collects lint diagnostics, each placed at the node it is about. */
import type { Definitions, Kind, SourceRef } from '../../model/definitions.js';
import type { ErrorCode } from '../../model/errors.js';
import { diagnosticAt, type Diagnostic, type Severity } from '../diagnostic.js';

export type Path = readonly (string | number)[];

export class Reporter {
  readonly diagnostics: Diagnostic[] = [];

  constructor(readonly defs: Definitions) {}

  error(code: ErrorCode, kind: Kind, name: string, path: Path, message: string): void {
    this.add(code, 'error', kind, name, path, message);
  }

  warning(code: ErrorCode, kind: Kind, name: string, path: Path, message: string): void {
    this.add(code, 'warning', kind, name, path, message);
  }

  /** A mistake at `offset` inside the string at `path` (inside an expression). */
  errorInText(code: ErrorCode, kind: Kind, name: string, path: Path, offset: number, message: string): void {
    const at = this.defs.locateText?.(kind, name, path, offset) ?? this.defs.locate(kind, name, path);
    this.push(code, 'error', at, kind, name, message);
  }

  private add(code: ErrorCode, severity: Severity, kind: Kind, name: string, path: Path, message: string): void {
    this.push(code, severity, this.defs.locate(kind, name, path), kind, name, message);
  }

  private push(
    code: ErrorCode,
    severity: Severity,
    at: SourceRef | undefined,
    kind: Kind,
    name: string,
    message: string,
  ): void {
    // Definitions made without the loader have no file; name the definition instead.
    const where = at ?? { file: `${kind}/${name}`, line: 1, column: 1 };
    this.diagnostics.push(diagnosticAt(code, severity, where, message));
  }
}

/** Names of `items` that occur more than once, with the index of each repeat. */
export function repeats<T>(
  items: readonly T[],
  key: (t: T) => string | undefined,
): { name: string; index: number; first: number }[] {
  const seen = new Map<string, number>();
  const out: { name: string; index: number; first: number }[] = [];
  items.forEach((item, index) => {
    const k = key(item);
    if (k === undefined) return;
    const first = seen.get(k);
    if (first === undefined) seen.set(k, index);
    else out.push({ name: k, index, first });
  });
  return out;
}
