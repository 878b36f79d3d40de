/**
 * The plan compiler: a Plan becomes a task DAG. For each service the plan moves, the first matching runbook rule
 * picks a runbook; its parameters are bound (service, datacenter, the rule's `with`, defaults) and each of its tasks
 * becomes `<service>/<task>` with its template's parameters bound. Cross-service edges come from the fleet's
 * dependencies (see services.ts); ready tasks are ordered by priority (user-facing first, stateful last).
 * Anything that cannot be compiled is a MaelstromError with a code; nothing is half-built.
 */
import type { Definitions, Fleet, ParamValue, Plan, Runbook, RunbookRule, Service } from '../model/definitions.js';
import type { CompiledPlan, PlannedTask, TaskWait, WaitReason } from '../model/compiled.js';
import { parseDuration } from '../model/duration.js';
import { MaelstromError } from '../model/errors.js';
import { asParamValue, bindParams, resolveValue } from './bind.js';
import { stageMs, type StageValueResolver } from './durations.js';
import { trafficLeft, unitAncestors, type TrafficLeft } from './estimate.js';
import { criticalPath, predecessors, topologicalOrder, waves as layer } from './graph.js';
import { peakLoads, preflight } from './preflight.js';
import { orderServices, priorityOf, runsIn, type ServiceEdge } from './services.js';

const PARAM_REF = /^\$\{\{\s*params\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}$/;

/** Whether a rule's match selects the service. Every given criterion must hold; `{}` matches everything. */
export function ruleMatches(rule: RunbookRule, service: Service): boolean {
  const m = rule.match;
  if (m.type !== undefined && m.type !== service.type) return false;
  if (m.userFacing !== undefined && m.userFacing !== (service.userFacing ?? false)) return false;
  if (m.service !== undefined && m.service !== service.name) return false;
  if (m.services !== undefined && !m.services.includes(service.name)) return false;
  return true;
}

function lookup<T>(map: ReadonlyMap<string, T>, name: string, what: string, where: string): T {
  const found = map.get(name);
  if (found === undefined) {
    const known = [...map.keys()].sort();
    const hint = known.length > 0 ? ` (known: ${known.slice(0, 10).join(', ')}${known.length > 10 ? ', …' : ''})` : '';
    throw new MaelstromError('E_UNKNOWN_REF', `${where}: unknown ${what} "${name}"${hint}`);
  }
  return found;
}

/** Mutable task under construction, before the order is known. */
interface Draft {
  readonly id: string;
  readonly service: Service;
  readonly runbook: string;
  readonly task: string;
  readonly template: string;
  readonly params: Record<string, ParamValue>;
  readonly base: Omit<
    PlannedTask,
    'after' | 'weakAfter' | 'id' | 'service' | 'runbook' | 'task' | 'template' | 'params' | 'expectedMs'
  >;
  /** Indices of drafts within the same runbook that precede this one. */
  readonly local: number[];
  /** The template's `expectedDuration`, which wins over the stages' estimate. */
  readonly expectedDuration: number | undefined;
  /** Resolves a stage's `with` value for the estimate, where it is a plain parameter reference. */
  readonly resolveStage: StageValueResolver;
}

/** Binds one service's runbook into task drafts, appended to `drafts`. */
function expandService(defs: Definitions, fleet: Fleet, plan: Plan, service: Service, drafts: Draft[]): void {
  const planName = plan.metadata.name;
  const rule = plan.spec.runbooks.find((r) => ruleMatches(r, service));
  if (rule === undefined) {
    throw new MaelstromError(
      'E_UNKNOWN_REF',
      `plan "${planName}": no runbook rule matches service "${service.name}" (add a rule, or leave the service out of spec.services)`,
    );
  }
  const runbook: Runbook = lookup(defs.runbooks, rule.runbook, 'runbook', `plan "${planName}"`);
  if (runbook.spec.direction !== plan.spec.direction) {
    throw new MaelstromError(
      'E_DIRECTION',
      `plan "${planName}" (${plan.spec.direction}) uses runbook "${runbook.metadata.name}", which is a ${runbook.spec.direction} runbook`,
    );
  }
  const declared = runbook.spec.params ?? {};
  const given: Record<string, ParamValue> = {};
  if ('service' in declared) given.service = service.name;
  if ('datacenter' in declared) given.datacenter = plan.spec.datacenter;
  for (const [k, v] of Object.entries(rule.with ?? {})) {
    const value = asParamValue(v);
    if (value === undefined)
      throw new MaelstromError(
        'E_PARAM',
        `plan "${planName}", runbook "${runbook.metadata.name}": parameter "${k}" must be a string, number or boolean`,
      );
    given[k] = value;
  }
  const runbookParams = bindParams(
    declared,
    given,
    fleet,
    `runbook "${runbook.metadata.name}" for service "${service.name}"`,
  );

  const first = drafts.length;
  const byName = new Map<string, number>();
  runbook.spec.tasks.forEach((t, i) => {
    if (byName.has(t.name))
      throw new MaelstromError('E_DUPLICATE', `runbook "${runbook.metadata.name}": duplicate task "${t.name}"`);
    byName.set(t.name, first + i);
  });
  const priority = priorityOf(service);
  for (const t of runbook.spec.tasks) {
    const id = `${service.name}/${t.name}`;
    const template = lookup(
      defs.templates,
      t.template,
      'task template',
      `runbook "${runbook.metadata.name}", task "${t.name}"`,
    );
    const taskGiven: Record<string, ParamValue> = {};
    for (const [k, v] of Object.entries(t.with ?? {})) {
      taskGiven[k] = resolveValue(v, runbookParams, declared, fleet, `task ${id}, parameter "${k}"`);
    }
    const params = bindParams(
      template.spec.params,
      taskGiven,
      fleet,
      `task ${id} (template "${template.metadata.name}")`,
    );
    const local = (t.after ?? []).map((name) => {
      const j = byName.get(name);
      if (j === undefined)
        throw new MaelstromError(
          'E_UNKNOWN_REF',
          `runbook "${runbook.metadata.name}", task "${t.name}": after names unknown task "${name}"`,
        );
      return j;
    });
    // Stage values are resolved for the prediction only when they are a plain parameter reference.
    const resolveStage = (v: unknown): ParamValue | undefined => {
      const plain = asParamValue(v);
      if (typeof plain !== 'string') return plain;
      const ref = PARAM_REF.exec(plain);
      if (ref) return params[ref[1]!];
      return plain.includes('${{') ? undefined : plain;
    };
    const expectedDuration =
      template.spec.expectedDuration === undefined ? undefined : parseDuration(template.spec.expectedDuration);
    drafts.push({
      id,
      service,
      runbook: runbook.metadata.name,
      task: t.name,
      template: template.metadata.name,
      params,
      local,
      expectedDuration,
      resolveStage,
      base: {
        stages: template.spec.stages,
        health: template.spec.health ?? [],
        pre: template.spec.pre ?? [],
        post: template.spec.post ?? [],
        priority,
        trafficType: service.type,
        userFacing: service.userFacing ?? false,
      },
    });
  }
}

/**
 * Why task `b` waits for task `a` of another service: the chain of dependencies behind the service edge that runs
 * from `a`'s service to `b`'s (drain: `a` calls `b`, directly or through services the plan does not move; restore:
 * `b` needs `a`). A unit of several services (a dependency cycle) may be ordered by a link between other members.
 */
function dependencyReason(e: ServiceEdge, a: Draft, b: Draft, plan: Plan): WaitReason {
  const from = a.service.name;
  const to = b.service.name;
  const drain = plan.spec.direction === 'drain';
  const fits = e.because.find((chain) => {
    const first = chain[0];
    const last = chain[chain.length - 1];
    if (!first || !last) return false;
    return drain ? first.caller === from && last.callee === to : first.callee === from && last.caller === to;
  });
  if (fits) return { kind: 'dependency', chain: fits };
  return { kind: 'dependency', chain: e.because[0] ?? [], unit: true };
}

/** Whether a stage shifts traffic at the edge layer (the default layer of traffic.shift). */
function shiftsEdge(d: Draft): boolean {
  return d.base.stages.some((st) => st.uses === 'traffic.shift' && d.resolveStage(st.with?.layer) !== 'cluster');
}

/**
 * The expected duration of a task, following what is left to move when each of its stages starts: in a drain, a
 * service's edge share is gone once a task of its own runbook before it (or an earlier stage) shifted the edge, and
 * its callers' load once their services have left before it.
 */
function estimateTask(
  drafts: readonly Draft[],
  i: number,
  plan: Plan,
  left: TrafficLeft,
): { ms: number; note?: string } {
  const d = drafts[i]!;
  if (d.expectedDuration !== undefined) return { ms: d.expectedDuration };
  const drain = plan.spec.direction === 'drain';
  // Tasks of the same runbook before this one, transitively.
  const before = new Set<number>();
  const stack = [...d.local];
  while (stack.length > 0) {
    const j = stack.pop()!;
    if (before.has(j)) continue;
    before.add(j);
    stack.push(...drafts[j]!.local);
  }
  let edgeGone = drain && [...before].some((j) => shiftsEdge(drafts[j]!));
  let ms = 0;
  let note: string | undefined;
  for (const st of d.base.stages) {
    let moving = true;
    if (st.uses === 'traffic.shift') {
      const layer = d.resolveStage(st.with?.layer) === 'cluster' ? 'cluster' : 'edge';
      if (layer === 'edge') {
        moving = left.edge(d.service) && !edgeGone;
        if (!moving)
          note ??= edgeGone
            ? 'nothing left to move at the edge when it starts'
            : `no user traffic enters ${plan.spec.datacenter} for ${d.service.name} at the edge: nothing to shift there`;
        if (drain) edgeGone = true;
      } else if (drain) {
        const r = left.cluster(d.service, edgeGone);
        moving = r.left;
        if (!moving) note ??= r.why;
      }
    }
    ms += stageMs(st, plan.spec.pacing, d.service, d.resolveStage, moving, plan.spec.direction);
  }
  return note !== undefined ? { ms, note } : { ms };
}

/**
 * The plan that undoes `plan`: its explicit restorePlan, else the first (by name) of the other direction for the
 * same fleet and datacenter.
 */
export function oppositePlan(defs: Definitions, plan: Plan): string | undefined {
  if (plan.spec.restorePlan !== undefined) return plan.spec.restorePlan;
  const candidates = [...defs.plans.values()]
    .filter(
      (p) =>
        p.spec.direction !== plan.spec.direction &&
        p.spec.fleet === plan.spec.fleet &&
        p.spec.datacenter === plan.spec.datacenter,
    )
    .map((p) => p.metadata.name)
    .sort();
  return candidates[0];
}

/** Compiles a plan into a task DAG with its waves, highly connected components, pre-flight check and critical path. */
export function compilePlan(defs: Definitions, planName: string): CompiledPlan {
  const plan = defs.plans.get(planName);
  if (plan === undefined) {
    const known = [...defs.plans.keys()].sort();
    throw new MaelstromError(
      'E_NOT_FOUND',
      `no plan named "${planName}"${known.length > 0 ? ` (plans: ${known.join(', ')})` : ' (no plans in the given files)'}`,
    );
  }
  const fleet = lookup(defs.fleets, plan.spec.fleet, 'fleet', `plan "${planName}"`);
  const dc = plan.spec.datacenter;
  if (!fleet.spec.datacenters.some((d) => d.name === dc)) {
    const names = fleet.spec.datacenters.map((d) => d.name).join(', ');
    throw new MaelstromError(
      'E_UNKNOWN_REF',
      `plan "${planName}": "${dc}" is not a datacenter of fleet "${fleet.metadata.name}" (datacenters: ${names})`,
    );
  }
  const services = fleet.spec.services;
  const selected = new Set<string>();
  if (plan.spec.services === 'all') for (const s of services) selected.add(s.name);
  else {
    const names = new Set(services.map((s) => s.name));
    for (const name of plan.spec.services) {
      if (!names.has(name))
        throw new MaelstromError(
          'E_UNKNOWN_REF',
          `plan "${planName}": "${name}" is not a service of fleet "${fleet.metadata.name}"`,
        );
      selected.add(name);
    }
  }
  const included = services.map((s) => selected.has(s.name) && runsIn(s, dc));

  const drafts: Draft[] = [];
  const tasksOf: number[][] = services.map(() => []);
  services.forEach((s, i) => {
    if (!included[i]) return;
    const from = drafts.length;
    expandService(defs, fleet, plan, s, drafts);
    for (let k = from; k < drafts.length; k++) tasksOf[i]!.push(k);
  });

  const seenIds = new Set<string>();
  for (const d of drafts) {
    if (seenIds.has(d.id))
      throw new MaelstromError(
        'E_DUPLICATE',
        `plan "${planName}": two tasks are named "${d.id}" (a service of fleet "${fleet.metadata.name}" is defined twice)`,
      );
    seenIds.add(d.id);
  }
  const n = drafts.length;
  const succ: number[][] = Array.from({ length: n }, () => []);
  const weakEdges = new Set<number>();
  const edgeSeen = new Set<number>();
  const reasons = new Map<number, WaitReason>();
  const addEdge = (a: number, b: number, weak: boolean, why: WaitReason): void => {
    const key = a * n + b;
    if (edgeSeen.has(key)) {
      if (!weak) weakEdges.delete(key);
      return;
    }
    edgeSeen.add(key);
    succ[a]!.push(b);
    reasons.set(key, why);
    if (weak) weakEdges.add(key);
  };
  drafts.forEach((d, b) => {
    for (const a of d.local) addEdge(a, b, false, { kind: 'runbook', runbook: d.runbook });
  });

  // Cross-service edges: the last tasks of the earlier unit before the first tasks of the later one.
  const order = orderServices(fleet, plan.spec.direction, included);
  const localSucc = new Set<number>();
  for (const d of drafts) for (const a of d.local) localSucc.add(a);
  const unitTasks = order.units.map((members) => members.flatMap((m) => tasksOf[m]!));
  const sinks = unitTasks.map((ts) => ts.filter((t) => !localSucc.has(t)));
  const sources = unitTasks.map((ts) => ts.filter((t) => drafts[t]!.local.length === 0));
  for (const e of order.edges) {
    for (const a of sinks[e.from]!)
      for (const b of sources[e.to]!) addEdge(a, b, e.weak, dependencyReason(e, drafts[a]!, drafts[b]!, plan));
  }

  const topo = topologicalOrder(n, succ, (a, b) => {
    const pa = drafts[a]!.base.priority,
      pb = drafts[b]!.base.priority;
    return pa !== pb ? pa < pb : a < b;
  });
  if (!topo.ok) {
    const path = [...topo.cycle, topo.cycle[0]!].map((i) => drafts[i]!.id).join(' → ');
    throw new MaelstromError('E_CYCLE', `plan "${planName}": its tasks form a cycle: ${path}`, {
      details: { cycle: topo.cycle.map((i) => drafts[i]!.id) },
    });
  }
  const pred = predecessors(n, succ);
  const position = new Int32Array(n);
  topo.order.forEach((t, p) => {
    position[t] = p;
  });
  const wave = layer(topo.order, pred);
  const loads = peakLoads(fleet);
  const left = trafficLeft({
    fleet,
    datacenter: dc,
    loads,
    unitOf: new Map(services.map((s, i) => [s.name, order.unitOf[i]!] as const)),
    ancestors: unitAncestors(order.units.length, order.edges),
  });
  const estimates = drafts.map((d, i) => estimateTask(drafts, i, plan, left));
  const cp = criticalPath(
    topo.order,
    pred,
    estimates.map((e) => e.ms),
  );

  const tasks: PlannedTask[] = topo.order.map((t) => {
    const d = drafts[t]!;
    const before = [...pred[t]!].sort((x, y) => position[x]! - position[y]!);
    return {
      id: d.id,
      service: d.service.name,
      runbook: d.runbook,
      task: d.task,
      template: d.template,
      after: before.map((p) => drafts[p]!.id),
      weakAfter: before.filter((p) => weakEdges.has(p * n + t)).map((p) => drafts[p]!.id),
      params: d.params,
      ...d.base,
      expectedMs: estimates[t]!.ms,
      ...(estimates[t]!.note !== undefined ? { expectedNote: estimates[t]!.note } : {}),
      waits: before.map((p): TaskWait => ({
        after: drafts[p]!.id,
        weak: weakEdges.has(p * n + t),
        because: reasons.get(p * n + t) ?? { kind: 'runbook', runbook: d.runbook },
      })),
    };
  });
  const waveLists: string[][] = [];
  for (const t of topo.order) (waveLists[wave[t]!] ??= []).push(drafts[t]!.id);

  const moved = services.filter((_, i) => included[i]);
  const restorePlan = oppositePlan(defs, plan);
  const compiled: CompiledPlan = {
    plan: planName,
    fleet: fleet.metadata.name,
    direction: plan.spec.direction,
    datacenter: dc,
    concurrency: plan.spec.concurrency,
    pacing: plan.spec.pacing,
    stuckPercentile: plan.spec.stuck?.percentile ?? 75,
    tasks,
    waves: waveLists,
    hccs: order.hccs.flat(),
    hccGroups: order.hccs,
    preflight: preflight(fleet, plan, moved, loads),
    criticalPath: cp.path.map((t) => drafts[t]!.id),
    estimateMs: cp.length,
  };
  return restorePlan === undefined ? compiled : { ...compiled, restorePlan };
}
