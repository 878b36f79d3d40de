/**
 * CEL expressions of the definitions: conditions, health checks and `${{ }}` interpolations.
 *
 * Every expression is compiled and type-checked once, at load time, against the function catalogue
 * (docs/expressions.md); the engine then evaluates the compiled form against a FleetSnapshot. A catalogue function
 * whose reading is absent from the snapshot makes the whole evaluation "hold" — missing data is never healthy.
 *
 * CONTRACT (used by the engine, the stages, the plan compiler and the Prometheus source): the exported names and
 * types below are stable; the implementation behind them belongs to the loader.
 */
import type { Fleet, ParamValue } from '../model/definitions.js';
import type { FleetSnapshot } from '../model/readings.js';

/** What an expression may refer to besides the catalogue: `params` (the template's) and `fleet`. */
export interface ExpressionScope {
  /** Parameter names and their declared types, for type-checking `params.x`. */
  readonly params: Readonly<Record<string, 'string' | 'number' | 'boolean' | 'duration' | 'service' | 'datacenter' | 'cluster' | 'pop'>>;
  readonly fleet?: Fleet;
}

export interface CompiledExpression {
  readonly source: string;
  /** `prom("…")` query texts the expression needs in the snapshot (FleetSnapshot.queries). */
  readonly queries: readonly string[];
}

export interface EvalContext {
  readonly snapshot: FleetSnapshot;
  readonly params: Readonly<Record<string, ParamValue>>;
  readonly fleet: Fleet;
  /** The plan's target utilisation, used by `headroom`. */
  readonly targetUtilization: number;
}

export type EvalResult =
  | { readonly kind: 'value'; readonly value: ParamValue | readonly ParamValue[] }
  /** A reading the expression needs is missing (metric absent, stale, source unreachable): hold, do not decide. */
  | { readonly kind: 'hold'; readonly missing: string }
  /** Evaluation failed (for example a division by zero, or a wrong type at run time). */
  | { readonly kind: 'error'; readonly message: string };

export interface ExpressionError {
  readonly message: string;
  /** Offset of the error inside the expression text, when the compiler knows it. */
  readonly offset?: number;
}

export function compileExpression(_source: string, _scope: ExpressionScope): CompiledExpression | ExpressionError {
  throw new Error('compileExpression: not implemented yet');
}

/** Evaluates a compiled expression. Conditions must yield a boolean; the caller checks. */
export function evaluate(_expression: CompiledExpression, _context: EvalContext): EvalResult {
  throw new Error('evaluate: not implemented yet');
}

/**
 * Resolves `${{ expr }}` inside a string. A string that is exactly one `${{ }}` keeps the value's type (a number
 * stays a number); otherwise the pieces are joined as text. Returns the EvalResult of the first piece that holds
 * or fails.
 */
export function interpolate(_text: string, _context: EvalContext, _scope: ExpressionScope): EvalResult {
  throw new Error('interpolate: not implemented yet');
}
