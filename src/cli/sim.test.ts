import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/** Starts `maelstrom sim` from source and resolves with its URL once it prints it. */
function startSim(args: readonly string[]): {
  child: ReturnType<typeof spawn>;
  url: Promise<string>;
  exit: Promise<number | null>;
  output: () => string;
} {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bin/dev.ts', 'sim', ...args], {
    cwd: process.cwd(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const url = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.stderr.on('data', (b: Buffer) => {
      out += b.toString();
    });
    child.once('exit', () => reject(new Error(`maelstrom sim exited: ${out}`)));
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, url, exit, output: () => out };
}

describe('maelstrom sim', () => {
  it('serves a scenario on loopback at N× speed, another program drives and scrapes it, and SIGTERM stops it cleanly', async () => {
    const sim = startSim(['drain-test-east', '-f', 'examples/', '--speed', '60', '--port', '0']);
    const url = await sim.url;
    const clock = (await (await fetch(`${url}/clock`)).json()) as { now: number; speed: number };
    expect(clock.speed).toBe(60);
    expect(clock.now).toBeGreaterThanOrEqual(Date.parse('2026-03-02T19:30:00Z'));
    const act = await fetch(`${url}/act`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        action: {
          kind: 'weights.set',
          layer: 'edge',
          service: 'web',
          source: 'nyc',
          weights: { east: 0, west: 1, central: 1 },
        },
      }),
    });
    expect(await act.json()).toMatchObject({ changed: true });
    const journal = (await (await fetch(`${url}/journal`)).json()) as unknown[];
    expect(journal).toHaveLength(1);
    expect(await (await fetch(`${url}/metrics`)).text()).toMatch(
      /maelstrom_sim_load\{service="web",datacenter="east"\}/,
    );
    sim.child.kill('SIGTERM');
    expect(await sim.exit).toBe(0);
    expect(sim.output()).toContain('stopped');
  }, 30_000);

  it('names the scenarios it knows when the one asked for does not exist', async () => {
    const sim = startSim(['no-such', '-f', 'examples/', '--port', '0']);
    sim.url.catch(() => undefined);
    expect(await sim.exit).toBe(4);
    expect(sim.output()).toContain(
      'no scenario "no-such" (scenarios: drain-test-east, fibre-cut-east, receiver-degrades)',
    );
    expect(sim.output()).not.toMatch(/\n\s+at /);
  }, 30_000);
});
