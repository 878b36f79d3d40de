/**
 * A generated fleet for benchmarks and scale tests: `services` services over `datacenters` datacenters, with an
 * acyclic dependency graph, every traffic type, and the reference templates and runbooks with a drain and a restore
 * plan for the first datacenter (`evacuate-dc0`, `restore-dc0`). Deterministic for a given seed.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, stringify } from 'yaml';

export interface FleetShape {
  readonly services: number;
  readonly datacenters: number;
  readonly seed?: number;
}

/** A small seeded generator (mulberry32), so that the same shape gives the same fleet on every machine. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const root = fileURLToPath(new URL('..', import.meta.url));

function exampleDocuments(file: string): Record<string, unknown>[] {
  return parseAllDocuments(readFileSync(`${root}examples/${file}`, 'utf8')).map((d) => d.toJS() as Record<string, unknown>);
}

/** Every document of the generated fleet: the Fleet, the reference templates and runbooks, and two plans. */
export function generateFleetDocuments({ services, datacenters, seed = 1 }: FleetShape): Record<string, unknown>[] {
  const rnd = random(seed);
  const dcs = Array.from({ length: datacenters }, (_, i) => `dc${i}`);
  const names = Array.from({ length: services }, (_, i) => `svc-${String(i).padStart(4, '0')}`);
  const userFacing = Math.max(1, Math.floor(services * 0.05));
  const list = names.map((name, i) => {
    const roll = rnd();
    const isUser = i < userFacing;
    const type = isUser ? (roll < 0.8 ? 'stateless' : 'sticky') : roll < 0.7 ? 'stateless' : roll < 0.8 ? 'sticky' : roll < 0.9 ? 'replication' : 'stateful';
    const demand = isUser ? Math.round(1000 + rnd() * 9000) : undefined;
    // Dependencies only point forward in the list, so the graph is acyclic; a service near the end has few.
    const deps: Record<string, unknown>[] = [];
    const count = i + 1 < services ? Math.floor(rnd() * 4) : 0;
    const seen = new Set<number>();
    for (let d = 0; d < count; d++) {
      const j = i + 1 + Math.floor(rnd() * Math.min(60, services - i - 1));
      if (j >= services || seen.has(j)) continue;
      seen.add(j);
      deps.push({ service: names[j], kind: rnd() < 0.1 ? 'bootstrap' : 'rpc', fanout: Math.round(rnd() * 20) / 10 });
    }
    // Enough everywhere to absorb the loss of any one datacenter at the default target utilisation.
    const perDc = Math.ceil(((demand ?? 50_000) / Math.max(1, datacenters - 1)) * 2);
    const service: Record<string, unknown> = {
      name, type, ...(isUser ? { userFacing: true, demand } : {}),
      capacity: Object.fromEntries(dcs.map((dc) => [dc, perDc])),
      ...(deps.length > 0 ? { dependsOn: deps } : {}),
    };
    if (type === 'sticky') service.session = { meanDuration: '10m' };
    if (type === 'replication') service.replication = { source: dcs[Math.floor(rnd() * datacenters)], applyDelay: '2m' };
    if (type === 'stateful') {
      const primary = Math.floor(rnd() * datacenters);
      service.stateful = { primary: dcs[primary], replicas: dcs.filter((_, k) => k !== primary), catchUp: '30s', writeOutage: '5s' };
    }
    return service;
  });
  const popCount = 4;
  const fleet = {
    apiVersion: 'maelstrom/v1', kind: 'Fleet', metadata: { name: 'generated' },
    spec: {
      datacenters: dcs.map((name) => ({ name, clusters: [`${name}-a`, `${name}-b`] })),
      pops: Array.from({ length: popCount }, (_, p) => ({
        name: `pop${p}`, share: 1 / popCount,
        weights: Object.fromEntries(dcs.map((dc, k) => [dc, 10 + ((k + p) % datacenters) * 5])),
      })),
      services: list,
    },
  };
  const plan = (name: string, direction: 'drain' | 'restore', runbooks: Record<string, unknown>[]): Record<string, unknown> => ({
    apiVersion: 'maelstrom/v1', kind: 'Plan', metadata: { name },
    spec: { fleet: 'generated', direction, datacenter: 'dc0', services: 'all', runbooks, concurrency: 16, pacing: { mode: 'closed-loop', targetUtilization: 0.85, settle: '60s' } },
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
  return generateFleetDocuments(shape).map((d) => stringify(d, { lineWidth: 0 })).join('---\n');
}
