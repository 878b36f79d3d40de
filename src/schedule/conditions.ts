/**
 * A schedule's guards (all must hold when a test is due) and abort conditions (watched while it runs), evaluated
 * over one snapshot of the fleet. A guard whose reading is missing fails: a test never starts blind. An abort
 * condition whose reading is missing does not abort: the engine's own health checks already hold a drain that
 * cannot see, and the condition is watched again at the next reading.
 */
import type { MetricsSource } from '../backends/backend.js';
import type { Fleet, NamedCondition } from '../model/definitions.js';
import { compileCondition, evaluate, isExpressionError, type CompiledExpression } from '../expr/expressions.js';

export type Verdict = 'true' | 'false' | 'hold';

export interface ConditionVerdict {
  readonly name: string;
  readonly expr: string;
  readonly verdict: Verdict;
  /** Why it is not true: its message, the missing reading, the error. */
  readonly detail?: string;
}

/** The target utilisation `headroom()` measures against, when a schedule's condition asks for it. */
const TARGET_UTILIZATION = 0.85;

/** Conditions compiled once, evaluated as often as asked. */
export class ScheduleConditions {
  private readonly compiled: readonly { readonly c: NamedCondition; readonly e: CompiledExpression | string }[];

  constructor(
    conditions: readonly NamedCondition[],
    private readonly fleet: Fleet,
  ) {
    this.compiled = conditions.map((c) => {
      const e = compileCondition(c.expr, { params: {}, fleet });
      return { c, e: isExpressionError(e) ? `${c.expr}: ${e.message}` : e };
    });
  }

  get size(): number {
    return this.compiled.length;
  }

  /** Every condition's verdict over one fresh snapshot (an unreadable fleet holds them all). */
  async check(source: MetricsSource, signal?: AbortSignal): Promise<ConditionVerdict[]> {
    if (this.compiled.length === 0) return [];
    const queries = [...new Set(this.compiled.flatMap(({ e }) => (typeof e === 'string' ? [] : [...e.queries])))];
    let snapshot;
    try {
      snapshot = await source.snapshot({ ...(queries.length > 0 ? { queries } : {}), ...(signal ? { signal } : {}) });
    } catch (e) {
      const detail = `no reading: ${e instanceof Error ? e.message : String(e)}`;
      return this.compiled.map(({ c }) => ({ name: c.name, expr: c.expr, verdict: 'hold', detail }));
    }
    const context = { snapshot, params: {}, fleet: this.fleet, targetUtilization: TARGET_UTILIZATION };
    return this.compiled.map(({ c, e }): ConditionVerdict => {
      const base = { name: c.name, expr: c.expr };
      if (typeof e === 'string') return { ...base, verdict: 'false', detail: e };
      const r = evaluate(e, context);
      const why = (d: string): string => (c.message ? `${c.message}: ${d}` : d);
      switch (r.kind) {
        case 'hold':
          return { ...base, verdict: 'hold', detail: why(`missing reading ${r.missing}`) };
        case 'error':
          return { ...base, verdict: 'false', detail: why(r.message) };
        case 'value':
          return r.value === true
            ? { ...base, verdict: 'true' }
            : { ...base, verdict: 'false', detail: why(`${c.expr} is ${JSON.stringify(r.value)}`) };
      }
    });
  }
}

/** The first guard that does not hold, as a skip's reason; undefined when all hold. */
export function failedGuard(verdicts: readonly ConditionVerdict[]): string | undefined {
  const bad = verdicts.find((v) => v.verdict !== 'true');
  if (!bad) return undefined;
  return bad.verdict === 'hold'
    ? `guard ${bad.name} has no data (${bad.detail ?? 'missing reading'}), so it fails`
    : `guard ${bad.name} does not hold (${bad.detail ?? 'false'})`;
}

/** The first abort condition that came true, as the reason of the abort; undefined when none did. */
export function firedAbort(verdicts: readonly ConditionVerdict[]): string | undefined {
  const fired = verdicts.find((v) => v.verdict === 'true');
  return fired ? `abort condition ${fired.name} came true (${fired.expr})` : undefined;
}
