/**
 * A small static type checker for the CEL we accept. The library's own checker does not cover calls or macros yet,
 * and load time is where an operator must learn that `utilisation(...)` is misspelt or that `params.datacentre`
 * does not exist, so we check the parsed tree ourselves against the catalogue's signatures.
 */
import type { parse } from '@bufbuild/cel';
import { closest } from '../model/suggest.js';

type ParsedExpr = ReturnType<typeof parse>;
export type CelAst = ParsedExpr['expr'];

export type CelT =
  | {
      readonly k:
        'int' | 'uint' | 'double' | 'bool' | 'string' | 'bytes' | 'null' | 'duration' | 'timestamp' | 'dyn' | 'type';
    }
  | { readonly k: 'list'; readonly elem: CelT }
  | { readonly k: 'map'; readonly key: CelT; readonly value: CelT };

export const T = {
  int: { k: 'int' },
  uint: { k: 'uint' },
  double: { k: 'double' },
  bool: { k: 'bool' },
  string: { k: 'string' },
  bytes: { k: 'bytes' },
  null: { k: 'null' },
  duration: { k: 'duration' },
  timestamp: { k: 'timestamp' },
  dyn: { k: 'dyn' },
  type: { k: 'type' },
  list: (elem: CelT): CelT => ({ k: 'list', elem }),
  map: (key: CelT, value: CelT): CelT => ({ k: 'map', key, value }),
} as const;

export function show(t: CelT): string {
  if (t.k === 'list') return `list<${show(t.elem)}>`;
  if (t.k === 'map') return `map<${show(t.key)}, ${show(t.value)}>`;
  return t.k;
}

export interface Signature {
  readonly args: readonly CelT[];
  readonly result: CelT;
}

/** Global functions (`f(x)`) and methods (`x.f()`, the receiver being the first argument). */
export interface Signatures {
  readonly functions: ReadonlyMap<string, readonly Signature[]>;
  readonly methods: ReadonlyMap<string, readonly Signature[]>;
}

export class CelTypeError extends Error {
  /** `shift` moves the reported offset from the node's position, e.g. past the `.` of a field selection. */
  constructor(
    message: string,
    readonly exprId: bigint,
    readonly shift = 0,
  ) {
    super(message);
  }
}

const isNum = (t: CelT): boolean => t.k === 'int' || t.k === 'uint' || t.k === 'double';
const isDyn = (t: CelT): boolean => t.k === 'dyn';

/** Whether a value of type `actual` may be passed where `expected` is declared. */
export function assignable(actual: CelT, expected: CelT): boolean {
  if (isDyn(actual) || isDyn(expected)) return true;
  if (actual.k === 'list' && expected.k === 'list') return assignable(actual.elem, expected.elem);
  if (actual.k === 'map' && expected.k === 'map')
    return assignable(actual.key, expected.key) && assignable(actual.value, expected.value);
  return actual.k === expected.k;
}

function join(a: CelT, b: CelT): CelT | undefined {
  if (isDyn(a)) return b;
  if (isDyn(b)) return a;
  if (a.k === 'list' && b.k === 'list') {
    const e = join(a.elem, b.elem);
    return e ? T.list(e) : T.list(T.dyn);
  }
  if (a.k === 'map' && b.k === 'map') return T.map(T.dyn, T.dyn);
  if (a.k === 'null' || b.k === 'null') return a.k === 'null' ? b : a;
  return a.k === b.k ? a : undefined;
}

/** Standard operators and functions we type; anything else of the standard library is reported as unknown. */
function standard(fn: string, args: readonly CelT[], id: bigint): CelT | undefined {
  const [a, b] = args;
  const fail = (what: string): never => {
    throw new CelTypeError(what, id);
  };
  const sig = args.map(show).join(', ');
  switch (fn) {
    case '_==_':
    case '_!=_':
      if (a && b && (join(a, b) !== undefined || (isNum(a) && isNum(b)))) return T.bool;
      return fail(`cannot compare ${sig}`);
    case '_<_':
    case '_<=_':
    case '_>_':
    case '_>=_':
      if (
        a &&
        b &&
        ((isNum(a) && isNum(b)) ||
          isDyn(a) ||
          isDyn(b) ||
          (a.k === b.k && ['string', 'duration', 'timestamp', 'bool', 'bytes'].includes(a.k)))
      )
        return T.bool;
      return fail(`cannot order ${sig}`);
    case '_&&_':
    case '_||_':
      if (args.every((t) => assignable(t, T.bool))) return T.bool;
      return fail(`${fn === '_&&_' ? '&&' : '||'} needs booleans, got ${sig}`);
    case '!_':
    case '@not_strictly_false':
      if (a && assignable(a, T.bool)) return T.bool;
      return fail(`! needs a boolean, got ${sig}`);
    case '-_':
      if (a && (isNum(a) || isDyn(a) || a.k === 'duration')) return a;
      return fail(`cannot negate ${sig}`);
    case '_?_:_': {
      const [c, x, y] = args;
      if (!c || !assignable(c, T.bool)) return fail(`the condition of ?: must be a boolean, got ${c ? show(c) : '?'}`);
      const j = x && y ? join(x, y) : undefined;
      if (!j) return fail(`the branches of ?: have different types: ${x ? show(x) : '?'} and ${y ? show(y) : '?'}`);
      return j;
    }
    case '_+_':
      if (a && b) {
        if (isDyn(a)) return b;
        if (isDyn(b)) return a;
        if (a.k === 'list' && b.k === 'list') return join(a, b) ?? T.list(T.dyn);
        if (a.k === b.k && ['int', 'uint', 'double', 'string', 'bytes', 'duration'].includes(a.k)) return a;
        if ((a.k === 'timestamp' && b.k === 'duration') || (a.k === 'duration' && b.k === 'timestamp'))
          return T.timestamp;
      }
      return fail(`cannot add ${sig}${a && b && isNum(a) && isNum(b) ? ' (convert with double() or int())' : ''}`);
    case '_-_':
      if (a && b) {
        if (isDyn(a)) return b;
        if (isDyn(b)) return a;
        if (a.k === b.k && ['int', 'uint', 'double', 'duration'].includes(a.k)) return a;
        if (a.k === 'timestamp' && b.k === 'timestamp') return T.duration;
        if (a.k === 'timestamp' && b.k === 'duration') return T.timestamp;
      }
      return fail(`cannot subtract ${sig}${a && b && isNum(a) && isNum(b) ? ' (convert with double() or int())' : ''}`);
    case '_*_':
    case '_/_':
    case '_%_':
      if (a && b) {
        if (isDyn(a)) return b;
        if (isDyn(b)) return a;
        if (a.k === b.k && isNum(a) && !(fn === '_%_' && a.k === 'double')) return a;
      }
      return fail(
        `cannot apply ${fn.replaceAll('_', '')} to ${sig}${a && b && isNum(a) && isNum(b) ? ' (convert with double() or int())' : ''}`,
      );
    case '_[_]':
      if (a && b) {
        if (isDyn(a)) return T.dyn;
        if (a.k === 'list' && (isNum(b) || isDyn(b))) return a.elem;
        if (a.k === 'map' && assignable(b, a.key)) return a.value;
      }
      return fail(`cannot index ${sig}`);
    case '@in':
      if (a && b && (isDyn(b) || (b.k === 'list' && assignable(a, b.elem)) || (b.k === 'map' && assignable(a, b.key))))
        return T.bool;
      return fail(`cannot test membership of ${sig}`);
    case 'size':
      if (a && args.length === 1 && (isDyn(a) || ['string', 'bytes', 'list', 'map'].includes(a.k))) return T.int;
      return fail(`size() takes a string, list or map, got ${sig}`);
    case 'int':
    case 'uint':
    case 'double':
    case 'string':
    case 'bool':
      if (args.length === 1) return { k: fn };
      return fail(`${fn}() takes one argument`);
    case 'duration':
      if (a && args.length === 1 && assignable(a, T.string)) return T.duration;
      return fail(`duration() takes a string such as "60s", got ${sig}`);
    case 'timestamp':
      if (a && args.length === 1 && assignable(a, T.string)) return T.timestamp;
      return fail(`timestamp() takes an RFC 3339 string, got ${sig}`);
    case 'dyn':
      return T.dyn;
    default:
      return undefined;
  }
}

const STRING_METHODS = new Set(['contains', 'startsWith', 'endsWith', 'matches']);
const DURATION_METHODS = new Set(['getHours', 'getMinutes', 'getSeconds', 'getMilliseconds']);
/** The standard functions `standard()` types, named as a person writes them (for "did you mean"). */
const STANDARD_FUNCTIONS = ['size', 'int', 'uint', 'double', 'string', 'bool', 'duration', 'timestamp', 'dyn'];
/** Macros are expanded by the parser; a misspelt one arrives here as an unknown call. */
const MACROS = ['has', 'all', 'exists', 'exists_one', 'map', 'filter'];

/** Methods the checker types besides the catalogue's. */
const METHODS = ['size', ...STRING_METHODS, ...DURATION_METHODS];

function knownMethod(fn: string, signatures: Signatures): boolean {
  return signatures.methods.has(fn) || METHODS.includes(fn);
}

/** `; did you mean utilization()?` when a known name is close to the misspelt one. */
function didYouMean(name: string, known: Iterable<string>, form: (n: string) => string): string {
  const best = closest(name, known);
  return best !== undefined ? `; did you mean ${form(best)}?` : '';
}

export interface CheckOptions {
  readonly signatures: Signatures;
  readonly variables: ReadonlyMap<string, CelT>;
  /** Reports a select on a variable, so that `params.x` can be checked against the declared parameters. */
  readonly selectField?: (variable: string, field: string, id: bigint) => CelT | undefined;
  /** Sees every call, so that the caller can collect literal `prom("…")` queries. */
  readonly onCall?: (fn: string, args: readonly CelAst[], id: bigint) => void;
}

function pick(sigs: readonly Signature[] | undefined, args: readonly CelT[]): Signature | undefined {
  return sigs?.find((s) => s.args.length === args.length && s.args.every((p, i) => assignable(args[i] ?? T.dyn, p)));
}

function describe(name: string, sigs: readonly Signature[]): string {
  return sigs.map((s) => `${name}(${s.args.map(show).join(', ')})`).join(' or ');
}

/** Infers the type of an expression, throwing CelTypeError at the first mistake. */
export function checkAst(root: CelAst, options: CheckOptions): CelT {
  const scopes: Map<string, CelT>[] = [new Map(options.variables)];
  const lookup = (name: string): CelT | undefined => {
    for (let i = scopes.length - 1; i >= 0; i--) {
      const t = scopes[i]?.get(name);
      if (t) return t;
    }
    return undefined;
  };
  const visit = (e: CelAst | undefined): CelT => {
    if (!e) return T.dyn;
    const kind = e.exprKind;
    switch (kind.case) {
      case 'constExpr': {
        const c = kind.value.constantKind.case;
        switch (c) {
          case 'int64Value':
            return T.int;
          case 'uint64Value':
            return T.uint;
          case 'doubleValue':
            return T.double;
          case 'stringValue':
            return T.string;
          case 'boolValue':
            return T.bool;
          case 'bytesValue':
            return T.bytes;
          case 'nullValue':
            return T.null;
          case 'durationValue':
            return T.duration;
          case 'timestampValue':
            return T.timestamp;
          case undefined:
            return T.dyn;
        }
        return T.dyn;
      }
      case 'identExpr': {
        const t = lookup(kind.value.name);
        if (!t)
          throw new CelTypeError(
            `unknown name "${kind.value.name}"` +
              didYouMean(kind.value.name, new Set(scopes.flatMap((s) => [...s.keys()])), (n) => `"${n}"`),
            e.id,
          );
        return t;
      }
      case 'selectExpr': {
        const operand = kind.value.operand;
        const field = kind.value.field;
        // `params.x` and `fleet.x` are checked by the caller, unless a macro variable shadows the name.
        if (operand?.exprKind.case === 'identExpr' && options.selectField) {
          const name = operand.exprKind.value.name;
          if (!scopes.slice(1).some((s) => s.has(name))) {
            const t = options.selectField(name, field, e.id);
            if (t) return kind.value.testOnly ? T.bool : t;
          }
        }
        const ot = visit(operand);
        if (kind.value.testOnly) return T.bool;
        if (isDyn(ot)) return T.dyn;
        if (ot.k === 'map') return ot.value;
        throw new CelTypeError(`${show(ot)} has no field "${field}"`, e.id);
      }
      case 'callExpr': {
        const { target, function: fn, args } = kind.value;
        options.onCall?.(fn, args, e.id);
        // A misspelt method is named before its arguments are checked: `.al(dc, …)` would otherwise be reported as
        // an unknown `dc`, the variable the intended macro would have declared.
        if (target && !knownMethod(fn, options.signatures))
          throw new CelTypeError(
            `unknown method .${fn}() on ${show(visit(target))}` +
              didYouMean(fn, [...options.signatures.methods.keys(), ...METHODS, ...MACROS], (n) => `.${n}()`),
            e.id,
          );
        const argTypes = args.map(visit);
        if (target) {
          const recv = visit(target);
          const all = [recv, ...argTypes];
          const custom = options.signatures.methods.get(fn);
          const m = pick(custom, all);
          if (m) return m.result;
          if (fn === 'size' && argTypes.length === 0) return standard('size', [recv], e.id) ?? T.int;
          if (
            STRING_METHODS.has(fn) &&
            assignable(recv, T.string) &&
            argTypes.length === 1 &&
            assignable(argTypes[0] ?? T.dyn, T.string)
          )
            return T.bool;
          if (DURATION_METHODS.has(fn) && assignable(recv, T.duration) && argTypes.length === 0) return T.int;
          throw new CelTypeError(
            custom
              ? `no overload of ${describe(`.${fn}`, custom)} accepts ${show(recv)}.${fn}(${argTypes.map(show).join(', ')})`
              : `no overload of .${fn}() accepts ${show(recv)}.${fn}(${argTypes.map(show).join(', ')})`,
            e.id,
          );
        }
        const custom = options.signatures.functions.get(fn);
        if (custom) {
          const s = pick(custom, argTypes);
          if (s) return s.result;
          throw new CelTypeError(
            `${fn}(${argTypes.map(show).join(', ')}) does not match ${describe(fn, custom)}`,
            e.id,
          );
        }
        const std = standard(fn, argTypes, e.id);
        if (std) return std;
        throw new CelTypeError(
          `unknown function ${fn}()` +
            didYouMean(fn, [...options.signatures.functions.keys(), ...STANDARD_FUNCTIONS, ...MACROS], (n) => `${n}()`),
          e.id,
        );
      }
      case 'listExpr': {
        let elem: CelT | undefined;
        for (const el of kind.value.elements) {
          const t = visit(el);
          elem = elem === undefined ? t : (join(elem, t) ?? T.dyn);
        }
        return T.list(elem ?? T.dyn);
      }
      case 'structExpr': {
        if (kind.value.messageName)
          throw new CelTypeError(`message construction (${kind.value.messageName}{…}) is not supported`, e.id);
        let key: CelT | undefined;
        let value: CelT | undefined;
        for (const entry of kind.value.entries) {
          const kt = entry.keyKind.case === 'mapKey' ? visit(entry.keyKind.value) : T.string;
          const vt = visit(entry.value);
          key = key === undefined ? kt : (join(key, kt) ?? T.dyn);
          value = value === undefined ? vt : (join(value, vt) ?? T.dyn);
        }
        return T.map(key ?? T.dyn, value ?? T.dyn);
      }
      case 'comprehensionExpr': {
        const c = kind.value;
        const range = visit(c.iterRange);
        const iter = range.k === 'list' ? range.elem : range.k === 'map' ? range.key : isDyn(range) ? T.dyn : undefined;
        if (!iter) throw new CelTypeError(`cannot iterate over ${show(range)}`, c.iterRange?.id ?? e.id);
        const accu = visit(c.accuInit);
        const inner = new Map<string, CelT>([
          [c.iterVar, iter],
          [c.accuVar, accu],
        ]);
        if (c.iterVar2) inner.set(c.iterVar2, range.k === 'map' ? range.value : T.dyn);
        scopes.push(inner);
        try {
          visit(c.loopCondition);
          const step = visit(c.loopStep);
          inner.set(c.accuVar, join(accu, step) ?? T.dyn);
          return visit(c.result);
        } finally {
          scopes.pop();
        }
      }
      case undefined:
        return T.dyn;
    }
    return T.dyn;
  };
  return visit(root);
}
