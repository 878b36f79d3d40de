/**
 * The function catalogue of expressions (docs/expressions.md): typed signatures for load-time checking and the
 * implementations that read a FleetSnapshot. An absent reading records what was missing and fails the call, so that
 * the evaluation holds instead of deciding on made-up data.
 */
import { celFunc, CelScalar, listType, objectType, type CelFunc, type CelList } from '@bufbuild/cel';
import { create } from '@bufbuild/protobuf';
import { DurationSchema } from '@bufbuild/protobuf/wkt';
import type { DatacenterReading, ServiceReading } from '../model/readings.js';
import { T, type Signature, type Signatures } from './cel-types.js';
import type { EvalContext } from './eval-context.js';

export interface EvalState {
  readonly context: EvalContext;
  /** The first reading found missing during this evaluation, e.g. `utilization(web, west)`. */
  missing: string | undefined;
}

// Evaluation is synchronous, so the catalogue reads the context of the evaluation in progress from here.
let current: EvalState | undefined;

export function runWith<R>(state: EvalState, run: () => R): R {
  const previous = current;
  current = state;
  try {
    return run();
  } finally {
    current = previous;
  }
}

class MissingReading extends Error {}

function state(): EvalState {
  if (!current) throw new Error('catalogue function called outside an evaluation');
  return current;
}

function missing(label: string): never {
  const s = state();
  s.missing ??= label;
  throw new MissingReading(`no reading for ${label}`);
}

function service(name: string, fn: string): ServiceReading {
  return state().context.snapshot.services[name] ?? missing(`${fn}(${name})`);
}

function dcReading(svc: string, dc: string, fn: string): DatacenterReading {
  return service(svc, `${fn}`).datacenters[dc] ?? missing(`${fn}(${svc}, ${dc})`);
}

type NumericField =
  'load' | 'capacity' | 'utilization' | 'traffic' | 'errorRate' | 'latencyP99' | 'sessions' | 'replicationLag';

function figure(field: NumericField, svc: string, dc: string): number {
  const r = state().context.snapshot.services[svc]?.datacenters[dc];
  const v = r?.[field];
  return v ?? missing(`${field}(${svc}, ${dc})`);
}

function strings(list: CelList): string[] {
  const out: string[] = [];
  for (const v of list) if (typeof v === 'string') out.push(v);
  return out;
}

/**
 * Where the fleet places the state of a service: the primary of a stateful one, the replication source of a
 * replicated one; "" for a service with no state to place (so that `home(s) == dc` is false for it).
 */
function homeOf(name: string): string {
  const svc = state().context.fleet.spec.services.find((s) => s.name === name);
  return svc?.stateful?.primary ?? svc?.replication?.source ?? '';
}

function fleetDatacenters(): string[] {
  return state().context.fleet.spec.datacenters.map((d) => d.name);
}

const S = CelScalar.STRING;
const D = CelScalar.DOUBLE;
const DURATION = objectType(DurationSchema);

export const catalogueFuncs: CelFunc[] = [
  ...(['load', 'capacity', 'utilization', 'traffic', 'latencyP99', 'sessions'] as const).map((f) =>
    celFunc(f, [S, S], D, (svc, dc) => figure(f, svc, dc)),
  ),
  celFunc('errorRate', [S, S], D, (svc, dc) => figure('errorRate', svc, dc)),
  celFunc('errorRate', [S], D, (svc) => service(svc, 'errorRate').errorRate ?? missing(`errorRate(${svc})`)),
  celFunc('share', [S, S, S], D, (svc, dc, layer) => {
    if (layer !== 'edge' && layer !== 'cluster')
      throw new Error(`share(): layer must be "edge" or "cluster", not "${layer}"`);
    return dcReading(svc, dc, 'share').share?.[layer] ?? missing(`share(${svc}, ${dc}, ${layer})`);
  }),
  celFunc('headroom', [S, listType(S)], D, (svc, dcs) => {
    const target = state().context.targetUtilization;
    let sum = 0;
    // Per datacenter, floored at zero: an overloaded receiver cannot lend its deficit to the others.
    for (const dc of strings(dcs)) sum += Math.max(0, figure('capacity', svc, dc) * target - figure('load', svc, dc));
    return sum;
  }),
  celFunc('replicationLag', [S, S], DURATION, (svc, dc) => {
    const seconds = figure('replicationLag', svc, dc);
    const whole = Math.floor(seconds);
    return create(DurationSchema, { seconds: BigInt(whole), nanos: Math.round((seconds - whole) * 1e9) });
  }),
  celFunc(
    'replicationSource',
    [S],
    S,
    (svc) => service(svc, 'replicationSource').replicationSource ?? missing(`replicationSource(${svc})`),
  ),
  celFunc('primary', [S], S, (svc) => service(svc, 'primary').primary ?? missing(`primary(${svc})`)),
  // The fleet's placement, not a reading: where the state of a service lives when nothing has been moved.
  celFunc('home', [S], S, (svc) => homeOf(svc)),
  celFunc('others', [S], listType(S), (dc) => fleetDatacenters().filter((d) => d !== dc)),
  celFunc('datacenters', [], listType(S), () => fleetDatacenters()),
  celFunc(
    'prom',
    [S],
    D,
    (query) => state().context.snapshot.queries?.[query] ?? missing(`prom(${JSON.stringify(query)})`),
  ),
];

const sig = (args: Signature['args'], result: Signature['result']): Signature => ({ args, result });
const svcDc = [sig([T.string, T.string], T.double)];

export const catalogueSignatures: Signatures = {
  functions: new Map<string, readonly Signature[]>([
    ['load', svcDc],
    ['capacity', svcDc],
    ['utilization', svcDc],
    ['traffic', svcDc],
    ['latencyP99', svcDc],
    ['sessions', svcDc],
    ['errorRate', [sig([T.string], T.double), sig([T.string, T.string], T.double)]],
    ['share', [sig([T.string, T.string, T.string], T.double)]],
    ['headroom', [sig([T.string, T.list(T.string)], T.double)]],
    ['replicationLag', [sig([T.string, T.string], T.duration)]],
    ['replicationSource', [sig([T.string], T.string)]],
    ['primary', [sig([T.string], T.string)]],
    ['home', [sig([T.string], T.string)]],
    ['others', [sig([T.string], T.list(T.string))]],
    ['datacenters', [sig([], T.list(T.string))]],
    ['prom', [sig([T.string], T.double)]],
  ]),
  methods: new Map(),
};
