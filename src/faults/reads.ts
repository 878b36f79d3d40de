/**
 * Which readings a task's conditions rest on: each expression is evaluated over a snapshot that starts empty and
 * gains a plausible, healthy value for every reading the evaluation asks for and finds missing, until it completes.
 * What was asked for is what the condition reads (after `&&`, `||`, `all` and `exists` have short-circuited as they
 * do on a healthy fleet). The result names readings as `service/datacenter`, or `service/*` for fleet-wide figures.
 */
import { compileExpression, evaluate, isExpressionError, type ExpressionScope } from '../expr/expressions.js';
import type { PlannedTask } from '../model/compiled.js';
import type { Fleet } from '../model/definitions.js';
import type { DatacenterReading, FleetSnapshot } from '../model/readings.js';

type MutableDc = { -readonly [K in keyof DatacenterReading]: DatacenterReading[K] };
type MutableService = {
  datacenters: Record<string, MutableDc>;
  errorRate?: number;
  replicationSource?: string;
  primary?: string;
};

/** Healthy values for each figure a condition may read. */
const HEALTHY: Readonly<Record<string, number>> = {
  load: 100,
  capacity: 1000,
  utilization: 0.5,
  traffic: 100,
  errorRate: 0,
  latencyP99: 0.05,
  sessions: 0,
  replicationLag: 1,
};

function scopeOf(task: PlannedTask, fleet: Fleet): ExpressionScope {
  const params: Record<string, ExpressionScope['params'][string]> = {};
  for (const [k, v] of Object.entries(task.params))
    params[k] = typeof v === 'number' ? 'number' : typeof v === 'boolean' ? 'boolean' : 'string';
  return { params, fleet };
}

/** `utilization(web, west)` → ['utilization', 'web', 'west']. */
function parseLabel(label: string): string[] | undefined {
  const m = /^([A-Za-z]+)\((.*)\)$/.exec(label);
  if (!m) return undefined;
  return [m[1]!, ...m[2]!.split(',').map((s) => s.trim())];
}

/** Reads already found, by fleet, expressions and parameters: every execution of a search asks the same ones. */
const known = new Map<string, string[]>();
const KNOWN_MAX = 20_000;

/** The readings the expressions read, evaluated with the task's parameters. */
export function conditionReads(
  task: PlannedTask,
  fleet: Fleet,
  exprs: readonly string[],
  targetUtilization: number,
): string[] {
  const key = JSON.stringify([
    fleet.metadata.name,
    fleet.spec.datacenters.length,
    exprs,
    task.params,
    targetUtilization,
  ]);
  let reads = known.get(key);
  if (reads === undefined) {
    reads = findReads(task, fleet, exprs, targetUtilization);
    if (known.size >= KNOWN_MAX) known.clear();
    known.set(key, reads);
  }
  return reads;
}

function findReads(task: PlannedTask, fleet: Fleet, exprs: readonly string[], targetUtilization: number): string[] {
  const scope = scopeOf(task, fleet);
  const out = new Set<string>();
  const here = typeof task.params.datacenter === 'string' ? task.params.datacenter : undefined;
  const elsewhere = fleet.spec.datacenters.map((d) => d.name).find((d) => d !== here) ?? here ?? '';
  for (const expr of exprs) {
    const compiled = compileExpression(expr, scope);
    if (isExpressionError(compiled)) continue;
    const services: Record<string, MutableService> = {};
    for (const s of fleet.spec.services)
      services[s.name] = { datacenters: Object.fromEntries(fleet.spec.datacenters.map((d) => [d.name, {}])) };
    const snapshot: FleetSnapshot = { time: 0, services };
    const context = { snapshot, params: task.params, fleet, targetUtilization };
    // Each round supplies one more reading; a condition reads at most every figure of every datacenter.
    for (let round = 0; round < 200; round++) {
      const r = evaluate(compiled, context);
      if (r.kind !== 'hold') break;
      const parts = parseLabel(r.missing);
      if (!parts) break;
      const [fn, svc, dc, layer] = parts as [string, string, string | undefined, string | undefined];
      const service = services[svc];
      if (!service) break;
      out.add(`${svc}/${dc ?? '*'}`);
      if (dc === undefined) {
        if (fn === 'errorRate') service.errorRate = 0;
        else if (fn === 'replicationSource') service.replicationSource = elsewhere;
        else if (fn === 'primary') service.primary = elsewhere;
        else break;
        continue;
      }
      const reading = service.datacenters[dc];
      if (!reading) break;
      if (fn === 'share') reading.share = { ...reading.share, [layer === 'edge' ? 'edge' : 'cluster']: 0 };
      else if (HEALTHY[fn] !== undefined) (reading as Record<string, number>)[fn] = HEALTHY[fn];
      else break;
    }
  }
  return [...out].sort();
}
