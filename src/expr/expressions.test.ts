import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { Fleet, TaskTemplate, type ParamValue } from '../model/definitions.js';
import type { DatacenterReading, FleetSnapshot } from '../model/readings.js';
import {
  compileCondition,
  compileExpression,
  compileInterpolation,
  evaluate,
  expressionType,
  interpolate,
  isExpressionError,
  splitInterpolation,
  type CompiledExpression,
  type EvalContext,
  type ExpressionScope,
} from './expressions.js';

const fleet = Fleet.parse(parseAllDocuments(readFileSync('examples/fleet.yaml', 'utf8'))[0]?.toJS());
const templates = parseAllDocuments(readFileSync('examples/templates.yaml', 'utf8')).map((d) =>
  TaskTemplate.parse(d.toJS()),
);

function reading(r: Partial<DatacenterReading> = {}): DatacenterReading {
  return {
    load: 1000,
    capacity: 5000,
    utilization: 0.2,
    traffic: 1000,
    errorRate: 0,
    latencyP99: 0.1,
    sessions: 0,
    replicationLag: 5,
    share: { edge: 0, cluster: 0 },
    ...r,
  };
}

/** Every service healthy and drained out of east. */
function snapshot(): FleetSnapshot {
  const services: Record<string, FleetSnapshot['services'][string]> = {};
  for (const s of fleet.spec.services) {
    services[s.name] = {
      errorRate: 0.0001,
      replicationSource: 'west',
      primary: 'west',
      datacenters: { east: reading({ load: 0 }), west: reading(), central: reading() },
    };
  }
  return { time: 0, services, queries: { 'up{job="web"}': 1 } };
}

/** The same world after a restore: the state whose home is east is back there. */
function restored(): FleetSnapshot {
  const snap = snapshot();
  const services = Object.fromEntries(
    Object.entries(snap.services).map(([name, r]) => [name, { ...r, primary: 'east', replicationSource: 'east' }]),
  );
  return { ...snap, services };
}

function ctx(params: Record<string, ParamValue>, snap: FleetSnapshot = snapshot()): EvalContext {
  return { snapshot: snap, params, fleet, targetUtilization: 0.85 };
}

const scope: ExpressionScope = {
  params: {
    service: 'service',
    datacenter: 'datacenter',
    layer: 'string',
    direction: 'string',
    grace: 'duration',
    n: 'number',
  },
  fleet,
};

function compile(source: string, s: ExpressionScope = scope): CompiledExpression {
  const c = compileExpression(source, s);
  if (isExpressionError(c)) throw new Error(`${source}: ${c.message}`);
  return c;
}

function scopeOf(t: TaskTemplate): ExpressionScope {
  return { params: Object.fromEntries(Object.entries(t.spec.params ?? {}).map(([k, v]) => [k, v.type])), fleet };
}

function defaults(t: TaskTemplate, service: string): Record<string, ParamValue> {
  const p: Record<string, ParamValue> = { service, datacenter: 'east', layer: 'cluster', prompt: 'go?' };
  for (const [k, v] of Object.entries(t.spec.params ?? {})) if (v.default !== undefined) p[k] = v.default;
  return p;
}

describe('the reference templates', () => {
  for (const t of templates) {
    const conditions = [...(t.spec.health ?? []), ...(t.spec.pre ?? []), ...(t.spec.post ?? [])];
    it(`${t.metadata.name}: every condition compiles to a bool and evaluates`, () => {
      for (const c of conditions) {
        const compiled = compile(c.expr, scopeOf(t));
        expect(expressionType(compiled)).toBe('bool');
        // The templates that bring state home are checked against a world where it is home again.
        const world = t.metadata.name.startsWith('return-') ? restored() : snapshot();
        const r = evaluate(compiled, ctx(defaults(t, 'message-store'), world));
        expect(r, c.expr).toEqual({ kind: 'value', value: true });
      }
    });
    it(`${t.metadata.name}: every \${{ }} compiles and interpolates`, () => {
      for (const stage of t.spec.stages) {
        for (const v of Object.values(stage.with ?? {})) {
          if (typeof v !== 'string') continue;
          expect(compileInterpolation(v, scopeOf(t)).errors).toEqual([]);
          const r = interpolate(v, ctx(defaults(t, 'web')), scopeOf(t));
          expect(r.kind, v).toBe('value');
        }
      }
    });
  }
});

describe('evaluation', () => {
  it('holds when a reading is missing, naming it', () => {
    const snap = snapshot();
    const web = snap.services.web;
    if (!web) throw new Error('fixture');
    const broken: FleetSnapshot = {
      ...snap,
      services: {
        ...snap.services,
        web: { ...web, datacenters: { ...web.datacenters, west: reading({ utilization: undefined }) } },
      },
    };
    const r = evaluate(
      compile('others(params.datacenter).all(dc, utilization(params.service, dc) < 0.90)'),
      ctx({ service: 'web', datacenter: 'east' }, broken),
    );
    expect(r).toEqual({ kind: 'hold', missing: 'utilization(web, west)' });
  });

  it('holds when a whole service is absent', () => {
    const r = evaluate(compile('errorRate(params.service) < 0.01'), ctx({ service: 'nope', datacenter: 'east' }));
    expect(r).toEqual({ kind: 'hold', missing: 'errorRate(nope)' });
  });

  it('decides without the missing reading when the answer does not depend on it', () => {
    const r = evaluate(
      compile('params.direction == "restore" || utilization("nope", "east") < 1.0'),
      ctx({ direction: 'restore' }),
    );
    expect(r).toEqual({ kind: 'value', value: true });
  });

  it('computes headroom per datacenter at the target utilisation, floored at zero', () => {
    const snap = snapshot();
    const web = snap.services.web;
    if (!web) throw new Error('fixture');
    const s: FleetSnapshot = {
      ...snap,
      services: {
        web: {
          ...web,
          datacenters: {
            west: reading({ capacity: 1000, load: 2000 }),
            central: reading({ capacity: 1000, load: 500 }),
          },
        },
      },
    };
    const r = evaluate(compile('headroom("web", ["west", "central"])'), ctx({}, s));
    expect(r).toEqual({ kind: 'value', value: 350 });
  });

  it('compares replication lag with durations', () => {
    expect(evaluate(compile('replicationLag("web", "west") < duration("60s")'), ctx({}))).toEqual({
      kind: 'value',
      value: true,
    });
    expect(evaluate(compile('replicationLag("web", "west") > duration("2s")'), ctx({}))).toEqual({
      kind: 'value',
      value: true,
    });
  });

  it('lists the fleet datacenters', () => {
    expect(evaluate(compile('datacenters()'), ctx({}))).toEqual({ kind: 'value', value: ['east', 'west', 'central'] });
    expect(evaluate(compile('others("west")'), ctx({}))).toEqual({ kind: 'value', value: ['east', 'central'] });
  });

  it('reads prom() queries from the snapshot and collects them at compile time', () => {
    const c = compile('prom(\'up{job="web"}\') == 1.0');
    expect(c.queries).toEqual(['up{job="web"}']);
    expect(evaluate(c, ctx({}))).toEqual({ kind: 'value', value: true });
    expect(evaluate(compile('prom("absent") > 0.0'), ctx({}))).toEqual({ kind: 'hold', missing: 'prom("absent")' });
  });

  it('reports a run-time error as an error, not a hold', () => {
    const r = evaluate(compile('share("web", "east", params.layer) == 0.0'), ctx({ layer: 'pop' }));
    expect(r.kind).toBe('error');
  });

  it('names the home of a service\'s state from the fleet, and "" for a service with none', () => {
    const home = (svc: string) => evaluate(compile(`home("${svc}")`), ctx({}));
    expect(home('user-db')).toEqual({ kind: 'value', value: 'east' });
    expect(home('search-index')).toEqual({ kind: 'value', value: 'east' });
    expect(home('web')).toEqual({ kind: 'value', value: '' });
  });

  it('reads the fleet', () => {
    expect(evaluate(compile('fleet.spec.datacenters[0].name'), ctx({}))).toEqual({ kind: 'value', value: 'east' });
  });
});

describe('type checking at compile time', () => {
  const bad: [string, RegExp, number?][] = [
    [
      'utilisation(params.service, "east") < 0.9',
      /^unknown function utilisation\(\); did you mean utilization\(\)\?$/,
      0,
    ],
    ['sesions(params.service, "east") == 0', /did you mean sessions\(\)\?$/, 0],
    ['others(params.datacenter).al(dc, true)', /^unknown method \.al\(\) on list<string>; did you mean \.all\(\)\?$/],
    ['params.service.startWith("w")', /did you mean \.startsWith\(\)\?$/],
    ['parms.service == "web"', /^unknown name "parms"; did you mean "params"\?$/],
    ['teleport(params.service)', /^unknown function teleport\(\)$/],
    ['utilization(1, "east") < 0.9', /does not match utilization\(string, string\)/],
    ['params.datacentre == "east"', /unknown parameter "datacentre" .*did you mean "datacenter"/, 7],
    ['load(params.service, params.datacenter) * 2', /convert with double/],
    ['errorRate(params.service) < "x"', /cannot order double, string/],
    ['headroom(params.service, params.datacenter) > 0.0', /does not match headroom/],
    ['prom(params.service) > 0.0', /literal query/],
    ['utilization(params.service,', /syntax error/, 11],
    ['nobody > 1', /unknown name "nobody"/],
    ['replicationLag("a", "b") < 60', /cannot order duration, int/],
  ];
  for (const [source, message, offset] of bad) {
    it(`rejects ${source}`, () => {
      const c = compileExpression(source, scope);
      expect(isExpressionError(c)).toBe(true);
      if (!isExpressionError(c)) return;
      expect(c.message).toMatch(message);
      if (offset !== undefined) expect(c.offset).toBe(offset);
    });
  }

  it('requires conditions to be booleans', () => {
    const c = compileCondition('load(params.service, params.datacenter)', scope);
    expect(isExpressionError(c) && c.message).toMatch(/must be a boolean, but this gives a double/);
    expect(isExpressionError(compileCondition('load(params.service, params.datacenter) > 1.0', scope))).toBe(false);
  });

  it('accepts cross-type numeric comparison and macros', () => {
    for (const s of [
      'sessions(params.service, params.datacenter) == 0',
      'others(params.datacenter).exists_one(dc, dc == "west")',
      'others(params.datacenter).map(dc, load(params.service, dc)).size() > 0',
      'params.n * 2.0 > 1.0',
      '"west" in datacenters()',
      'duration(params.grace) > duration("1m")',
    ])
      compile(s);
  });
});

describe('interpolation', () => {
  it('keeps the type of a single whole-string interpolation', () => {
    expect(interpolate('${{ params.n }}', ctx({ n: 200 }), scope)).toEqual({ kind: 'value', value: 200 });
    expect(interpolate('${{ params.n > 1.0 }}', ctx({ n: 200 }), scope)).toEqual({ kind: 'value', value: true });
  });

  it('joins mixed text as a string', () => {
    expect(
      interpolate(
        'drain ${{ params.service }} from ${{ params.datacenter }}',
        ctx({ service: 'web', datacenter: 'east' }),
        scope,
      ),
    ).toEqual({ kind: 'value', value: 'drain web from east' });
  });

  it('reports errors at their offset in the whole text', () => {
    const text = 'x ${{ params.nope }}';
    const { errors } = compileInterpolation(text, scope);
    expect(errors[0]?.message).toMatch(/unknown parameter "nope"/);
    expect(text.slice(errors[0]?.offset)).toBe('nope }}');
  });

  it('splits text and expressions', () => {
    expect(splitInterpolation('a${{b}}c')).toEqual([{ text: 'a' }, { expr: 'b', offset: 4 }, { text: 'c' }]);
  });

  it('holds on missing data inside an interpolation', () => {
    expect(interpolate('${{ load("nope", "east") }}', ctx({}), scope)).toEqual({
      kind: 'hold',
      missing: 'load(nope, east)',
    });
  });
});
