/**
 * Conditions of a task (pre, health, post, and the expressions stages ask about), compiled once per task and
 * evaluated against a fleet snapshot. A reading that is missing makes a condition "hold", and an evaluation error
 * or a non-boolean result counts as false: neither ever lets a gate pass.
 */
import type { MetricsSource } from '../backends/backend.js';
import type { PlannedTask } from '../model/compiled.js';
import type { Condition, Fleet, ParamValue } from '../model/definitions.js';
import type { FleetSnapshot } from '../model/readings.js';
import { objectList } from '../model/shapes.js';
import {
  compileExpression,
  evaluate,
  interpolate,
  isExpressionError,
  hasInterpolation,
  type CompiledExpression,
  type EvalContext,
  type ExpressionScope,
} from '../expr/expressions.js';

export type Verdict = 'true' | 'false' | 'hold';

export interface ConditionResult {
  /** The condition's name, or its expression when it has none. */
  readonly key: string;
  readonly verdict: Verdict;
  /** Why it is not true (the message of the definition, the missing reading, the error). */
  readonly detail?: string;
  readonly overridden: boolean;
}

/** The name under which a condition is reported and overridden. */
export function conditionKey(c: Condition): string {
  return c.name ?? c.expr;
}

/** Parameter types for type-checking, read off the bound values (durations and names are strings to CEL). */
export function scopeOf(task: PlannedTask, fleet: Fleet): ExpressionScope {
  const params: Record<string, ExpressionScope['params'][string]> = {};
  for (const [k, v] of Object.entries(task.params))
    params[k] = typeof v === 'number' ? 'number' : typeof v === 'boolean' ? 'boolean' : 'string';
  return { params, fleet };
}

/** Evaluates a task's conditions; compiled expressions are cached for the life of the evaluator. */
export class TaskConditions {
  readonly scope: ExpressionScope;
  private readonly compiled = new Map<string, CompiledExpression | string>();
  private readonly queriesOf = new Map<readonly Condition[], string[]>();

  constructor(
    readonly task: PlannedTask,
    private readonly fleet: Fleet,
    private readonly targetUtilization: number,
  ) {
    this.scope = scopeOf(task, fleet);
  }

  private compile(expr: string): CompiledExpression | string {
    let c = this.compiled.get(expr);
    if (c === undefined) {
      const r = compileExpression(expr, this.scope);
      c = isExpressionError(r) ? `${expr}: ${r.message}` : r;
      this.compiled.set(expr, c);
    }
    return c;
  }

  /**
   * `prom("…")` queries the given conditions need in a snapshot, worked out once per list (a task's health, pre or
   * post conditions are one list for the task's life).
   */
  conditionQueries(conditions: readonly Condition[]): string[] {
    let q = this.queriesOf.get(conditions);
    if (q === undefined) {
      q = this.queries(conditions.map((c) => c.expr));
      this.queriesOf.set(conditions, q);
    }
    return q;
  }

  /** `prom("…")` queries the given expressions need in a snapshot. */
  queries(exprs: readonly string[]): string[] {
    const out = new Set<string>();
    for (const e of exprs) {
      const c = this.compile(e);
      if (typeof c !== 'string') for (const q of c.queries) out.add(q);
    }
    return [...out];
  }

  context(snapshot: FleetSnapshot): EvalContext {
    return { snapshot, params: this.task.params, fleet: this.fleet, targetUtilization: this.targetUtilization };
  }

  /** One expression's verdict. */
  verdict(expr: string, snapshot: FleetSnapshot): { verdict: Verdict; detail: string | undefined } {
    // Every answer has both fields (detail undefined when there is none): one shape for the code that reads them,
    // whichever way a condition goes (see the shapes note in runtime.ts).
    const c = this.compile(expr);
    if (typeof c === 'string') return { verdict: 'false', detail: c };
    const r = evaluate(c, this.context(snapshot));
    switch (r.kind) {
      case 'hold':
        return { verdict: 'hold', detail: `missing reading: ${r.missing}` };
      case 'error':
        return { verdict: 'false', detail: r.message };
      case 'value':
        if (r.value === true) return { verdict: 'true', detail: undefined };
        if (r.value === false) return { verdict: 'false', detail: undefined };
        return { verdict: 'false', detail: `${expr} is not a condition (it gave ${JSON.stringify(r.value)})` };
    }
  }

  /** Every condition's result; overridden ones count as true but are reported as overridden. */
  check(conditions: readonly Condition[], snapshot: FleetSnapshot, overrides: readonly string[]): ConditionResult[] {
    // Built by hand rather than by `map`: one kind of array for the monitor's loops over it (see model/shapes.ts).
    const out = objectList<ConditionResult>();
    for (const c of conditions) {
      const key = conditionKey(c);
      if (overrides.includes(key) || overrides.includes(c.expr)) {
        out.push({ key, verdict: 'true', detail: undefined, overridden: true });
        continue;
      }
      const v = this.verdict(c.expr, snapshot);
      const detail =
        v.verdict === 'true' ? undefined : [c.message, v.detail].filter((s) => s !== undefined).join(': ') || undefined;
      out.push({ key, verdict: v.verdict, detail, overridden: false });
    }
    return out;
  }

  /** Resolves `${{ }}` in a stage's `with`; `hold` when a reading is missing, an error message when it fails. */
  resolveWith(
    values: Readonly<Record<string, unknown>> | undefined,
    snapshot: FleetSnapshot,
  ):
    | { kind: 'ok'; values: Record<string, ParamValue> }
    | { kind: 'hold'; detail: string }
    | { kind: 'error'; detail: string } {
    const out: Record<string, ParamValue> = {};
    for (const [k, raw] of Object.entries(values ?? {})) {
      if (typeof raw === 'string') {
        if (!hasInterpolation(raw)) {
          out[k] = raw;
          continue;
        }
        const r = interpolate(raw, this.context(snapshot), this.scope);
        if (r.kind === 'hold') return { kind: 'hold', detail: `${k}: missing reading ${r.missing}` };
        if (r.kind === 'error') return { kind: 'error', detail: `${k}: ${r.message}` };
        out[k] = Array.isArray(r.value) ? r.value.join(',') : (r.value as ParamValue);
      } else if (typeof raw === 'number' || typeof raw === 'boolean') {
        out[k] = raw;
      } else if (Array.isArray(raw)) {
        // Lists travel as comma-separated text, which the stages' parameter reader splits.
        out[k] = raw.map((x) => String(x)).join(',');
      } else if (raw !== undefined && raw !== null) {
        out[k] = JSON.stringify(raw);
      }
    }
    return { kind: 'ok', values: out };
  }
}

/** Takes one snapshot answering every query the expressions need. */
export async function snapshotFor(
  source: MetricsSource,
  queries: readonly string[],
  signal?: AbortSignal,
): Promise<FleetSnapshot> {
  // Both keys always (undefined when absent, as before): one shape of options for the backends' snapshot code.
  return source.snapshot({ queries: queries.length > 0 ? queries : undefined, signal });
}

/** True only when every result is true (overridden counts as true). */
export function allTrue(results: readonly ConditionResult[]): boolean {
  return results.every((r) => r.verdict === 'true');
}
