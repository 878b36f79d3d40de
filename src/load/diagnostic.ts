/** A problem found in definitions, pointing at the node it is about. */
import type { ErrorCode } from '../model/errors.js';

export type Severity = 'error' | 'warning';

export interface Diagnostic {
  readonly code: ErrorCode;
  readonly severity: Severity;
  readonly message: string;
  readonly file: string;
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly column: number;
}

export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.column}: ${d.severity === 'warning' ? 'warning' : 'error'} ${d.code}: ${d.message}`;
}
