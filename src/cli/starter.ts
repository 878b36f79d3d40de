/**
 * The starter set `maelstrom init` writes: a fleet of the given datacenters with services of all four traffic types,
 * the reference templates and runbooks, a drain and a restore plan for each datacenter, and a drain-test scenario
 * for each. Capacities are sized so that any one datacenter can be drained into the others below the plans' 85 %
 * target, so the set validates and drains as written; the user replaces the figures with their own.
 */
import { MaelstromError } from '../model/errors.js';
import { Name } from '../model/definitions.js';

export interface StarterOptions {
  readonly fleet: string;
  readonly datacenters: readonly string[];
  /** How many services (at least 4: one of each traffic type). */
  readonly services: number;
  /** The reference templates.yaml and runbooks.yaml, copied as they are. */
  readonly templates: string;
  readonly runbooks: string;
}

/** File name → contents, in the order they are written. */
export type StarterFiles = ReadonlyArray<readonly [name: string, text: string]>;

export const MIN_SERVICES = 4;
export const MAX_SERVICES = 60;

interface Dep {
  readonly service: string;
  readonly kind: 'rpc' | 'state';
  readonly fanout: number;
}

interface StarterService {
  readonly name: string;
  readonly type: 'stateless' | 'sticky' | 'replication' | 'stateful';
  readonly userFacing?: boolean;
  readonly demand?: number;
  readonly comment: string;
  readonly deps: Dep[];
}

/**
 * The services, by count: web and chat face users (stateless, sticky), db is stateful and search replicated, then
 * api and cache (internal, stateless), then as many more internal services behind api as asked for.
 */
function services(count: number): StarterService[] {
  const has = (i: number): boolean => count > i;
  const out: StarterService[] = [
    {
      name: 'web',
      type: 'stateless',
      userFacing: true,
      demand: 4000,
      comment: 'user-facing, stateless',
      deps: has(4)
        ? [
            { service: 'api', kind: 'rpc', fanout: 1.0 },
            { service: 'search', kind: 'rpc', fanout: 0.3 },
          ]
        : [
            { service: 'db', kind: 'rpc', fanout: 0.2 },
            { service: 'search', kind: 'rpc', fanout: 0.3 },
          ],
    },
    {
      name: 'chat',
      type: 'sticky',
      userFacing: true,
      demand: 1000,
      comment: 'user-facing, long-lived sessions',
      deps: [{ service: 'db', kind: 'state', fanout: 0.5 }],
    },
    { name: 'db', type: 'stateful', comment: 'one primary, replicas elsewhere', deps: [] },
    { name: 'search', type: 'replication', comment: 'read replicas fed from one source', deps: [] },
  ];
  if (has(4)) out.push({ name: 'api', type: 'stateless', comment: 'internal', deps: [] });
  const api = out.find((s) => s.name === 'api');
  api?.deps.push({ service: 'db', kind: 'rpc', fanout: 0.2 });
  if (has(5)) {
    out.push({ name: 'cache', type: 'stateless', comment: 'internal', deps: [] });
    api?.deps.push({ service: 'cache', kind: 'rpc', fanout: 2.0 });
  }
  for (let i = out.length; i < count; i++) {
    const name = `service-${i + 1}`;
    out.push({ name, type: 'stateless', comment: 'internal', deps: [] });
    api?.deps.push({ service: name, kind: 'rpc', fanout: 0.5 });
  }
  return out;
}

/** Peak requests per second each service serves: its users' demand plus what its callers send it. */
function loads(list: readonly StarterService[]): Map<string, number> {
  const load = new Map<string, number>();
  const visit = (s: StarterService, amount: number): void => {
    load.set(s.name, (load.get(s.name) ?? 0) + amount);
    for (const d of s.deps)
      visit(
        list.find((x) => x.name === d.service)!,
        amount * d.fanout,
      );
  };
  for (const s of list) if (s.demand !== undefined) visit(s, s.demand);
  return load;
}

/**
 * Capacity per datacenter: with one datacenter drained, the others carry the whole load, each at most about 62 %
 * of what it can serve (the PoPs lean 70 % on their own datacenter, so one of them takes more than an equal share).
 */
function capacityFor(load: number, datacenters: number): number {
  return Math.max(500, Math.ceil((load * 1.6) / (datacenters - 1) / 100) * 100);
}

function checkOptions(o: StarterOptions): void {
  const bad = (message: string): never => {
    throw new MaelstromError('E_BAD_REQUEST', message);
  };
  if (o.datacenters.length < 2) bad(`give at least two datacenters (--datacenters a,b): a drain needs somewhere to go`);
  for (const name of [o.fleet, ...o.datacenters])
    if (!Name.safeParse(name).success)
      bad(`"${name}" is not a name: a name is lower-case letters, digits, dots and dashes`);
  const dup = o.datacenters.find((d, i) => o.datacenters.indexOf(d) !== i);
  if (dup !== undefined) bad(`datacenter "${dup}" is given twice`);
  if (!Number.isInteger(o.services) || o.services < MIN_SERVICES || o.services > MAX_SERVICES)
    bad(
      `--services must be a whole number from ${MIN_SERVICES} (one of each traffic type) to ${MAX_SERVICES}, ` +
        `got ${o.services}`,
    );
}

/** Shares of 1 in thousandths, the last taking what rounding left, so that they sum to exactly 1. */
function shares(n: number): number[] {
  const each = Math.floor(1000 / n) / 1000;
  return Array.from({ length: n }, (_, i) => (i < n - 1 ? each : Math.round((1 - each * (n - 1)) * 1000) / 1000));
}

function flow(entries: ReadonlyArray<readonly [string, string | number]>): string {
  return `{ ${entries.map(([k, v]) => `${k}: ${v}`).join(', ')} }`;
}

function fleetYaml(o: StarterOptions): string {
  const dcs = o.datacenters;
  const [home] = dcs as [string, ...string[]];
  const list = services(o.services);
  const load = loads(list);
  const others = Math.round(30 / (dcs.length - 1));
  const share = shares(dcs.length);
  const lines = [
    `# Your fleet: ${dcs.length} datacenters, one point of presence (PoP) beside each, ${list.length} services of all four`,
    '# traffic types. Replace the figures with your own: capacity is requests per second at 100 % utilisation in each',
    '# datacenter, demand the global peak of user requests per second. `maelstrom plan evacuate-' + home + ' -f .`',
    "# checks that the other datacenters can take a drained one's load (docs/definitions.md describes every field).",
    'apiVersion: maelstrom/v1',
    'kind: Fleet',
    'metadata:',
    `  name: ${o.fleet}`,
    'spec:',
    '  datacenters:',
    ...dcs.flatMap((dc) => [`    - name: ${dc}`, `      clusters: [${dc}-a, ${dc}-b]`]),
    '  pops:                       # where user traffic enters: share of global demand, and default edge weights',
    ...dcs.map((dc, i) => {
      const weights = flow(dcs.map((d) => [d, d === dc ? 70 : others] as const));
      return `    - { name: ${dc}-pop, share: ${share[i]}, weights: ${weights} }`;
    }),
    '  services:',
  ];
  for (const s of list) {
    const cap = capacityFor(load.get(s.name) ?? 0, dcs.length);
    lines.push(`${`    - name: ${s.name}`.padEnd(30)}# ${s.comment}`, `      type: ${s.type}`);
    if (s.userFacing) lines.push('      userFacing: true', `      demand: ${s.demand}`);
    lines.push(`      capacity: ${flow(dcs.map((dc) => [dc, cap] as const))}`);
    if (s.type === 'sticky') lines.push('      session: { meanDuration: 10m }');
    if (s.type === 'replication') lines.push(`      replication: { source: ${home}, applyDelay: 2m }`);
    if (s.type === 'stateful') {
      const replicas = dcs.filter((d) => d !== home).join(', ');
      lines.push(`      stateful: { primary: ${home}, replicas: [${replicas}], catchUp: 30s, writeOutage: 5s }`);
    }
    if (s.deps.length > 0) {
      lines.push('      dependsOn:');
      for (const d of s.deps) lines.push(`        - { service: ${d.service}, kind: ${d.kind}, fanout: ${d.fanout} }`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function plansYaml(o: StarterOptions): string {
  const docs = o.datacenters.flatMap((dc) => [
    [
      'apiVersion: maelstrom/v1',
      'kind: Plan',
      'metadata:',
      `  name: evacuate-${dc}`,
      `  description: Move every service's traffic, and the state whose primary or source is there, out of ${dc}.`,
      'spec:',
      `  fleet: ${o.fleet}`,
      '  direction: drain',
      `  datacenter: ${dc}`,
      '  services: all',
      '  runbooks:                    # the first rule a service matches picks its runbook',
      '    - { match: { type: stateless, userFacing: true }, runbook: drain-user-facing }',
      '    - { match: { type: stateless }, runbook: drain-internal }',
      '    - { match: { type: sticky }, runbook: drain-sticky }',
      '    - { match: { type: replication }, runbook: drain-replication }',
      '    - { match: { type: stateful }, runbook: drain-stateful }',
      '  concurrency: 8',
      '  pacing:',
      '    mode: closed-loop          # each step sized from what the receivers can still take',
      '    targetUtilization: 0.85',
      '    settle: 60s',
    ].join('\n'),
    [
      'apiVersion: maelstrom/v1',
      'kind: Plan',
      'metadata:',
      `  name: restore-${dc}`,
      `  description: Bring ${dc} back as it was before the drain, its traffic and the state whose home it is.`,
      'spec:',
      `  fleet: ${o.fleet}`,
      '  direction: restore',
      `  datacenter: ${dc}`,
      '  services: all',
      '  runbooks:                    # traffic, then primaries and sources whose home is this datacenter (docs/restore.md)',
      '    - { match: { type: stateful }, runbook: restore-stateful }',
      '    - { match: { type: replication }, runbook: restore-replication }',
      '    - { match: {}, runbook: restore-traffic }',
      '  concurrency: 8',
      '  pacing:',
      '    mode: closed-loop',
      '    targetUtilization: 0.85',
      '    settle: 60s',
    ].join('\n'),
  ]);
  const header =
    '# A drain plan and a restore plan for each datacenter. A plan picks a runbook for each service and orders the\n' +
    "# tasks from the fleet's dependencies: callers drain before their callees, and come back after them.\n";
  return `${header}${docs.join('\n---\n')}\n`;
}

function scenariosYaml(o: StarterOptions): string {
  const docs = o.datacenters.map((dc) =>
    [
      'apiVersion: maelstrom/v1',
      'kind: Scenario',
      'metadata:',
      `  name: drain-test-${dc}`,
      `  description: A drain test of ${dc} at the evening peak, then the restore, in the simulator.`,
      'spec:',
      `  fleet: ${o.fleet}`,
      '  seed: 1',
      '  start: 2026-03-02T19:30:00Z',
      '  duration: 12h               # long enough for the slowest pacer (--compare fixed) to finish both plans',
      '  load: { curve: diurnal, peak: "20:00", trough: 0.45, noise: 0.02 }',
      '  propagation: { edge: 30s, cluster: 10s }',
      '  run:',
      `    - { at: 5m, plan: evacuate-${dc} }`,
      `    - { after: evacuate-${dc}, wait: 30m, plan: restore-${dc} }`,
    ].join('\n'),
  );
  const header = `# Drain tests on virtual time: \`maelstrom drain-test drain-test-${o.datacenters[0]} -f .\`\n`;
  return `${header}${docs.join('\n---\n')}\n`;
}

/** Replaces the reference files' opening comment with one that says where they came from. */
function copied(text: string, what: string): string {
  const body = text.replace(/^(#[^\n]*\n)+/, '');
  return (
    `# The reference ${what}, as maelstrom init copied them: they work with any fleet; adapt them to your tools.\n` +
    '# Strings inside ${{ }} and every condition are CEL expressions (docs/expressions.md).\n' +
    body
  );
}

/** The files of the starter set. Throws E_BAD_REQUEST for options it cannot honour. */
export function starterFiles(o: StarterOptions): StarterFiles {
  checkOptions(o);
  return [
    ['fleet.yaml', fleetYaml(o)],
    ['templates.yaml', copied(o.templates, 'task templates')],
    ['runbooks.yaml', copied(o.runbooks, 'runbooks')],
    ['plans.yaml', plansYaml(o)],
    ['scenarios.yaml', scenariosYaml(o)],
  ];
}
