/**
 * `maelstrom drain-test --search-faults` as a user runs it: the report's faultSearch section, a replay file beside
 * the report for each counterexample (which drain-test then reproduces), the HTML section, and the exit codes (0
 * for a search that ran to its end, whatever it found; non-zero with a clear error when it could not run).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'maelstrom-fault-cli-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const cli = (...args: string[]) =>
  run(process.execPath, ['--import', 'tsx', 'bin/dev.ts', ...args], { env: { ...process.env, NO_COLOR: '1' } });

interface Counterexample {
  faults: { kind: string }[];
  violated: string[];
  replay: string;
  execution: number;
  scenario: string;
}

describe('maelstrom drain-test --search-faults', () => {
  it('writes faultSearch and a replay file per counterexample beside the report, which drain-test reproduces', async () => {
    const json = join(dir, 'search', 'report.json');
    const html = join(dir, 'search.html');
    const { stdout } = await cli(
      'drain-test',
      'small-drain',
      '-f',
      'test/fixtures/small',
      '--search-faults',
      '--max-faults',
      '1',
      '--budget',
      '8',
      '--faults',
      'stage-fail,controller-crash',
      '--workers',
      '1',
      '--report',
      json,
      '--html',
      html,
    );
    const report = JSON.parse(readFileSync(json, 'utf8')) as {
      violations: string[];
      faultSearch: {
        strategy: string;
        executions: number;
        certified: boolean;
        maxFaults: number;
        counterexamples: Counterexample[];
      };
    };
    expect(report.violations).toEqual([]);
    const f = report.faultSearch;
    expect(f).toMatchObject({ strategy: 'lineage', executions: 8, certified: false, maxFaults: 1 });
    expect(f.counterexamples.length).toBeGreaterThan(0);
    for (const c of f.counterexamples) {
      expect(c.execution).toBeGreaterThan(0);
      expect(c.violated.length).toBeGreaterThan(0);
      expect(isAbsolute(c.replay)).toBe(true);
      expect(dirname(c.replay)).toBe(dirname(json));
      expect(existsSync(c.replay)).toBe(true);
      expect(stdout).toContain(`replay: maelstrom drain-test ${c.scenario} -f test/fixtures/small -f ${c.replay}`);
    }
    expect(new Set(f.counterexamples.map((c) => c.scenario)).size).toBe(f.counterexamples.length);
    expect(readFileSync(html, 'utf8')).toContain('<h2>Fault search</h2>');

    // A replayed counterexample fails as it did in the search: drain-test exits 3 (a plan did not succeed).
    const c = f.counterexamples.find((x) => x.violated.includes('plans-succeeded'))!;
    const replayed = join(dir, 'replayed.json');
    const replay = ['drain-test', c.scenario, '-f', 'test/fixtures/small', '-f', c.replay, '--what-if', '0'];
    await expect(cli(...replay, '--report', replayed)).rejects.toMatchObject({ code: 3 });
    expect((JSON.parse(readFileSync(replayed, 'utf8')) as { violations: string[] }).violations).toEqual(c.violated);
  }, 180_000);

  it('refuses a report inside an -f folder, an unknown fault kind and search options without --search-faults', async () => {
    const search = ['drain-test', 'small-drain', '-f', 'test/fixtures/small', '--search-faults'];
    await expect(cli(...search, '--report', 'test/fixtures/small/r.json')).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/inside -f test\/fixtures\/small/),
    });
    await expect(cli(...search, '--faults', 'stage-fail,meteor')).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/unknown kind meteor/),
    });
    await expect(
      cli('drain-test', 'small-drain', '-f', 'test/fixtures/small', '--max-faults', '2'),
    ).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/--max-faults needs --search-faults/),
    });
    expect(existsSync('test/fixtures/small/r.json')).toBe(false);
  }, 120_000);
});
