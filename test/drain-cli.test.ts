import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'maelstrom-drain-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const cli = (...args: string[]) =>
  run(process.execPath, ['--import', 'tsx', 'bin/dev.ts', ...args], { env: { ...process.env, NO_COLOR: '1' } });

describe('maelstrom drain-test', () => {
  it('compares pacers, prints the summary table and writes the JSON and HTML reports', async () => {
    const json = join(dir, 'r.json');
    const html = join(dir, 'r.html');
    const { stdout, stderr } = await cli(
      'drain-test',
      'small-drain',
      '-f',
      'test/fixtures/small',
      '--compare',
      'closed-loop,oracle',
      '--what-if',
      '0',
      '--report',
      json,
      '--html',
      html,
    );
    expect(stdout).toMatch(
      /pacer\s+outcome\s+drain\s+userFacingDrain\s+overload\s+maxUtilization\s+failedRequests\s+criticalPath/,
    );
    expect(stdout).toMatch(/^ {2}closed-loop\s+succeeded\s+(\d+h)?(\d+m)?\d+s\s/m);
    expect(stdout).toMatch(/^ {2}oracle\s+succeeded\s+(\d+h)?(\d+m)?\d+s\s/m);
    // Not a terminal: plain progress lines on stderr.
    expect(stderr).toMatch(/\[closed-loop\] \d\d:\d\d:\d\d evacuate-east: succeeded/);
    const report = JSON.parse(readFileSync(json, 'utf8')) as {
      scenario: string;
      pacing: string;
      compare: { pacing: string }[];
      plans: { name: string }[];
    };
    expect(report.scenario).toBe('small-drain');
    expect(report.pacing).toBe('closed-loop');
    expect(report.compare.map((r) => r.pacing)).toEqual(['oracle']);
    expect(report.plans.map((p) => p.name)).toEqual(['evacuate-east', 'restore-east']);
    expect(readFileSync(html, 'utf8')).toMatch(/^<!doctype html>/);
  }, 60_000);

  it('refuses an unknown pacer and an unknown scenario with a clear error', async () => {
    await expect(
      cli('drain-test', 'small-drain', '-f', 'test/fixtures/small', '--pacing', 'fast'),
    ).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/unknown pacing "fast"/) });
    await expect(cli('drain-test', 'nope', '-f', 'test/fixtures/small')).rejects.toMatchObject({
      code: 4,
      stderr: expect.stringMatching(/no scenario "nope"/),
    });
  }, 60_000);
});
