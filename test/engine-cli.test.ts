import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'maelstrom-run-cli-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function cli(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'bin/dev.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, FORCE_COLOR: '0' },
    timeout: 60_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('maelstrom run, status and the operator commands', () => {
  const store = `sqlite:${join(dir, 'runs.db')}`;

  it('runs evacuate-east on the in-process simulator to the end, in plain lines, with zero overload', () => {
    const r = cli('run', 'evacuate-east', '-f', 'examples/', '--store', store);
    expect(r.code, r.err + r.out).toBe(0);
    expect(r.out).toMatch(/^started run run-\w+ of evacuate-east: 18 tasks on sim/m);
    expect(r.out).toMatch(/task web\/edge succeeded/);
    expect(r.out).toMatch(/run run-\w+ of evacuate-east: succeeded/);
    expect(r.out).toMatch(/simulator: 0s of overload/);
  });

  it('status lists the run; operator commands check their input against the store', () => {
    const s = cli('status', '--all', '--store', store);
    expect(s.code, s.err).toBe(0);
    const id = /^(run-\w+)\s+evacuate-east\s+succeeded/m.exec(s.out)?.[1];
    expect(id, s.out).toBeDefined();
    const skip = cli('skip', id!, 'web/edge', '--store', store);
    expect(skip.code).toBe(2);
    expect(skip.err).toMatch(/E_BAD_REQUEST: skip needs --reason/);
    const pause = cli('pause', id!, '--store', store, '--wait', '0');
    expect(pause.code).toBe(3);
    expect(pause.err).toMatch(/E_INVALID_STATE: run run-\w+ is succeeded/);
    const missing = cli('abort', 'run-nope', '--store', store, '--wait', '0');
    expect(missing.code).toBe(4);
  });
}, 120_000);
