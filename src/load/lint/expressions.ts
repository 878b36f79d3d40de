/** Every condition, health check and `${{ }}` of a template compiled at load time, errors at their own line. */
import type { TaskTemplate } from '../../model/definitions.js';
import {
  compileCondition,
  compileInterpolation,
  isExpressionError,
  type ExpressionScope,
} from '../../expr/expressions.js';
import type { Path, Reporter } from './report.js';

/** Stage `with` keys that hold a bare CEL condition rather than text. */
const CONDITION_KEYS: Readonly<Record<string, readonly string[]>> = { 'wait.until': ['expr'] };

function lintCondition(r: Reporter, name: string, path: Path, source: string, scope: ExpressionScope): void {
  const c = compileCondition(source, scope);
  if (isExpressionError(c)) r.errorInText('E_EXPR', 'TaskTemplate', name, path, c.offset ?? 0, c.message);
}

export function lintConditions(r: Reporter, t: TaskTemplate, scope: ExpressionScope): void {
  const name = t.metadata.name;
  for (const section of ['health', 'pre', 'post'] as const) {
    (t.spec[section] ?? []).forEach((c, i) => {
      lintCondition(r, name, ['spec', section, i, 'expr'], c.expr, scope);
    });
  }
}

export function lintStageValues(r: Reporter, t: TaskTemplate, scope: ExpressionScope): void {
  const name = t.metadata.name;
  t.spec.stages.forEach((stage, i) => {
    const conditions = CONDITION_KEYS[stage.uses] ?? [];
    const visit = (value: unknown, path: Path): void => {
      if (typeof value === 'string') {
        if (conditions.includes(String(path[path.length - 1])) && path.length === 5 && !value.includes('${{')) {
          lintCondition(r, name, path, value, scope);
          return;
        }
        if (!value.includes('${{')) return;
        for (const e of compileInterpolation(value, scope).errors)
          r.errorInText('E_EXPR', 'TaskTemplate', name, path, e.offset ?? 0, e.message);
      } else if (Array.isArray(value)) {
        value.forEach((v, j) => {
          visit(v, [...path, j]);
        });
      } else if (value !== null && typeof value === 'object') {
        for (const [k, v] of Object.entries(value)) visit(v, [...path, k]);
      }
    };
    for (const [k, v] of Object.entries(stage.with ?? {})) visit(v, ['spec', 'stages', i, 'with', k]);
  });
}
