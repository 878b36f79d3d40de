import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { generateFleetDocuments } from '../bench/generate-fleet.js';

function maelstrom(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'bin/dev.ts', ...args], {
    encoding: 'utf8',
    env: { ...process.env, MAELSTROM_DEBUG: '' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('maelstrom plan', () => {
  it('shows the waves, the HCCs, the pre-flight table and the critical path', () => {
    const r = maelstrom('plan', 'evacuate-east', '-f', 'examples/');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Plan evacuate-east: drain east/);
    expect(r.stdout).toMatch(/Waves[^\n]*\n\s+1\s+web\/edge, api\/edge/);
    expect(r.stdout).toMatch(/Highly connected components:\n\s+auth/);
    expect(r.stdout).toMatch(/Pre-flight capacity check at 85\.0 % target utilisation: ok/);
    expect(r.stdout).toMatch(/web\s+8500\s+8900\s+83\.5 %\s+ok/);
    expect(r.stdout).toMatch(/Estimated critical path: 30m15s \(an estimate[^\n]*not a bound/);
  });

  it('explains with --explain, for every task, what it waits for and why', () => {
    const r = maelstrom('plan', 'evacuate-east', '-f', 'examples/', '--explain');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines).toContain('  web/edge: waits for nothing');
    expect(lines).toContain('  web/clusters ← web/edge: the order of runbook drain-user-facing');
    expect(lines).toContain('  feed/clusters ← web/clusters: web → feed rpc, drain callers first');
    expect(lines).toContain(
      '  chat-proxy/sessions ← messenger/sessions: messenger → chat-proxy state, drain callers first',
    );
    expect(lines).toContain(
      '      expected 45s: nothing left to move when it starts: its callers (chat-proxy) have left east before it',
    );
    // Every task is explained, and every one of its waits.
    const json = maelstrom('plan', 'evacuate-east', '-f', 'examples/', '--json');
    const plan = JSON.parse(json.stdout) as { tasks: { id: string; after: string[] }[] };
    for (const t of plan.tasks) {
      if (t.after.length === 0) expect(lines).toContain(`  ${t.id}: waits for nothing`);
      for (const a of t.after) expect(lines.some((l) => l.startsWith(`  ${t.id} ← ${a}: `))).toBe(true);
    }

    const restore = maelstrom('plan', 'restore-east', '-f', 'examples/', '--explain').stdout.split('\n');
    expect(restore).toContain('  feed/clusters ← cache/edge: feed → cache rpc, restore callees first');
    expect(
      restore.some((l) =>
        /^ {2}web\/clusters ← config\/\w+: web → config bootstrap, restore what a service needs/.test(l),
      ),
    ).toBe(true);
  });

  it('prints one JSON object with --json', () => {
    const r = maelstrom('plan', 'evacuate-east', '-f', 'examples/', '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown> & {
      tasks: Record<string, unknown>[];
      preflight: { ok: boolean; services: unknown[] };
    };
    expect(Object.keys(out).slice(0, 6)).toEqual(['plan', 'tasks', 'waves', 'hccs', 'preflight', 'criticalPath']);
    expect(out.plan).toBe('evacuate-east');
    expect(out.tasks[0]).toMatchObject({
      id: 'web/edge',
      service: 'web',
      runbook: 'drain-user-facing',
      task: 'edge',
      template: 'shift-traffic',
      after: [],
    });
    expect(out.hccs).toEqual(['auth']);
    expect(out.preflight.ok).toBe(true);
    expect(out.preflight.services).toHaveLength(15);
    expect((out.criticalPath as string[]).length).toBeGreaterThan(0);
  });

  it('prints a failing pre-flight check with its figures and exits 3', () => {
    const dir = mkdtempSync(join(tmpdir(), 'maelstrom-plan-'));
    const fleet = join(dir, 'small.yaml');
    writeFileSync(
      fleet,
      [
        'apiVersion: maelstrom/v1',
        'kind: Fleet',
        'metadata: { name: example }',
        'spec:',
        '  datacenters: [{ name: east, clusters: [east-a] }, { name: west, clusters: [west-a] }]',
        '  pops: [{ name: nyc, share: 1, weights: { east: 50, west: 50 } }]',
        '  services: [{ name: web, type: stateless, userFacing: true, demand: 1000, capacity: { east: 600, west: 600 } }]',
        '---',
        'apiVersion: maelstrom/v1',
        'kind: Plan',
        'metadata: { name: evacuate-east }',
        'spec:',
        '  fleet: example',
        '  direction: drain',
        '  datacenter: east',
        '  runbooks: [{ match: {}, runbook: drain-user-facing }]',
        '',
      ].join('\n'),
    );
    const r = maelstrom(
      'plan',
      'evacuate-east',
      '-f',
      fleet,
      '-f',
      'examples/templates.yaml',
      '-f',
      'examples/runbooks.yaml',
    );
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('Pre-flight capacity check at 85.0 % target utilisation: FAILED');
    // 500 req/s in east; west has 600 × 0.85 − 500 = 10 of headroom.
    expect(r.stdout).toMatch(/web\s+500\s+10\s+166\.7 %\s+NO: needs 500 req\/s moved/);
    expect(r.stderr).toContain('E_PREFLIGHT');
  });

  it('reports definition errors with their position, and an unknown plan, calmly', () => {
    const dir = mkdtempSync(join(tmpdir(), 'maelstrom-plan-'));
    const bad = join(dir, 'bad.yaml');
    writeFileSync(
      bad,
      'apiVersion: maelstrom/v1\nkind: Plan\nmetadata: { name: x }\nspec:\n  fleet: example\n  direction: sideways\n',
    );
    const r = maelstrom('plan', 'x', '-f', bad);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bad\.yaml:6:\d+: error E_SCHEMA/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const unknown = maelstrom('plan', 'evacuate-mars', '-f', 'examples/');
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toContain('E_NOT_FOUND');
    expect(unknown.stderr).toContain('evacuate-east');
  });

  it('ends quietly when its reader goes away (`maelstrom plan … | head`)', async () => {
    // A plan of a 300-service fleet prints far more than a pipe holds, so the writes after the reader left fail.
    const dir = mkdtempSync(join(tmpdir(), 'maelstrom-pipe-'));
    const docs = generateFleetDocuments({ services: 300, datacenters: 4 });
    writeFileSync(join(dir, 'fleet.yaml'), docs.map((d) => stringify(d)).join('---\n'));
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'bin/dev.ts', 'plan', 'evacuate-dc0', '-f', dir, '--json'],
      {
        env: { ...process.env, MAELSTROM_DEBUG: '' },
      },
    );
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});
