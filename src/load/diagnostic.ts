/** A problem found in definitions, pointing at the node it is about. */
import type { SourceRef } from '../model/definitions.js';
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

/** A diagnostic placed at `at`; about a node of a document built in code, its message starts with the node's pointer. */
export function diagnosticAt(code: ErrorCode, severity: Severity, at: SourceRef, message: string): Diagnostic {
  const text = at.pointer !== undefined ? `${at.pointer}: ${message}` : message;
  return { code, severity, message: text, file: at.file, line: at.line, column: at.column };
}
