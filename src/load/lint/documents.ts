/** Task templates, runbooks, plans and scenarios: references, stages, parameters, directions and restores. */
import {
  StageKind,
  type Definitions,
  type Fleet,
  type Plan,
  type Runbook,
  type Scenario,
  type TaskTemplate,
} from '../../model/definitions.js';
import { findCycles } from './cycles.js';
import { lintConditions, lintStageValues } from './expressions.js';
import { lintBinding, lintDeclarations, scopeOf, type Universe } from './params.js';
import { repeats, type Reporter } from './report.js';
import { suggest } from '../../model/suggest.js';

/** Words a stage's `next` may use besides another stage's name: the task ends in success, or fails. */
export const NEXT_END = 'end';
export const NEXT_FAIL = 'fail';

const stageKinds = new Set<string>(StageKind.options);

export function universeOf(fleet: Fleet | undefined, all: Iterable<Fleet>): Universe {
  const fleets = fleet ? [fleet] : [...all];
  if (fleets.length === 0) return { label: 'no fleet' };
  const collect = (f: (x: Fleet) => string[]): Set<string> => new Set(fleets.flatMap(f));
  return {
    label: fleet
      ? `fleet "${fleet.metadata.name}"`
      : fleets.length === 1
        ? `fleet "${fleets[0]?.metadata.name ?? ''}"`
        : 'any loaded fleet',
    service: collect((x) => x.spec.services.map((s) => s.name)),
    datacenter: collect((x) => x.spec.datacenters.map((d) => d.name)),
    cluster: collect((x) => x.spec.datacenters.flatMap((d) => d.clusters)),
    pop: collect((x) => x.spec.pops.map((p) => p.name)),
  };
}

export function lintTemplate(r: Reporter, t: TaskTemplate, defs: Definitions): void {
  const name = t.metadata.name;
  const universe = universeOf(undefined, defs.fleets.values());
  lintDeclarations(r, 'TaskTemplate', name, ['spec', 'params'], t.spec.params, universe);
  const stages = t.spec.stages;
  for (const d of repeats(stages, (s) => s.name))
    r.error('E_DUPLICATE', 'TaskTemplate', name, ['spec', 'stages', d.index, 'name'], `duplicate stage "${d.name}"`);
  const stageNames = new Set(stages.flatMap((s) => (s.name ? [s.name] : [])));
  stages.forEach((s, i) => {
    if (!stageKinds.has(s.uses)) {
      r.error(
        'E_STAGE',
        'TaskTemplate',
        name,
        ['spec', 'stages', i, 'uses'],
        `unknown stage "${s.uses}"${suggest(s.uses, stageKinds)}`,
      );
    }
    for (const [outcome, to] of Object.entries(s.next ?? {})) {
      if (to !== NEXT_END && to !== NEXT_FAIL && !stageNames.has(to)) {
        r.error(
          'E_UNKNOWN_REF',
          'TaskTemplate',
          name,
          ['spec', 'stages', i, 'next', outcome],
          `next stage "${to}" does not exist (stages: ${[...stageNames].join(', ') || 'none named'}; or "${NEXT_END}", "${NEXT_FAIL}")`,
        );
      }
    }
  });
  const scope = scopeOf(t.spec.params);
  lintStageValues(r, t, scope);
  lintConditions(r, t, scope);
}

export function lintRunbook(r: Reporter, rb: Runbook, defs: Definitions, invalid: ReadonlySet<string>): void {
  const name = rb.metadata.name;
  const tasks = rb.spec.tasks;
  const universe = universeOf(undefined, defs.fleets.values());
  lintDeclarations(r, 'Runbook', name, ['spec', 'params'], rb.spec.params, universe);
  for (const d of repeats(tasks, (t) => t.name))
    r.error('E_DUPLICATE', 'Runbook', name, ['spec', 'tasks', d.index, 'name'], `duplicate task "${d.name}"`);
  const taskNames = new Set(tasks.map((t) => t.name));
  const scope = scopeOf(rb.spec.params);
  tasks.forEach((task, i) => {
    (task.after ?? []).forEach((a, j) => {
      if (!taskNames.has(a))
        r.error(
          'E_UNKNOWN_REF',
          'Runbook',
          name,
          ['spec', 'tasks', i, 'after', j],
          `task "${task.name}" runs after unknown task "${a}"${suggest(a, taskNames)}`,
        );
    });
    const template = defs.templates.get(task.template);
    if (!template) {
      if (!invalid.has(`TaskTemplate/${task.template}`)) {
        r.error(
          'E_UNKNOWN_REF',
          'Runbook',
          name,
          ['spec', 'tasks', i, 'template'],
          `unknown template "${task.template}"${suggest(task.template, defs.templates.keys())}`,
        );
      }
      return;
    }
    lintBinding(r, {
      kind: 'Runbook',
      name,
      at: ['spec', 'tasks', i],
      values: task.with,
      implicit: new Set(),
      target: { params: template.spec.params, label: `template "${task.template}"` },
      scope,
      universe,
    });
  });
  const edges = new Map(tasks.map((t) => [t.name, t.after ?? []]));
  for (const cycle of findCycles(
    tasks.map((t) => t.name),
    edges,
  )) {
    const i = tasks.findIndex((t) => t.name === cycle[0]);
    const j = tasks[i]?.after?.indexOf(cycle[1] ?? '') ?? -1;
    // Edges point from a task to the tasks it waits for; show the cycle in the order the tasks wait.
    r.error(
      'E_CYCLE',
      'Runbook',
      name,
      ['spec', 'tasks', i, 'after', j],
      `task cycle: ${cycle.join(' → ')} (each waits for the next)`,
    );
  }
}

export function lintPlan(r: Reporter, plan: Plan, defs: Definitions, invalid: ReadonlySet<string>): void {
  const name = plan.metadata.name;
  const spec = plan.spec;
  const err = (code: Parameters<Reporter['error']>[0], path: (string | number)[], message: string): void =>
    r.error(code, 'Plan', name, ['spec', ...path], message);
  const fleet = defs.fleets.get(spec.fleet);
  if (!fleet && !invalid.has(`Fleet/${spec.fleet}`))
    err('E_UNKNOWN_REF', ['fleet'], `unknown fleet "${spec.fleet}"${suggest(spec.fleet, defs.fleets.keys())}`);
  const universe = universeOf(fleet, []);
  if (fleet) {
    if (!universe.datacenter?.has(spec.datacenter))
      err(
        'E_UNKNOWN_REF',
        ['datacenter'],
        `"${spec.datacenter}" is not a datacenter of fleet "${spec.fleet}"${suggest(spec.datacenter, universe.datacenter ?? [])}`,
      );
    if (Array.isArray(spec.services)) {
      spec.services.forEach((s, i) => {
        if (!universe.service?.has(s))
          err(
            'E_UNKNOWN_REF',
            ['services', i],
            `unknown service "${s}" in fleet "${spec.fleet}"${suggest(s, universe.service ?? [])}`,
          );
      });
    }
  }
  spec.runbooks.forEach((rule, i) => {
    const services = [
      ...(rule.match.service ? [[rule.match.service, ['runbooks', i, 'match', 'service']] as const] : []),
      ...(rule.match.services ?? []).map((s, j) => [s, ['runbooks', i, 'match', 'services', j]] as const),
    ];
    for (const [s, path] of services) {
      if (fleet && !universe.service?.has(s))
        err(
          'E_UNKNOWN_REF',
          [...path],
          `unknown service "${s}" in fleet "${spec.fleet}"${suggest(s, universe.service ?? [])}`,
        );
    }
    const rb = defs.runbooks.get(rule.runbook);
    if (!rb) {
      if (!invalid.has(`Runbook/${rule.runbook}`))
        err(
          'E_UNKNOWN_REF',
          ['runbooks', i, 'runbook'],
          `unknown runbook "${rule.runbook}"${suggest(rule.runbook, defs.runbooks.keys())}`,
        );
      return;
    }
    if (rb.spec.direction !== spec.direction) {
      err(
        'E_DIRECTION',
        ['runbooks', i, 'runbook'],
        `runbook "${rule.runbook}" is a ${rb.spec.direction} runbook, but plan "${name}" is a ${spec.direction} plan`,
      );
    }
    lintBinding(r, {
      kind: 'Plan',
      name,
      at: ['spec', 'runbooks', i],
      values: rule.with,
      implicit: new Set(['service', 'datacenter']),
      target: { params: rb.spec.params, label: `runbook "${rule.runbook}"` },
      scope: { params: {} },
      universe,
    });
  });
  let restore: Plan | undefined;
  if (spec.restorePlan !== undefined) {
    restore = defs.plans.get(spec.restorePlan);
    if (!restore) {
      if (!invalid.has(`Plan/${spec.restorePlan}`))
        err(
          'E_UNKNOWN_REF',
          ['restorePlan'],
          `unknown plan "${spec.restorePlan}"${suggest(spec.restorePlan, defs.plans.keys())}`,
        );
    } else if (restore.spec.direction === spec.direction || restore.spec.datacenter !== spec.datacenter) {
      const does = restore.spec.direction === 'drain' ? 'drains' : 'restores';
      err(
        'E_DIRECTION',
        ['restorePlan'],
        `plan "${spec.restorePlan}" does not undo "${name}": it ${does} ${restore.spec.datacenter}`,
      );
      restore = undefined;
    }
  } else if (spec.direction === 'drain') {
    restore = [...defs.plans.values()].find(
      (p) => p.spec.direction === 'restore' && p.spec.datacenter === spec.datacenter && p.spec.fleet === spec.fleet,
    );
    if (!restore) {
      r.warning(
        'W_NO_RESTORE',
        'Plan',
        name,
        ['metadata', 'name'],
        `drain plan "${name}" has no restore plan for datacenter "${spec.datacenter}" of fleet "${spec.fleet}"`,
      );
    }
  }
  // Every service drained must be brought back: the restore plan needs a runbook rule for each.
  if (fleet && restore && spec.direction === 'drain') {
    const unrestored = servicesOf(plan, fleet).filter(
      (s) => ruleFor(plan, s) !== undefined && ruleFor(restore, s) === undefined,
    );
    if (unrestored.length > 0) {
      r.warning(
        'W_NO_RESTORE',
        'Plan',
        name,
        ['metadata', 'name'],
        `plan "${restore.metadata.name}" has no runbook to restore ${unrestored.length === 1 ? 'service' : 'services'} ${unrestored
          .slice(0, 5)
          .map((x) => `"${x.name}"`)
          .join(', ')}${unrestored.length > 5 ? ` and ${unrestored.length - 5} more` : ''} that "${name}" drains`,
      );
    }
  }
}

type FleetService = Fleet['spec']['services'][number];

function servicesOf(plan: Plan, fleet: Fleet): FleetService[] {
  const wanted = plan.spec.services;
  return wanted === 'all' ? fleet.spec.services : fleet.spec.services.filter((s) => wanted.includes(s.name));
}

/** The first rule of the plan whose match fits the service, as the plan compiler picks it. */
function ruleFor(plan: Plan, s: FleetService): Plan['spec']['runbooks'][number] | undefined {
  return plan.spec.runbooks.find(
    ({ match: m }) =>
      (m.type === undefined || m.type === s.type) &&
      (m.userFacing === undefined || m.userFacing === (s.userFacing ?? false)) &&
      (m.service === undefined || m.service === s.name) &&
      (m.services === undefined || m.services.includes(s.name)),
  );
}

export function lintScenario(r: Reporter, sc: Scenario, defs: Definitions, invalid: ReadonlySet<string>): void {
  const name = sc.metadata.name;
  const spec = sc.spec;
  const err = (code: Parameters<Reporter['error']>[0], path: (string | number)[], message: string): void =>
    r.error(code, 'Scenario', name, ['spec', ...path], message);
  const fleet = defs.fleets.get(spec.fleet);
  if (!fleet && !invalid.has(`Fleet/${spec.fleet}`))
    err('E_UNKNOWN_REF', ['fleet'], `unknown fleet "${spec.fleet}"${suggest(spec.fleet, defs.fleets.keys())}`);
  const universe = universeOf(fleet, []);
  (spec.faults ?? []).forEach((f, i) => {
    if (fleet && f.datacenter !== undefined && !universe.datacenter?.has(f.datacenter))
      err(
        'E_UNKNOWN_REF',
        ['faults', i, 'datacenter'],
        `"${f.datacenter}" is not a datacenter of fleet "${spec.fleet}"${suggest(f.datacenter, universe.datacenter ?? [])}`,
      );
    if (fleet && f.service !== undefined && !universe.service?.has(f.service))
      err(
        'E_UNKNOWN_REF',
        ['faults', i, 'service'],
        `unknown service "${f.service}" in fleet "${spec.fleet}"${suggest(f.service, universe.service ?? [])}`,
      );
    if ((f.kind === 'datacenter-lost' || f.kind === 'backbone' || f.kind === 'receiver-slow') && !f.datacenter)
      err('E_SCHEMA', ['faults', i], `a ${f.kind} fault names its datacenter`);
    if (f.cluster !== undefined && f.kind !== 'receiver-slow')
      err('E_SCHEMA', ['faults', i, 'cluster'], `only a receiver-slow fault names a cluster (this one is ${f.kind})`);
    const own = fleet?.spec.datacenters.find((d) => d.name === f.datacenter)?.clusters;
    if (f.kind === 'receiver-slow' && f.cluster !== undefined && own && !own.includes(f.cluster))
      err(
        'E_UNKNOWN_REF',
        ['faults', i, 'cluster'],
        `"${f.cluster}" is not a cluster of datacenter "${f.datacenter}" (it has ${own.join(', ')})${suggest(f.cluster, own)}`,
      );
  });
  const runs = spec.run ?? [];
  runs.forEach((run, i) => {
    const plan = defs.plans.get(run.plan);
    if (!plan) {
      if (!invalid.has(`Plan/${run.plan}`))
        err('E_UNKNOWN_REF', ['run', i, 'plan'], `unknown plan "${run.plan}"${suggest(run.plan, defs.plans.keys())}`);
    } else if (plan.spec.fleet !== spec.fleet) {
      err(
        'E_FLEET',
        ['run', i, 'plan'],
        `plan "${run.plan}" is for fleet "${plan.spec.fleet}", but the scenario simulates fleet "${spec.fleet}"`,
      );
    }
    if (run.after !== undefined && !runs.some((o, j) => j !== i && o.plan === run.after)) {
      err('E_UNKNOWN_REF', ['run', i, 'after'], `runs after "${run.after}", which this scenario does not run`);
    }
    if (run.at === undefined && run.after === undefined)
      err('E_SCHEMA', ['run', i], "a run needs `at` (a time) or `after` (another run's plan)");
  });
  const edges = new Map<string, string[]>();
  for (const run of runs) if (run.after !== undefined) edges.set(run.plan, [...(edges.get(run.plan) ?? []), run.after]);
  for (const cycle of findCycles(
    runs.map((x) => x.plan),
    edges,
  )) {
    const i = runs.findIndex((x) => x.plan === cycle[0] && x.after === cycle[1]);
    err('E_CYCLE', ['run', i, 'after'], `run cycle: ${cycle.join(' → ')} (each waits for the next)`);
  }
}
