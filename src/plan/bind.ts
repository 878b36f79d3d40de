/**
 * Parameter binding: a plan binds a runbook's parameters (service, datacenter, the rule's `with`, defaults), and
 * each runbook task binds its template's parameters from its own `with`, whose `${{ }}` are resolved against the
 * runbook's parameters. Binding happens at compile time, so that a missing or ill-typed parameter stops the plan
 * before anything runs.
 */
import type { Fleet, ParamSpec, ParamValue, Params } from '../model/definitions.js';
import { parseDuration } from '../model/duration.js';
import { MaelstromError } from '../model/errors.js';
import { hasInterpolation, interpolate, type EvalContext, type ExpressionScope } from '../expr/expressions.js';

/** `${{ params.name }}` alone: by far the most common form, resolved without the CEL evaluator. */
const PARAM_REF = /^\$\{\{\s*params\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}$/;

export function asParamValue(value: unknown): ParamValue | undefined {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? value : undefined;
}

/** Checks a bound value against its declared type and enum; returns the reason when it does not fit. */
export function paramProblem(spec: ParamSpec, value: ParamValue, fleet: Fleet | undefined): string | undefined {
  switch (spec.type) {
    case 'number':
      if (typeof value !== 'number') return `must be a number, got ${JSON.stringify(value)}`;
      break;
    case 'boolean':
      if (typeof value !== 'boolean') return `must be a boolean, got ${JSON.stringify(value)}`;
      break;
    case 'duration':
      if (typeof value !== 'number' && (typeof value !== 'string' || parseDuration(value) === undefined)) {
        return `must be a duration such as 90s or 5m, got ${JSON.stringify(value)}`;
      }
      break;
    case 'datacenter':
      if (typeof value !== 'string') return `must be a datacenter name, got ${JSON.stringify(value)}`;
      if (fleet && !fleet.spec.datacenters.some((d) => d.name === value))
        return `"${value}" is not a datacenter of fleet "${fleet.metadata.name}"`;
      break;
    case 'service':
      if (typeof value !== 'string') return `must be a service name, got ${JSON.stringify(value)}`;
      if (fleet && !fleet.spec.services.some((s) => s.name === value))
        return `"${value}" is not a service of fleet "${fleet.metadata.name}"`;
      break;
    case 'string':
    case 'cluster':
    case 'pop':
      if (typeof value !== 'string') return `must be a string, got ${JSON.stringify(value)}`;
      break;
  }
  if (spec.enum && !spec.enum.includes(value))
    return `must be one of ${spec.enum.map((v) => JSON.stringify(v)).join(', ')}, got ${JSON.stringify(value)}`;
  return undefined;
}

/**
 * Binds declared parameters from given values and defaults. Values for undeclared parameters and missing
 * mandatory ones are errors; `what` names the thing being bound in the message.
 */
export function bindParams(
  declared: Params | undefined,
  given: Readonly<Record<string, ParamValue>>,
  fleet: Fleet | undefined,
  what: string,
): Record<string, ParamValue> {
  const specs = declared ?? {};
  const bound: Record<string, ParamValue> = {};
  for (const key of Object.keys(given)) {
    if (!(key in specs)) {
      const known = Object.keys(specs);
      throw new MaelstromError(
        'E_PARAM',
        `${what}: unknown parameter "${key}" (declared: ${known.length > 0 ? known.join(', ') : 'none'})`,
      );
    }
  }
  for (const [key, spec] of Object.entries(specs)) {
    const value = given[key] ?? spec.default;
    if (value === undefined) throw new MaelstromError('E_PARAM', `${what}: mandatory parameter "${key}" is not bound`);
    const problem = paramProblem(spec, value, fleet);
    if (problem) throw new MaelstromError('E_PARAM', `${what}: parameter "${key}" ${problem}`);
    bound[key] = value;
  }
  return bound;
}

function scopeOf(params: Params | undefined, fleet: Fleet): ExpressionScope {
  const types: Record<string, ParamSpec['type']> = {};
  for (const [k, v] of Object.entries(params ?? {})) types[k] = v.type;
  return { params: types, fleet };
}

/**
 * Resolves one `with` value against already bound parameters. Strings holding `${{ }}` are evaluated; an
 * expression that needs a reading of the fleet cannot be resolved at compile time and is an error.
 */
export function resolveValue(
  value: unknown,
  params: Readonly<Record<string, ParamValue>>,
  declared: Params | undefined,
  fleet: Fleet,
  what: string,
): ParamValue {
  const plain = asParamValue(value);
  if (plain === undefined)
    throw new MaelstromError('E_PARAM', `${what}: a parameter value must be a string, number or boolean`);
  if (typeof plain !== 'string' || !hasInterpolation(plain)) return plain;
  const ref = PARAM_REF.exec(plain);
  if (ref) {
    const bound = params[ref[1]!];
    if (bound === undefined)
      throw new MaelstromError('E_PARAM', `${what}: ${plain} refers to an unknown parameter "${ref[1]!}"`);
    return bound;
  }
  const context: EvalContext = { snapshot: { time: 0, services: {} }, params, fleet, targetUtilization: 1 };
  const result = interpolate(plain, context, scopeOf(declared, fleet));
  switch (result.kind) {
    case 'value': {
      const v = result.value;
      if (Array.isArray(v)) return v.join(',');
      return v as ParamValue;
    }
    case 'hold':
      throw new MaelstromError(
        'E_PARAM',
        `${what}: ${plain} needs a reading of the fleet (${result.missing}); parameters are bound before the run`,
      );
    case 'error':
      throw new MaelstromError('E_PARAM', `${what}: ${result.message}`);
  }
}
