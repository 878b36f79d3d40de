/**
 * A generated fleet for benchmarks and scale tests: `services` services over `datacenters` datacenters, with an
 * acyclic dependency graph, every traffic type, and the reference templates and runbooks with a drain and a restore
 * plan for the first datacenter (`evacuate-dc0`, `restore-dc0`). Deterministic for a given seed.
 *
 * Capacities are sized for the load that actually arrives: user demand enters at the PoPs and is compounded
 * through the RPC call graph (load × fan-out, served in the caller's datacenter), the same model as the plan's
 * pre-flight check. Every datacenter then gets enough capacity that draining any one of them passes the pre-flight
 * check at 0.85 target utilisation, with a seeded margin per datacenter so that they are not all alike.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, stringify } from 'yaml';
import { seededRandom as random } from '../src/model/random.js';

export interface FleetShape {
  readonly services: number;
  readonly datacenters: number;
  readonly seed?: number;
  /** User-facing services, the first ones in the list (default 5 % of them, at least one). */
  readonly userFacing?: number;
  /** Most dependencies a service draws (default 3; each draw may repeat an earlier one or fall off the end). */
  readonly maxDependencies?: number;
  /** How far ahead in the list a dependency may point (default 60 services). */
  readonly window?: number;
  /** Name of the fleet (default "generated"). */
  readonly name?: string;
}

const root = fileURLToPath(new URL('..', import.meta.url));

function exampleDocuments(file: string): Record<string, unknown>[] {
  return parseAllDocuments(readFileSync(`${root}examples/${file}`, 'utf8')).map(
    (d) => d.toJS() as Record<string, unknown>,
  );
}

interface GeneratedPop {
  readonly share: number;
  readonly weights: Readonly<Record<string, number>>;
}

/** Target utilisation of the generated plans; capacities are sized so that their pre-flight checks pass. */
const TARGET_UTILIZATION = 0.85;

/**
 * Peak load per service (in list order) and datacenter. Every generated service runs in every datacenter, so user
 * demand splits by the PoPs' edge weights and every call is served in the caller's datacenter; dependencies point
 * forward in the list, so one pass in list order sees every caller before its callees. Bootstrap dependencies add
 * no load.
 */
function arrivingLoads(
  list: readonly Record<string, unknown>[],
  dcs: readonly string[],
  pops: readonly GeneratedPop[],
): number[][] {
  const index = new Map(list.map((s, i) => [s.name as string, i] as const));
  const loads = list.map(() => dcs.map(() => 0));
  for (const [i, s] of list.entries()) {
    const own = loads[i]!;
    const demand = typeof s.demand === 'number' ? s.demand : 0;
    for (const pop of pops) {
      const total = dcs.reduce((sum, dc) => sum + (pop.weights[dc] ?? 0), 0);
      if (total <= 0) continue;
      dcs.forEach((dc, k) => {
        own[k]! += (demand * pop.share * (pop.weights[dc] ?? 0)) / total;
      });
    }
    for (const dep of (s.dependsOn ?? []) as { service: string; kind: string; fanout: number }[]) {
      const j = index.get(dep.service);
      if (dep.kind === 'bootstrap' || j === undefined) continue;
      const to = loads[j]!;
      own.forEach((load, k) => {
        to[k]! += load * dep.fanout;
      });
    }
  }
  return loads;
}

/**
 * Gives every service capacity in every datacenter. Draining datacenter d passes when the others' headroom covers
 * d's load: Σ_{k≠d} (target·cap_k − load_k) ≥ load_d, i.e. target · Σ_{k≠d} cap_k ≥ total load. With
 * cap_k ≥ max(load_k, total / (n − 1)) / target · margin and margin ≥ 1.05 this holds for every d (and the restore
 * check, load_k ≤ target · cap_k, holds too). Margins come from their own seeded stream so that the fleet's shape
 * (types, dependencies, demand) stays what it was for a given seed.
 */
function sizeCapacities(
  list: Record<string, unknown>[],
  dcs: readonly string[],
  pops: readonly GeneratedPop[],
  seed: number,
): void {
  const loads = arrivingLoads(list, dcs, pops);
  const rnd = random(seed ^ 0x5bd1e995);
  for (const [i, service] of list.entries()) {
    const perDc = loads[i]!;
    const total = perDc.reduce((a, b) => a + b, 0);
    // A service that receives no load (only bootstrap callers) still gets a little capacity.
    const floor = Math.max(10, total / Math.max(1, dcs.length - 1));
    service.capacity = Object.fromEntries(
      dcs.map((dc, k) => {
        const margin = 1.05 + rnd() * 0.45;
        return [dc, Math.ceil((Math.max(perDc[k]!, floor) / TARGET_UTILIZATION) * margin)];
      }),
    );
  }
}

/** Every document of the generated fleet: the Fleet, the reference templates and runbooks, and two plans. */
export function generateFleetDocuments({
  services,
  datacenters,
  seed = 1,
  userFacing = Math.max(1, Math.floor(services * 0.05)),
  maxDependencies = 3,
  window = 60,
  name: fleetName = 'generated',
}: FleetShape): Record<string, unknown>[] {
  const rnd = random(seed);
  const dcs = Array.from({ length: datacenters }, (_, i) => `dc${i}`);
  const names = Array.from({ length: services }, (_, i) => `svc-${String(i).padStart(4, '0')}`);
  const list = names.map((name, i) => {
    const roll = rnd();
    const isUser = i < userFacing;
    const type = isUser
      ? roll < 0.8
        ? 'stateless'
        : 'sticky'
      : roll < 0.7
        ? 'stateless'
        : roll < 0.8
          ? 'sticky'
          : roll < 0.9
            ? 'replication'
            : 'stateful';
    const demand = isUser ? Math.round(1000 + rnd() * 9000) : undefined;
    // Dependencies only point forward in the list, so the graph is acyclic; a service near the end has few.
    const deps: Record<string, unknown>[] = [];
    const count = i + 1 < services ? Math.floor(rnd() * (maxDependencies + 1)) : 0;
    const seen = new Set<number>();
    for (let d = 0; d < count; d++) {
      const j = i + 1 + Math.floor(rnd() * Math.min(window, services - i - 1));
      if (j >= services || seen.has(j)) continue;
      seen.add(j);
      deps.push({ service: names[j], kind: rnd() < 0.1 ? 'bootstrap' : 'rpc', fanout: Math.round(rnd() * 20) / 10 });
    }
    const service: Record<string, unknown> = {
      name,
      type,
      ...(isUser ? { userFacing: true, demand } : {}),
      capacity: {}, // sized below, once the whole call graph is known
      ...(deps.length > 0 ? { dependsOn: deps } : {}),
    };
    if (type === 'sticky') service.session = { meanDuration: '10m' };
    if (type === 'replication')
      service.replication = { source: dcs[Math.floor(rnd() * datacenters)], applyDelay: '2m' };
    if (type === 'stateful') {
      const primary = Math.floor(rnd() * datacenters);
      service.stateful = {
        primary: dcs[primary],
        replicas: dcs.filter((_, k) => k !== primary),
        catchUp: '30s',
        writeOutage: '5s',
      };
    }
    return service;
  });
  const popCount = 4;
  const pops = Array.from({ length: popCount }, (_, p) => ({
    name: `pop${p}`,
    share: 1 / popCount,
    weights: Object.fromEntries(dcs.map((dc, k) => [dc, 10 + ((k + p) % datacenters) * 5])),
  }));
  sizeCapacities(list, dcs, pops, seed);
  const fleet = {
    apiVersion: 'maelstrom/v1',
    kind: 'Fleet',
    metadata: { name: fleetName },
    spec: {
      datacenters: dcs.map((name) => ({ name, clusters: [`${name}-a`, `${name}-b`] })),
      pops,
      services: list,
    },
  };
  const plan = (
    name: string,
    direction: 'drain' | 'restore',
    runbooks: Record<string, unknown>[],
  ): Record<string, unknown> => ({
    apiVersion: 'maelstrom/v1',
    kind: 'Plan',
    metadata: { name },
    spec: {
      fleet: fleetName,
      direction,
      datacenter: 'dc0',
      services: 'all',
      runbooks,
      concurrency: 16,
      pacing: { mode: 'closed-loop', targetUtilization: TARGET_UTILIZATION, settle: '60s' },
    },
  });
  return [
    fleet,
    ...exampleDocuments('templates.yaml'),
    ...exampleDocuments('runbooks.yaml'),
    plan('evacuate-dc0', 'drain', [
      { match: { type: 'stateless', userFacing: true }, runbook: 'drain-user-facing' },
      { match: { type: 'stateless' }, runbook: 'drain-internal' },
      { match: { type: 'sticky' }, runbook: 'drain-sticky' },
      { match: { type: 'replication' }, runbook: 'drain-replication' },
      { match: { type: 'stateful' }, runbook: 'drain-stateful' },
    ]),
    plan('restore-dc0', 'restore', [{ match: {}, runbook: 'restore-traffic' }]),
  ];
}

/** The same documents as one multi-document YAML text, ready to write to a file and load. */
export function generateFleetYaml(shape: FleetShape): string {
  return generateFleetDocuments(shape)
    .map((d) => stringify(d, { lineWidth: 0 }))
    .join('---\n');
}
