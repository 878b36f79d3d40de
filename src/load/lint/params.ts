/**
 * Parameter binding: a runbook task binding a template's parameters, a plan rule binding a runbook's. Every
 * mandatory parameter bound, no unknown one, and each literal of the declared type (a `datacenter` naming one of
 * the fleet's datacenters, and so on). `${{ }}` values are compiled in the binder's scope and their type checked.
 */
import { Duration, type Kind, type ParamSpec, type Params } from '../../model/definitions.js';
import {
  compileInterpolation,
  expressionType,
  splitInterpolation,
  type ExpressionScope,
} from '../../expr/expressions.js';
import type { Path, Reporter } from './report.js';
import { suggest } from '../../model/suggest.js';

/** The names a literal may take, per entity type; undefined when no fleet is known (nothing to check against). */
export interface Universe {
  readonly service?: ReadonlySet<string>;
  readonly datacenter?: ReadonlySet<string>;
  readonly cluster?: ReadonlySet<string>;
  readonly pop?: ReadonlySet<string>;
  /** What the sets are, for messages: `fleet "example"` or `any loaded fleet`. */
  readonly label: string;
}

/** Why `value` does not fit `spec`, or undefined when it does. */
export function literalProblem(value: unknown, spec: ParamSpec, universe: Universe): string | undefined {
  const t = spec.type;
  switch (t) {
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) return `must be a number, not ${JSON.stringify(value)}`;
      break;
    case 'boolean':
      if (typeof value !== 'boolean') return `must be true or false, not ${JSON.stringify(value)}`;
      break;
    case 'duration':
      if (typeof value !== 'string' || !Duration.safeParse(value).success)
        return `must be a duration such as 90s or 5m, not ${JSON.stringify(value)}`;
      break;
    case 'string':
    case 'service':
    case 'datacenter':
    case 'cluster':
    case 'pop': {
      if (typeof value !== 'string') return `must be a string, not ${JSON.stringify(value)}`;
      if (t === 'string') break;
      const known = universe[t];
      if (known && !known.has(value)) return `"${value}" is not a ${t} of ${universe.label}${suggest(value, known)}`;
      break;
    }
  }
  if (spec.enum && !spec.enum.includes(value))
    return `must be one of ${spec.enum.map((v) => JSON.stringify(v)).join(', ')}, not ${JSON.stringify(value)}`;
  return undefined;
}

const WANT: Record<ParamSpec['type'], readonly string[]> = {
  number: ['double', 'int', 'uint'],
  boolean: ['bool'],
  string: ['string'],
  duration: ['string'],
  service: ['string'],
  datacenter: ['string'],
  cluster: ['string'],
  pop: ['string'],
};

export interface Binding {
  readonly kind: Kind;
  readonly name: string;
  /** Path of the node holding the binding (the task, the rule); `with` is below it. */
  readonly at: Path;
  readonly values: Readonly<Record<string, unknown>> | undefined;
  /** Parameters the caller binds without `with` (a plan binds `service` and `datacenter`). */
  readonly implicit: ReadonlySet<string>;
  /** The parameters being bound and who declares them, e.g. `template "shift-traffic"`. */
  readonly target: { readonly params: Params | undefined; readonly label: string };
  /** Scope of `${{ }}` inside the values: the binder's own parameters. */
  readonly scope: ExpressionScope;
  readonly universe: Universe;
}

export function lintBinding(r: Reporter, b: Binding): void {
  const declared = b.target.params ?? {};
  const values = b.values ?? {};
  for (const [key, value] of Object.entries(values)) {
    const path = [...b.at, 'with', key];
    const spec = declared[key];
    if (!spec) {
      r.error(
        'E_PARAM',
        b.kind,
        b.name,
        path,
        `${b.target.label} has no parameter "${key}"${suggest(key, Object.keys(declared))}`,
      );
      continue;
    }
    if (typeof value === 'string' && value.includes('${{')) {
      const { expressions, errors } = compileInterpolation(value, b.scope);
      for (const e of errors) r.errorInText('E_EXPR', b.kind, b.name, path, e.offset ?? 0, e.message);
      const pieces = splitInterpolation(value);
      const only = pieces.length === 1 && expressions.length === 1 ? expressions[0] : undefined;
      const type = only ? expressionType(only) : 'string';
      if (errors.length === 0 && type !== 'dyn' && !WANT[spec.type].includes(type)) {
        r.error(
          'E_PARAM',
          b.kind,
          b.name,
          path,
          `parameter "${key}" of ${b.target.label} is a ${spec.type}, but the expression gives a ${type}`,
        );
      }
      continue;
    }
    const problem = literalProblem(value, spec, b.universe);
    if (problem) r.error('E_PARAM', b.kind, b.name, path, `parameter "${key}" of ${b.target.label} ${problem}`);
  }
  const missing = Object.entries(declared)
    .filter(([k, spec]) => spec.default === undefined && !(k in values) && !b.implicit.has(k))
    .map(([k]) => k);
  if (missing.length > 0) {
    const path = b.values ? [...b.at, 'with'] : b.at;
    r.error(
      'E_PARAM',
      b.kind,
      b.name,
      path,
      `missing mandatory parameter${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(', ')} of ${b.target.label}`,
    );
  }
}

/** A declaration's own defaults must fit it. */
export function lintDeclarations(
  r: Reporter,
  kind: Kind,
  name: string,
  at: Path,
  params: Params | undefined,
  universe: Universe,
): void {
  for (const [key, spec] of Object.entries(params ?? {})) {
    if (spec.default === undefined) continue;
    const problem = literalProblem(spec.default, spec, universe);
    if (problem) r.error('E_PARAM', kind, name, [...at, key, 'default'], `the default of "${key}" ${problem}`);
    for (const [i, v] of (spec.enum ?? []).entries()) {
      const p = literalProblem(v, { ...spec, enum: undefined }, universe);
      if (p) r.error('E_PARAM', kind, name, [...at, key, 'enum', i], `an enum value of "${key}" ${p}`);
    }
  }
}

export function scopeOf(params: Params | undefined): ExpressionScope {
  return { params: Object.fromEntries(Object.entries(params ?? {}).map(([k, v]) => [k, v.type])) };
}
