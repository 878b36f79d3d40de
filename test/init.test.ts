/**
 * Your own fleet from minute one: `maelstrom init` writes a starter set that validates and drains (and whose restore
 * brings the datacenter back as it was), `demo -f` serves it, and a server started through npm stops when npm's shell
 * is gone.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { SimBackend } from '../src/backends/sim/backend.js';
import { startDemo } from '../src/cli/demo.js';
import { initStarter } from '../src/cli/init.js';
import { loadAndLint } from '../src/load/check.js';
import { isMaelstromError } from '../src/model/errors.js';
import { drainTestOnSim } from './drain-test-fixture.js';

const root = mkdtempSync(join(tmpdir(), 'maelstrom-init-'));
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

async function drill(dir: string, scenario: string): Promise<{ outcome: string; backend: SimBackend }> {
  const { definitions, diagnostics } = await loadAndLint([dir]);
  expect(diagnostics).toEqual([]);
  return drainTestOnSim(definitions, scenario);
}

async function refusal(dir: string, options: Parameters<typeof initStarter>[1]): Promise<string> {
  try {
    await initStarter(dir, options);
  } catch (e) {
    if (isMaelstromError(e)) return `${e.code}: ${e.message}`;
    throw e;
  }
  throw new Error('init did not refuse');
}

describe('maelstrom init', () => {
  it('writes a starter set for two datacenters that validates, drains and restores the state home', async () => {
    const dir = join(root, 'acme');
    const written = await initStarter(dir, { datacenters: ['east', 'west'] });
    expect(written.map((p) => p.slice(dir.length + 1))).toEqual([
      'fleet.yaml',
      'templates.yaml',
      'runbooks.yaml',
      'plans.yaml',
      'scenarios.yaml',
    ]);
    const { definitions } = await loadAndLint([dir]);
    const fleet = definitions.fleets.get('acme')!;
    expect(fleet.spec.services.map((s) => s.type).sort()).toEqual([
      'replication',
      'stateful',
      'stateless',
      'stateless',
      'stateless',
      'sticky',
    ]);
    expect([...definitions.plans.keys()].sort()).toEqual([
      'evacuate-east',
      'evacuate-west',
      'restore-east',
      'restore-west',
    ]);
    const { outcome, backend } = await drill(dir, 'drain-test-east');
    expect(outcome).toBe('succeeded');
    const snap = await backend.snapshot();
    expect(snap.services['db']!.primary).toBe('east');
    expect(snap.services['search']!.replicationSource).toBe('east');
  }, 120_000);

  it('sizes three datacenters and nine services so that any one of them drains', async () => {
    const dir = join(root, 'three');
    await initStarter(dir, { datacenters: ['a', 'b', 'c'], services: 9, fleet: 'shop' });
    const { outcome } = await drill(dir, 'drain-test-b');
    expect(outcome).toBe('succeeded');
  }, 120_000);

  it('writes the four traffic types with four services, and validates', async () => {
    const dir = join(root, 'four');
    await initStarter(dir, { datacenters: ['x', 'y'], services: 4 });
    const { definitions, diagnostics } = await loadAndLint([dir]);
    expect(diagnostics).toEqual([]);
    expect(definitions.fleets.get('four')!.spec.services).toHaveLength(4);
  });

  it('refuses what it cannot honour, and never overwrites', async () => {
    const dir = join(root, 'refused');
    expect(await refusal(dir, { datacenters: ['east'] })).toMatch(/^E_BAD_REQUEST: give at least two datacenters/);
    expect(await refusal(dir, { datacenters: ['East', 'west'] })).toContain('"East" is not a name');
    expect(await refusal(dir, { datacenters: ['a', 'a'] })).toContain('datacenter "a" is given twice');
    expect(await refusal(dir, { datacenters: ['a', 'b'], services: 3 })).toContain('--services must be');
    expect(existsSync(dir)).toBe(false);
    rmSync(dir, { recursive: true, force: true });
    const taken = join(root, 'taken');
    await initStarter(taken, { datacenters: ['a', 'b'] }).catch(() => undefined);
    writeFileSync(join(root, 'taken', 'plans.yaml'), '# mine\n');
    const before = readdirSync(taken);
    expect(await refusal(taken, { datacenters: ['a', 'b'] })).toMatch(/^E_FILE: .*already exist.*never overwrites/);
    expect(readdirSync(taken)).toEqual(before);
  });
});

describe('maelstrom demo -f', () => {
  it('serves one’s own definitions, paced for their first drain plan', async () => {
    const dir = join(root, 'demo');
    await initStarter(dir, { datacenters: ['north', 'south'] });
    const demo = await startDemo({ files: [dir], port: 0 });
    try {
      expect(demo.fleet.metadata.name).toBe('demo');
      expect(demo.plan.metadata.name).toBe('evacuate-north');
      const res = await fetch(`${demo.url}/api/v1/definitions`, { headers: { authorization: `Bearer ${demo.token}` } });
      expect(res.status).toBe(200);
      expect(JSON.stringify(await res.json())).toContain('restore-south');
    } finally {
      await demo.close();
    }
  }, 60_000);
});

describe('a demo started through npm', () => {
  it('stops when the shell npm ran it in is gone, as after a SIGTERM to npx', async () => {
    const dir = join(root, 'npx');
    await initStarter(dir, { datacenters: ['a', 'b'] });
    // npm runs the command in `sh -c`; the trailing `true` keeps sh from replacing itself with node, as npm's does.
    const sh = spawn('sh', ['-c', `"${process.execPath}" --import tsx bin/dev.ts demo -f "${dir}" --port 0; true`], {
      env: { ...process.env, npm_command: 'exec', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    sh.stdout.on('data', (b: Buffer) => (out += b.toString()));
    sh.stderr.on('data', (b: Buffer) => (out += b.toString()));
    // The pipes close only once every process holding them, the demo too, has ended.
    const closed = new Promise<void>((resolve) => sh.on('close', () => resolve()));
    await new Promise<void>((resolve, reject) => {
      sh.stdout.on('data', () => {
        if (out.includes('dashboard:')) resolve();
      });
      sh.on('exit', () => reject(new Error(`the demo did not start:\n${out}`)));
    });
    sh.kill('SIGKILL');
    await closed;
    expect(out).toContain('maelstrom demo: stopped');
  }, 120_000);
});
