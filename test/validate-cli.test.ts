import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

function validate(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'bin/dev.ts', 'validate', ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const dir = mkdtempSync(join(tmpdir(), 'maelstrom-validate-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string, content: string | Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

const laughs = ['a: &a [x, x, x, x, x, x, x, x, x]'];
for (let i = 1; i < 9; i++)
  laughs.push(
    `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9)
      .fill(`*${String.fromCharCode(96 + i)}`)
      .join(', ')}]`,
  );

describe('maelstrom validate', () => {
  it('exits 0 with a one-line summary for the reference examples', () => {
    const r = validate('-f', 'examples/');
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(r.stdout).toMatch(
      /^valid: 1 fleet \(\d+ services, 3 datacenters\), \d+ templates, \d+ runbooks, \d+ plans, \d+ scenarios/,
    );
  });

  it('exits 1 listing every error as PATH:LINE:COL: error CODE: message', () => {
    const r = validate(
      '-f',
      'examples',
      '-f',
      'test/fixtures/bad/unknown-ref.yaml',
      '-f',
      'test/fixtures/bad/capacity.yaml',
    );
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split('\n');
    expect(lines.at(-1)).toBe('invalid: 16 errors');
    for (const line of lines.slice(0, -1))
      expect(line).toMatch(/^test\/fixtures\/bad\/[a-z-]+\.yaml:\d+:\d+: error E_[A-Z_]+: .+/);
    expect(r.stdout).toContain(
      'test/fixtures/bad/capacity.yaml:15:12: error E_CAPACITY: the capacity of "s" in "a" must be a positive number, not 0',
    );
  });

  it('never shows a stack trace, however broken the input', () => {
    mkdirSync(join(dir, 'no-yaml'));
    writeFileSync(join(dir, 'no-yaml', 'notes.txt'), 'hello');
    const paths = [
      file('binary.yaml', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2, 3, 0xff, 0xfe])),
      file('empty.yaml', ''),
      join(dir, 'no-yaml'),
      join(dir, 'missing.yaml'),
      file('scalar.yaml', 'just a string\n'),
      file('list.yaml', '- 1\n- 2\n'),
      file(
        'huge.yaml',
        'apiVersion: maelstrom/v1\nkind: Plan\nmetadata: { name: huge }\nspec: { fleet: example, direction: drain, datacenter: east, concurrency: 99999999999999999999999999999999, runbooks: [{ match: {}, runbook: drain-internal }] }\n',
      ),
      file('version.yaml', 'apiVersion: maelstrom/v9\nkind: Fleet\nmetadata: { name: v9 }\nspec: {}\n'),
      file('laughs.yaml', `${laughs.join('\n')}\n`),
      file('garbage.yaml', '{{{ ]]] :::\n\t- - -\n'),
      file('kind.yaml', 'apiVersion: maelstrom/v1\nkind: Fleets\n'),
    ];
    const r = validate(...paths.flatMap((p) => ['-f', p]));
    expect(r.code).toBe(1);
    expect(`${r.stdout}${r.stderr}`).not.toMatch(/\n\s+at /);
    for (const p of [
      'binary.yaml',
      'no-yaml',
      'missing.yaml',
      'scalar.yaml',
      'list.yaml',
      'huge.yaml',
      'version.yaml',
      'laughs.yaml',
      'garbage.yaml',
      'kind.yaml',
    ]) {
      expect(r.stdout, p).toContain(p);
    }
  });

  it('fails calmly without any path', () => {
    const r = validate();
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^maelstrom: error E_BAD_REQUEST: give at least one -f PATH/);
  });
});
