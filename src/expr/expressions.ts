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
import { celEnv, isCelError, isCelList, isCelMap, isCelUint, parse, plan, type CelValue } from '@bufbuild/cel';
import type { Fleet, ParamValue } from '../model/definitions.js';
import { objectList } from '../model/shapes.js';
import { suggest } from '../model/suggest.js';
import { catalogueFuncs, catalogueSignatures, runWith, type EvalState } from './catalogue.js';
import { CelTypeError, checkAst, show, T, type CelAst, type CelT } from './cel-types.js';

/** What an expression may refer to besides the catalogue: `params` (the template's) and `fleet`. */
export interface ExpressionScope {
  /** Parameter names and their declared types, for type-checking `params.x`. */
  readonly params: Readonly<
    Record<string, 'string' | 'number' | 'boolean' | 'duration' | 'service' | 'datacenter' | 'cluster' | 'pop'>
  >;
  readonly fleet?: Fleet;
}

export interface CompiledExpression {
  readonly source: string;
  /** `prom("…")` query texts the expression needs in the snapshot (FleetSnapshot.queries). */
  readonly queries: readonly string[];
}

export type { EvalContext } from './eval-context.js';
import type { EvalContext } from './eval-context.js';

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

/** The CEL type of a compiled expression's result, as shown to people (`bool`, `double`, `list<string>`…). */
export type ExpressionType = string;

interface Compiled extends CompiledExpression {
  readonly type: CelT;
  readonly program: (bindings: Record<string, unknown>) => unknown;
}

const env = celEnv({ funcs: catalogueFuncs });

/** Parameter types as CEL sees them. Durations stay strings (`duration(params.grace)` converts). */
function paramType(t: ExpressionScope['params'][string]): CelT {
  switch (t) {
    case 'number':
      return T.double;
    case 'boolean':
      return T.bool;
    case 'string':
    case 'duration':
    case 'service':
    case 'datacenter':
    case 'cluster':
    case 'pop':
      return T.string;
  }
}

export function isExpressionError(x: CompiledExpression | ExpressionError): x is ExpressionError {
  return !('source' in x);
}

/** The result type of a compiled expression (`bool` for a valid condition). */
export function expressionType(e: CompiledExpression): ExpressionType {
  return show((e as Compiled).type);
}

/**
 * Compiled expressions by source and parameter types. A template's conditions are compiled again for every task
 * that instantiates it, and parsing is by far the dearest part: at a task's start in a server it stalled the event
 * loop for tens of milliseconds. A result depends only on the source and the declared parameter types, and is never
 * modified, so it can be shared.
 */
const compileCache = new Map<string, CompiledExpression | ExpressionError>();
const COMPILE_CACHE_MAX = 4096;

export function compileExpression(source: string, scope: ExpressionScope): CompiledExpression | ExpressionError {
  const key = `${source}\0${Object.entries(scope.params)
    .map(([k, t]) => `${k}:${t}`)
    .sort()
    .join(',')}`;
  let result = compileCache.get(key);
  if (result === undefined) {
    result = compileUncached(source, scope);
    if (compileCache.size >= COMPILE_CACHE_MAX) compileCache.clear();
    compileCache.set(key, result);
  }
  return result;
}

function compileUncached(source: string, scope: ExpressionScope): CompiledExpression | ExpressionError {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(source);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    // The parser reports `<input>:LINE:COL: message`.
    const m = /^<input>:(\d+):(\d+): ?(.*)$/s.exec(message);
    if (!m) return { message: `syntax error: ${message}` };
    return { message: `syntax error: ${m[3] ?? message}`, offset: offsetOf(source, Number(m[1]), Number(m[2])) };
  }
  const positions = parsed.sourceInfo?.positions ?? {};
  const offsetOfId = (id: bigint): number | undefined => positions[id.toString()];
  const queries = objectList<string>(); // empty or not, one kind of array for the code that reads it
  try {
    const type = checkAst(parsed.expr, {
      signatures: catalogueSignatures,
      variables: new Map([
        ['params', T.map(T.string, T.dyn)],
        ['fleet', T.dyn],
      ]),
      selectField(variable, field, id) {
        if (variable !== 'params') return undefined;
        const declared = scope.params[field];
        if (declared === undefined) {
          const known = Object.keys(scope.params);
          throw new CelTypeError(
            `unknown parameter "${field}" (declared: ${known.length > 0 ? known.join(', ') : 'none'})` +
              suggest(field, known),
            id,
            1,
          );
        }
        return paramType(declared);
      },
      onCall(fn, args, id) {
        if (fn !== 'prom') return;
        const arg = args[0];
        if (
          args.length === 1 &&
          arg?.exprKind.case === 'constExpr' &&
          arg.exprKind.value.constantKind.case === 'stringValue'
        ) {
          queries.push(arg.exprKind.value.constantKind.value);
        } else {
          throw new CelTypeError('prom() takes a literal query string, so that the query is known before the run', id);
        }
      },
    });
    const program = plan(env, parsed) as (bindings: Record<string, unknown>) => unknown;
    const compiled: Compiled = { source, queries, type, program };
    return compiled;
  } catch (e) {
    if (e instanceof CelTypeError) {
      const offset = offsetOfId(e.exprId);
      return offset === undefined ? { message: e.message } : { message: e.message, offset: offset + e.shift };
    }
    return { message: e instanceof Error ? e.message : String(e) };
  }
}

/** Compiles an expression that must yield a boolean (a health check, a pre- or post-condition, `wait.until`). */
export function compileCondition(source: string, scope: ExpressionScope): CompiledExpression | ExpressionError {
  const c = compileExpression(source, scope);
  if (isExpressionError(c)) return c;
  const type = expressionType(c);
  return type === 'bool' || type === 'dyn'
    ? c
    : { message: `a condition must be a boolean, but this gives a ${type}`, offset: 0 };
}

function offsetOf(source: string, line: number, column: number): number {
  let offset = 0;
  for (let l = 1; l < line; l++) {
    const nl = source.indexOf('\n', offset);
    if (nl < 0) break;
    offset = nl + 1;
  }
  return Math.min(source.length, offset + Math.max(0, column - 1));
}

function toParamValue(v: CelValue): ParamValue | readonly ParamValue[] | undefined {
  if (typeof v === 'string' || typeof v === 'boolean' || typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (isCelUint(v)) return Number(v.value);
  if (isCelList(v)) {
    const out: ParamValue[] = [];
    for (const item of v) {
      const p = toParamValue(item);
      if (p === undefined || Array.isArray(p)) return undefined;
      out.push(p as ParamValue);
    }
    return out;
  }
  if (isCelMap(v) || v === null) return undefined;
  // A google.protobuf.Duration: shown as seconds, in the format's own duration syntax.
  if (typeof v === 'object' && 'message' in v) {
    const m = v.message as { $typeName?: string; seconds?: bigint; nanos?: number };
    if (m.$typeName === 'google.protobuf.Duration') return `${Number(m.seconds ?? 0n) + (m.nanos ?? 0) / 1e9}s`;
  }
  return undefined;
}

/** Evaluates a compiled expression. Conditions must yield a boolean; the caller checks. */
export function evaluate(expression: CompiledExpression, context: EvalContext): EvalResult {
  const compiled = expression as Compiled;
  const state: EvalState = { context, missing: undefined };
  const result = runWith(state, () => compiled.program({ params: context.params, fleet: context.fleet }));
  if (isCelError(result)) {
    // An error caused by a missing reading is a hold; a definite answer reached despite one (`true || …`) is not.
    if (state.missing !== undefined) return { kind: 'hold', missing: state.missing };
    return { kind: 'error', message: result.message };
  }
  const value = toParamValue(result as CelValue);
  if (value === undefined)
    return {
      kind: 'error',
      message: `${expression.source}: the result is not a string, number, boolean or list of them`,
    };
  return { kind: 'value', value };
}

// ------------------------------------------------------------------------------------- interpolation

export type InterpolationPiece =
  | { readonly text: string }
  /** `offset` is where the expression starts inside the text. */
  | { readonly expr: string; readonly offset: number };

const INTERPOLATION = /\$\{\{([\s\S]*?)\}\}/g;

/** Splits a string into literal text and `${{ }}` expressions. */
export function splitInterpolation(text: string): InterpolationPiece[] {
  const pieces: InterpolationPiece[] = [];
  let last = 0;
  for (const m of text.matchAll(INTERPOLATION)) {
    const start = m.index;
    if (start > last) pieces.push({ text: text.slice(last, start) });
    const inner = m[1] ?? '';
    const lead = inner.length - inner.trimStart().length;
    pieces.push({ expr: inner.trim(), offset: start + 3 + lead });
    last = start + m[0].length;
  }
  if (last < text.length) pieces.push({ text: text.slice(last) });
  return pieces;
}

/** Whether a string contains `${{`. */
export function hasInterpolation(text: string): boolean {
  return text.includes('${{');
}

/** Compiles every `${{ }}` of a string; errors carry offsets inside the whole text. */
export function compileInterpolation(
  text: string,
  scope: ExpressionScope,
): { expressions: CompiledExpression[]; errors: ExpressionError[] } {
  const expressions: CompiledExpression[] = [];
  const errors: ExpressionError[] = [];
  const pieces = splitInterpolation(text);
  for (const p of pieces) {
    if (!('expr' in p)) {
      if (p.text.includes('${{'))
        errors.push({ message: '"${{" without a closing "}}"', offset: p.text.indexOf('${{') + text.indexOf(p.text) });
      continue;
    }
    if (p.expr === '') {
      errors.push({ message: 'empty ${{ }}', offset: p.offset });
      continue;
    }
    const c = compileExpression(p.expr, scope);
    if (isExpressionError(c)) errors.push({ message: c.message, offset: p.offset + (c.offset ?? 0) });
    else expressions.push(c);
  }
  return { expressions, errors };
}

const cache = new WeakMap<ExpressionScope, Map<string, CompiledExpression | ExpressionError>>();

function compileCached(source: string, scope: ExpressionScope): CompiledExpression | ExpressionError {
  let byScope = cache.get(scope);
  if (!byScope) {
    byScope = new Map();
    cache.set(scope, byScope);
  }
  let c = byScope.get(source);
  if (!c) {
    c = compileExpression(source, scope);
    byScope.set(source, c);
  }
  return c;
}

/**
 * Resolves `${{ expr }}` inside a string. A string that is exactly one `${{ }}` keeps the value's type (a number
 * stays a number); otherwise the pieces are joined as text. Returns the EvalResult of the first piece that holds
 * or fails.
 */
export function interpolate(text: string, context: EvalContext, scope: ExpressionScope): EvalResult {
  const pieces = splitInterpolation(text);
  const only = pieces.length === 1 ? pieces[0] : undefined;
  if (only && 'expr' in only) return evaluatePiece(only.expr, context, scope);
  let out = '';
  for (const p of pieces) {
    if (!('expr' in p)) {
      out += p.text;
      continue;
    }
    const r = evaluatePiece(p.expr, context, scope);
    if (r.kind !== 'value') return r;
    out += Array.isArray(r.value) ? r.value.join(',') : String(r.value);
  }
  return { kind: 'value', value: out };
}

function evaluatePiece(source: string, context: EvalContext, scope: ExpressionScope): EvalResult {
  const c = compileCached(source, scope);
  if (isExpressionError(c)) return { kind: 'error', message: `${source}: ${c.message}` };
  return evaluate(c, context);
}

export type { CelAst };
