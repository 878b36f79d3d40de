/** `maelstrom lab` as a user runs it: the report on stdout, and nothing left running afterwards, also on Ctrl-C. */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { eventually, haveLab } from './programs.js';

interface Cli { stdout: string; stderr: string; code: number | null | undefined; kill(signal: NodeJS.Signals): void; exited: Promise<number | null> }

function cli(args: string[]): Cli {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bin/dev.ts', ...args], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Cli = {
    stdout: '', stderr: '', code: undefined,
    kill: (s) => { child.kill(s); },
    exited: new Promise((resolve) => child.on('exit', (c) => { out.code = c; resolve(c); })),
  };
  child.stdout.on('data', (c: Buffer) => { out.stdout += c.toString(); });
  child.stderr.on('data', (c: Buffer) => { out.stderr += c.toString(); });
  return out;
}

/** Processes whose command line names the lab's temp dir. */
async function processesUsing(dir: string): Promise<number> {
  let n = 0;
  for (const pid of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(pid)) continue;
    const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmd.includes(dir)) n += 1;
  }
  return n;
}

const labDir = (stderr: string): string | undefined => /(\/[^\s]*maelstrom-lab-[A-Za-z0-9]+)/.exec(stderr)?.[1];

describe.skipIf(!haveLab)('maelstrom lab', () => {
  it('drains and restores under load with no failed request, prints the report, and leaves nothing running', async () => {
    const run = cli(['lab', '--datacenters', '3', '--rps', '600', '--duration', '1s']);
    expect(await run.exited).toBe(0);
    const report = JSON.parse(run.stdout) as { outcome: string; failedRequests: number; plans: { outcome: string; direction: string }[]; load: { requests: number } };
    expect(report.outcome).toBe('succeeded');
    expect(report.failedRequests).toBe(0);
    expect(report.plans.map((p) => [p.direction, p.outcome])).toEqual([['drain', 'succeeded'], ['restore', 'succeeded']]);
    expect(report.load.requests).toBeGreaterThan(600 * 5);
    const dir = labDir(run.stderr)!;
    expect(dir).toBeDefined();
    expect(existsSync(dir)).toBe(false);
    expect(await processesUsing(dir)).toBe(0);
  }, 120_000);

  it('stops everything it started on Ctrl-C', async () => {
    const run = cli(['lab', '--rps', '300']);
    await eventually('the drain to start', () => run.stderr.includes('starting lab-drain'), 60_000);
    const dir = labDir(run.stderr)!;
    expect(await processesUsing(dir)).toBeGreaterThan(0);
    run.kill('SIGINT');
    const code = await run.exited;
    expect(code).not.toBe(0);
    expect(run.stderr).toContain('stopping everything');
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(await processesUsing(dir)).toBe(0);
    expect(existsSync(dir)).toBe(false);
  }, 120_000);

  it('refuses bad options with a clear error', async () => {
    const run = cli(['lab', '--datacenters', '1']);
    expect(await run.exited).toBe(2);
    expect(run.stderr).toContain('--datacenters must be a whole number of at least 2');
  }, 60_000);
});
