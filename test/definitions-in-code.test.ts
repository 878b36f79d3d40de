/**
 * Definitions written in TypeScript: the `define…` helpers give the model the YAML gives, a `.ts`/`.mts`/`.mjs` module
 * given with `-f` is loaded like a YAML file, and whatever is wrong in one is reported as a YAML mistake is: file,
 * line where known, the node's path, a stable code, never a stack trace.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import {
  compilePlan,
  defineFleet,
  definePlan,
  defineRunbook,
  defineScenario,
  defineTemplate,
  formatDiagnostic,
  loadDefinitions,
  type DefinitionDocument,
} from '../src/index.js';
import { docExample } from './doc-examples.js';

const ROOT = join(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'maelstrom-modules-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

/** An import of the define helpers from this checkout, for modules written to a temporary directory. */
const API = JSON.stringify(join(ROOT, 'src', 'index.ts'));

/** The per-service example of docs/typescript.md, importing this checkout, in an ES-module package of its own. */
const MODULE = (() => {
  const own = mkdtempSync(join(dir, 'docs-example-'));
  writeFileSync(join(own, 'package.json'), '{ "type": "module" }\n');
  const path = join(own, 'definitions.ts');
  writeFileSync(path, docExample('definitions.ts').replace("from 'maelstrom'", `from ${API}`));
  return path;
})();

describe('the define helpers', () => {
  it('defineRunbook and definePlan give exactly the documents their YAML gives, defaults and all', async () => {
    const yaml = file(
      'checkout.yaml',
      [
        'apiVersion: maelstrom/v1',
        'kind: Runbook',
        'metadata: { name: drain-checkout }',
        'spec:',
        '  direction: drain',
        '  params: { service: { type: service }, datacenter: { type: datacenter }, grace: { type: duration, default: 5m } }',
        '  tasks:',
        '    - name: sessions',
        '      template: drain-sessions',
        "      with: { service: '${{ params.service }}', datacenter: '${{ params.datacenter }}', grace: '${{ params.grace }}' }",
        '---',
        'apiVersion: maelstrom/v1',
        'kind: Plan',
        'metadata: { name: evacuate-east-checkout }',
        'spec:',
        '  fleet: example',
        '  direction: drain',
        '  datacenter: east',
        '  services: [messenger]',
        '  runbooks: [{ match: {}, runbook: drain-checkout }]',
        '',
      ].join('\n'),
    );
    const runbook = defineRunbook({
      metadata: { name: 'drain-checkout' },
      spec: {
        direction: 'drain',
        params: {
          service: { type: 'service' },
          datacenter: { type: 'datacenter' },
          grace: { type: 'duration', default: '5m' },
        },
        tasks: [
          {
            name: 'sessions',
            template: 'drain-sessions',
            with: {
              service: '${{ params.service }}',
              datacenter: '${{ params.datacenter }}',
              grace: '${{ params.grace }}',
            },
          },
        ],
      },
    });
    const plan = definePlan({
      metadata: { name: 'evacuate-east-checkout' },
      spec: {
        fleet: 'example',
        direction: 'drain',
        datacenter: 'east',
        services: ['messenger'],
        runbooks: [{ match: {}, runbook: 'drain-checkout' }],
      },
    });
    const fromYaml = await loadDefinitions(['examples', yaml]);
    const fromCode = await loadDefinitions(['examples', runbook, plan]);
    expect(fromYaml.diagnostics.map(formatDiagnostic)).toEqual([]);
    expect(fromCode.diagnostics.map(formatDiagnostic)).toEqual([]);
    expect(fromCode.definitions.runbooks.get('drain-checkout')).toEqual(
      fromYaml.definitions.runbooks.get('drain-checkout'),
    );
    const parsedPlan = fromCode.definitions.plans.get('evacuate-east-checkout');
    expect(parsedPlan).toEqual(fromYaml.definitions.plans.get('evacuate-east-checkout'));
    expect(parsedPlan?.spec.concurrency).toBe(8);
    expect(compilePlan(fromCode.definitions, 'evacuate-east-checkout')).toEqual(
      compilePlan(fromYaml.definitions, 'evacuate-east-checkout'),
    );
  });

  it('every reference example, rewritten with its helper, loads to the same model as its YAML', async () => {
    const helpers = {
      Fleet: defineFleet,
      TaskTemplate: defineTemplate,
      Runbook: defineRunbook,
      Plan: definePlan,
      Scenario: defineScenario,
    } as const;
    const documents: DefinitionDocument[] = [];
    for (const name of ['fleet', 'templates', 'runbooks', 'plans', 'scenarios']) {
      for (const doc of parseAllDocuments(readFileSync(join(ROOT, 'examples', `${name}.yaml`), 'utf8'))) {
        const { apiVersion: _a, kind, ...rest } = doc.toJS() as { apiVersion: string; kind: keyof typeof helpers };
        documents.push((helpers[kind] as (d: object) => DefinitionDocument)(rest));
      }
    }
    const fromYaml = await loadDefinitions(['examples']);
    const fromCode = await loadDefinitions(documents);
    expect(fromCode.diagnostics.map(formatDiagnostic)).toEqual([]);
    for (const kind of ['fleets', 'templates', 'runbooks', 'plans', 'scenarios'] as const) {
      expect(fromCode.definitions[kind].size).toBeGreaterThan(0);
      expect(fromCode.definitions[kind]).toEqual(fromYaml.definitions[kind]);
    }
  });

  it('leave the call site out of the document: no extra key, the same JSON as the YAML', () => {
    const runbook = defineRunbook({ metadata: { name: 'x' }, spec: { direction: 'drain', tasks: [] } });
    expect(Object.keys(runbook)).toEqual(['metadata', 'spec', 'apiVersion', 'kind']);
    expect(JSON.parse(JSON.stringify(runbook))).toEqual({
      apiVersion: 'maelstrom/v1',
      kind: 'Runbook',
      metadata: { name: 'x' },
      spec: { direction: 'drain', tasks: [] },
    });
  });

  it('point an error in a document built in code at its define call, with the path inside it', async () => {
    const line = new Error().stack!.split('\n')[1]!.match(/:(\d+):\d+\)?$/)![1];
    const broken = defineRunbook({
      metadata: { name: 'drain-broken' },
      spec: { direction: 'drain', tasks: [{ name: 'shift', template: 'shfit-traffic' }] },
    });
    const { diagnostics } = await loadDefinitions(['examples', broken]);
    expect(diagnostics.map(formatDiagnostic)).toEqual([
      `test/definitions-in-code.test.ts:${Number(line) + 1}:20: error E_UNKNOWN_REF: Runbook/drain-broken ` +
        'spec.tasks.0.template: unknown template "shfit-traffic" (did you mean "shift-traffic"?)',
    ]);
  });
});

describe('a definitions module', () => {
  it('the docs example, a .ts module generating one runbook per service, loads beside the YAML and compiles', async () => {
    const { definitions, diagnostics } = await loadDefinitions(['examples', MODULE]);
    expect(diagnostics.map(formatDiagnostic)).toEqual([]);
    expect(
      [...definitions.runbooks.keys()].filter((n) => /^drain-(web|api|photos|feed|profile)$/.test(n)),
    ).toHaveLength(5);
    const compiled = compilePlan(definitions, 'evacuate-east-by-service');
    expect(compiled.tasks.map((t) => t.id).sort()).toEqual([
      'api/clusters',
      'api/edge',
      'feed/clusters',
      'photos/clusters',
      'photos/edge',
      'profile/clusters',
      'web/clusters',
      'web/edge',
    ]);
  });

  it('an .mjs module of plain objects loads too', async () => {
    const mjs = file(
      'plain.mjs',
      `export default ${JSON.stringify([
        {
          apiVersion: 'maelstrom/v1',
          kind: 'Runbook',
          metadata: { name: 'drain-plain' },
          spec: { direction: 'drain', tasks: [{ name: 'clusters', template: 'shift-traffic' }] },
        },
      ])};\n`,
    );
    const { definitions, diagnostics } = await loadDefinitions(['examples', mjs]);
    expect(diagnostics.filter((d) => d.code !== 'E_PARAM').map(formatDiagnostic)).toEqual([]);
    expect(definitions.runbooks.has('drain-plain')).toBe(true);
  });

  it.each([
    ['no default export', 'none.mjs', 'export const documents = [];\n', /^the module has no default export/],
    [
      'a default export that is not a list',
      'object.mjs',
      "export default { kind: 'Runbook' };\n",
      /^the default export is an object, not a list of documents/,
    ],
  ])('%s is one E_MODULE diagnostic at the top of the module', async (_what, name, text, message) => {
    const path = file(name, text);
    const { diagnostics } = await loadDefinitions(['examples', path]);
    expect(diagnostics.map((d) => ({ code: d.code, file: d.file, line: d.line, column: d.column }))).toEqual([
      { code: 'E_MODULE', file: path, line: 1, column: 1 },
    ]);
    expect(diagnostics[0]?.message).toMatch(message);
  });

  it('a wrong kind in a module names the document and suggests the kind', async () => {
    const mjs = file(
      'kind.mjs',
      "export default [{ apiVersion: 'maelstrom/v1', kind: 'Runbok', metadata: { name: 'r' }, spec: {} }];\n",
    );
    const { diagnostics } = await loadDefinitions(['examples', mjs]);
    expect(diagnostics.map((d) => d.message)).toEqual([
      'document 1: kind "Runbok" is not one of Fleet, TaskTemplate, Runbook, Plan, Scenario, Schedule, Trigger, Notifier; did you mean "Runbook"?',
    ]);
  });

  it('is run only when named: a directory holding one loads its YAML alone, and says why when there is none', async () => {
    const only = mkdtempSync(join(dir, 'only-modules-'));
    writeFileSync(join(only, 'defs.mjs'), 'throw new Error("must not run");\n');
    const { diagnostics } = await loadDefinitions([only]);
    expect(diagnostics.map((d) => `${d.code}: ${d.message}`)).toEqual([
      'E_FILE: no .yaml or .yml files here (a .ts or .mjs module is read only when given by name: -f FILE)',
    ]);
  });
});

describe('maelstrom validate -f MODULE', () => {
  const validate = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'bin/dev.ts', 'validate', ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
    });

  it('accepts a .ts module beside the YAML', () => {
    const r = validate('-f', 'examples', '-f', MODULE);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^valid: /);
  });

  it('reports every broken module as PATH:LINE:COL: error CODE, at the line where known, never with a stack', () => {
    // Run by the CLI rather than in this process, whose test runner rewrites stack traces and imports.
    const broken = {
      'syntax-ts.mts': 'const a: number = 1;\nexport default [ a b ];\n',
      'syntax-js.mjs': 'const a = 1;\nexport default [ a b ];\n',
      'throws.mts':
        "const services = ['web'];\nexport default services.map((s) => {\n  throw new TypeError(`no owner for ${s}`);\n});\n",
      'schema.mts': [
        `import { defineRunbook } from ${API};`,
        'export default [',
        "  defineRunbook({ metadata: { name: 'drain-x' }, spec: { direction: 'sideways', tasks: [] } } as never),",
        '];',
        '',
      ].join('\n'),
      'missing.mts': "import { defineFleet } from 'maelstrom';\nexport default [defineFleet({} as never)];\n",
      // No package.json says "module" above a temporary directory: tsx runs this as CommonJS, whose stack traces
      // have no lines, so the document is placed at the top of its file.
      'commonjs.ts': `import { defineRunbook } from ${API};\nexport default [defineRunbook({ metadata: { name: 'y' } } as never)];\n`,
    };
    const paths = Object.entries(broken).map(([name, text]) => file(name, text));
    const r = validate('-f', 'examples', ...paths.flatMap((p) => ['-f', p]));
    expect(r.status).toBe(1);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => l.replace(`${dir}/`, ''));
    expect(lines).toEqual([
      'commonjs.ts:1:1: error E_SCHEMA: Runbook/y spec: missing',
      expect.stringMatching(
        /^missing\.mts:1:1: error E_MODULE: an import of the module cannot be found: .*'maelstrom'.* \(install it where the module is: npm install maelstrom\)$/,
      ),
      'schema.mts:3:3: error E_SCHEMA: Runbook/drain-x spec.direction: "sideways" is not one of drain, restore',
      expect.stringMatching(/^schema\.mts:3:3: error E_SCHEMA: Runbook\/drain-x spec\.tasks: .*1/),
      expect.stringMatching(/^syntax-js\.mjs:2:20: error E_MODULE: syntax error: (Unexpected identifier|Expected "]")/),
      'syntax-ts.mts:2:20: error E_MODULE: syntax error: Expected "]" but found "b"',
      'throws.mts:3:9: error E_MODULE: the module threw TypeError: no owner for web',
      'invalid: 7 errors',
    ]);
    expect(r.stdout + r.stderr).not.toMatch(/\n\s+at /);
  });
});
