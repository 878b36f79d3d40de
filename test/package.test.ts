/**
 * The published package as a new project gets it: `npm pack` this checkout, install the tarball into a scratch
 * project in a temporary directory, type-check TypeScript that uses the API (strict, `skipLibCheck: false`, no type
 * package but @types/node), run it with node, and run the installed CLI on a TypeScript definitions module.
 *
 * The install is offline first. The scratch project's lockfile is this checkout's, cut down to the package's own
 * dependencies, so npm needs only their tarballs, which its cache holds since this checkout was installed (without a
 * lockfile npm asks the registry for every package's full metadata). Where the registry is reachable, anything
 * missing comes from it. Install scripts are skipped; better-sqlite3's native addon is copied from this checkout's.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docExample } from './doc-examples.js';

const ROOT = join(import.meta.dirname, '..');
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

interface LockEntry {
  readonly version?: string;
  readonly dev?: boolean;
  readonly dependencies?: Record<string, string>;
  readonly optionalDependencies?: Record<string, string>;
  readonly [key: string]: unknown;
}

function run(command: string, args: readonly string[], cwd: string): SpawnSyncReturns<string> {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: 300_000 });
  if (r.error) throw r.error;
  return r;
}

function mustRun(command: string, args: readonly string[], cwd: string): string {
  const r = run(command, args, cwd);
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** The newest modification time of the sources dist/ is built from. */
function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (/\.ts$/.test(entry.name) && !/\.test\.ts$/.test(entry.name))
      newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** dist/ as it is when it is up to date with src/; compiled again (without the dashboard) when it is not. */
function ensureBuilt(): void {
  const entry = join(ROOT, 'dist', 'index.d.ts');
  if (existsSync(entry) && statSync(entry).mtimeMs >= newestSource(join(ROOT, 'src'))) return;
  mustRun(process.execPath, [TSC, '-p', 'tsconfig.build.json'], ROOT);
}

/** This checkout's lockfile entries that the packed package needs at run time, plus @types/node for the project. */
function scratchLock(tarball: string, integrity: string): { manifest: object; lock: object } {
  const own = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
    bin: Record<string, string>;
  };
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry>;
  };
  const typesNode = own.devDependencies['@types/node'];
  if (typesNode === undefined) throw new Error('@types/node is not a devDependency');
  const dependencies = { maelstrom: `file:${tarball}`, '@types/node': typesNode };
  const packages: Record<string, unknown> = {
    '': { name: 'scratch', dependencies },
    'node_modules/maelstrom': {
      version: '0.1.0',
      resolved: `file:${tarball}`,
      integrity,
      dependencies: own.dependencies,
      bin: own.bin,
    },
  };
  const wanted = new Set(['node_modules/@types/node', 'node_modules/undici-types']);
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path === '' || (entry.dev === true && !wanted.has(path))) continue;
    const { dev: _dev, devOptional: _devOptional, ...rest } = entry;
    packages[path] = rest;
  }
  return {
    manifest: { name: 'scratch', private: true, type: 'module', dependencies },
    lock: { name: 'scratch', lockfileVersion: 3, requires: true, packages },
  };
}

/** Uses every name the package promises, so that a missing export or a wrong type fails to compile. */
const CHECK = `import {
  compilePlan,
  createController,
  createSimBackend,
  defineFleet,
  definePlan,
  defineRunbook,
  defineScenario,
  defineTemplate,
  loadDefinitions,
  type CompiledPlan,
  type Runbook,
} from 'maelstrom';

const documents = [
  defineFleet({
    metadata: { name: 'tiny' },
    spec: {
      datacenters: [
        { name: 'east', clusters: ['east-1'] },
        { name: 'west', clusters: ['west-1'] },
      ],
      pops: [{ name: 'nyc', share: 1, weights: { east: 1, west: 1 } }],
      services: [{ name: 'web', type: 'stateless', userFacing: true, demand: 100, capacity: { east: 200, west: 200 } }],
    },
  }),
  defineTemplate({
    metadata: { name: 'shift' },
    spec: {
      params: { service: { type: 'service' }, datacenter: { type: 'datacenter' } },
      stages: [{ uses: 'traffic.shift', with: { service: '\${{ params.service }}', datacenter: '\${{ params.datacenter }}' } }],
    },
  }),
  defineRunbook({
    metadata: { name: 'drain' },
    spec: {
      direction: 'drain',
      params: { service: { type: 'service' }, datacenter: { type: 'datacenter' } },
      tasks: [{ name: 'shift', template: 'shift', with: { service: '\${{ params.service }}', datacenter: '\${{ params.datacenter }}' } }],
    },
  }),
  definePlan({
    metadata: { name: 'evacuate-east' },
    spec: { fleet: 'tiny', direction: 'drain', datacenter: 'east', runbooks: [{ match: {}, runbook: 'drain' }] },
  }),
  defineScenario({ metadata: { name: 'quiet' }, spec: { fleet: 'tiny', start: '2026-06-01T00:00:00Z', duration: '1h' } }),
];

const { definitions, diagnostics } = await loadDefinitions(documents);
const runbook: Runbook | undefined = definitions.runbooks.get('drain');
const compiled: CompiledPlan = compilePlan(definitions, 'evacuate-east');
const backend = createSimBackend({ fleet: definitions.fleets.get('tiny')!, scenario: definitions.scenarios.get('quiet')! });
console.log(
  JSON.stringify({
    errors: diagnostics.filter((d) => d.severity === 'error').length,
    runbook: runbook?.spec.tasks.map((t) => t.name),
    tasks: compiled.tasks.map((t) => t.id),
    backend: backend.name,
    createController: typeof createController,
  }),
);
`;

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    lib: ['ES2023'],
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    skipLibCheck: false,
    types: ['node'],
    outDir: 'out',
  },
  files: ['check.ts', 'rehearse.ts', 'definitions.ts'],
};

let scratch: string;
let packDir: string;
let compile: SpawnSyncReturns<string>;

beforeAll(() => {
  ensureBuilt();
  packDir = mkdtempSync(join(tmpdir(), 'maelstrom-pack-'));
  const packed = JSON.parse(
    mustRun('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', packDir], ROOT),
  ) as { filename: string; integrity: string }[];
  const tarball = join(packDir, packed[0]!.filename);
  scratch = mkdtempSync(join(tmpdir(), 'maelstrom-scratch-'));
  const { manifest, lock } = scratchLock(tarball, packed[0]!.integrity);
  writeFileSync(join(scratch, 'package.json'), JSON.stringify(manifest, null, 2));
  writeFileSync(join(scratch, 'package-lock.json'), JSON.stringify(lock, null, 2));
  mustRun('npm', ['ci', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund'], scratch);
  cpSync(
    join(ROOT, 'node_modules', 'better-sqlite3', 'build'),
    join(scratch, 'node_modules', 'better-sqlite3', 'build'),
    { recursive: true },
  );
  writeFileSync(join(scratch, 'tsconfig.json'), JSON.stringify(TSCONFIG, null, 2));
  writeFileSync(join(scratch, 'check.ts'), CHECK);
  writeFileSync(join(scratch, 'rehearse.ts'), docExample('rehearse.ts'));
  writeFileSync(join(scratch, 'definitions.ts'), docExample('definitions.ts'));
  compile = run(process.execPath, [TSC, '-p', '.', '--listFiles'], scratch);
}, 420_000);

afterAll(() => {
  for (const d of [scratch, packDir]) if (d) rmSync(d, { recursive: true, force: true });
});

describe('the packed package in a new project', () => {
  it('type-checks code using the API under strict TypeScript with skipLibCheck: false', () => {
    const errors = compile.stdout.split('\n').filter((l) => /error TS\d+/.test(l));
    expect(errors).toEqual([]);
    expect(compile.status).toBe(0);
  });

  it('publishes declarations that reach no type package but @types/node and the dependencies of its own', () => {
    const reached = new Set<string>();
    for (const file of compile.stdout.split('\n')) {
      const inScratch = relative(join(scratch, 'node_modules'), file);
      if (inScratch.startsWith('..') || inScratch === file) continue;
      const parts = inScratch.split(sep);
      reached.add(parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!);
    }
    expect(reached.has('maelstrom')).toBe(true);
    const own = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      devDependencies: Record<string, string>;
    };
    const devOnly = Object.keys(own.devDependencies).filter((d) => d !== '@types/node');
    expect([...reached].filter((p) => devOnly.includes(p) || (p.startsWith('@types/') && p !== '@types/node'))).toEqual(
      [],
    );
    expect([...reached].filter((p) => ['better-sqlite3', 'pg', 'vitest', 'autocannon'].includes(p))).toEqual([]);
  });

  it('runs it with node: defines, loads and compiles a plan', () => {
    const out = JSON.parse(mustRun(process.execPath, ['out/check.js'], scratch)) as Record<string, unknown>;
    expect(out).toEqual({
      errors: 0,
      runbook: ['shift'],
      tasks: ['web/shift'],
      backend: 'sim',
      createController: 'function',
    });
  });

  it('runs the rehearsal of docs/typescript.md to its end on the simulator', () => {
    const out = mustRun(process.execPath, ['out/rehearse.js'], scratch);
    expect(out.trim()).toMatch(/^evacuate-east: succeeded in \d+ min$/);
  });

  it('its CLI plans from the per-service TypeScript module of docs/typescript.md, loaded beside the YAML', () => {
    const cli = join('node_modules', 'maelstrom', 'bin', 'maelstrom.js');
    const examples = join('node_modules', 'maelstrom', 'examples');
    const r = run(
      process.execPath,
      [cli, 'plan', 'evacuate-east-by-service', '-f', examples, '-f', 'definitions.ts'],
      scratch,
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Plan evacuate-east-by-service: drain east \(fleet example\), 8 tasks, /);
    expect(r.stdout).toContain('1  web/edge, api/edge, photos/edge');
  });
});
