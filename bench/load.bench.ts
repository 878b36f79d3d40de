/**
 * Load on the controller server while a drain runs: 200 clients on the event stream and 500 status requests per
 * second for 30 s, all on loopback. Figures: p99 status latency (target ≤ 50 ms) and events lost (target: none).
 * MAELSTROM_BENCH_SECONDS shortens the run for a quick check; MAELSTROM_BENCH_DEMO_NODE_ARGS passes Node options to
 * the demo (`--cpu-prof` to see where its time goes).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { sseClient } from './sse-clients.js';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

interface AutocannonResult {
  latency: { p50: number; p90: number; p99: number; max: number; average: number };
  requests: { total: number; average: number };
  errors: number;
  timeouts: number;
  non2xx: number;
}
type Autocannon = (options: Record<string, unknown>, done: (err: unknown, result: AutocannonResult) => void) => unknown;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const CLIENTS = Number(process.env.MAELSTROM_BENCH_CLIENTS ?? 200);
const RATE = 500;

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The demo in a process of its own, so that the load generator does not share the server's event loop; the built
 * package (what `npx maelstrom demo` runs) when it has been built, the sources otherwise.
 */
async function spawnDemo(): Promise<{ url: string; token: string; stop(): Promise<void> }> {
  const entry = existsSync(join(ROOT, 'dist', 'main.js')) ? ['bin/maelstrom.js'] : ['--import', 'tsx', 'bin/dev.ts'];
  const child = spawn(
    process.execPath,
    [
      ...(process.env.MAELSTROM_BENCH_DEMO_NODE_ARGS ? process.env.MAELSTROM_BENCH_DEMO_NODE_ARGS.split(' ') : []),
      ...entry,
      'demo',
      '--port',
      '0',
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  const ready = await new Promise<{ url: string; token: string }>((resolve, reject) => {
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      out += d;
      const m = /dashboard:\s+(http:\/\/[^/\s]+)\/#token=(\S+)/.exec(out);
      if (m) resolve({ url: m[1]!, token: m[2]! });
    });
    child.once('exit', (code) => {
      reject(new Error(`demo exited with ${code}: ${out}`));
    });
  });
  return {
    ...ready,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => {
          resolve();
        });
        child.kill('SIGINT');
      }),
  };
}

/** The stream clients, in their own process (bench/sse-clients.ts). */
async function spawnClients(
  url: string,
  token: string,
  count: number,
): Promise<{ report(): Promise<{ seqs: number[][]; errors: number }> }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'bench', 'sse-clients.ts'), url, token, String(count)],
    { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d: string) => {
    out += d;
  });
  await new Promise<void>((resolve, reject) => {
    const check = setInterval(() => {
      if (out.includes('ready\n')) {
        clearInterval(check);
        resolve();
      }
    }, 20);
    child.once('exit', (code) => {
      clearInterval(check);
      reject(new Error(`the stream clients exited with ${code}`));
    });
  });
  return {
    report: () =>
      new Promise((resolve, reject) => {
        child.removeAllListeners('exit');
        child.once('exit', () => {
          const line = out.split('\n').find((l) => l.startsWith('{'));
          if (line) resolve(JSON.parse(line) as { seqs: number[][]; errors: number });
          else reject(new Error('the stream clients reported nothing'));
        });
        child.stdin.write('report\n');
      }),
  };
}

export async function bench(): Promise<Record<string, unknown>> {
  const seconds = Number(process.env.MAELSTROM_BENCH_SECONDS ?? 30);
  // At the demo's speed the drain lasts about two minutes, well beyond the measurement.
  const demo = await spawnDemo();
  try {
    const headers = { authorization: `Bearer ${demo.token}`, 'content-type': 'application/json' };
    const started = await fetch(`${demo.url}/api/v1/runs`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ plan: 'evacuate-east' }),
    });
    const { id } = (await started.json()) as { id: string };
    const clients = await spawnClients(demo.url, demo.token, CLIENTS);
    const result = await new Promise<AutocannonResult>((resolve, reject) => {
      autocannon(
        {
          url: `${demo.url}/api/v1/runs/${id}`,
          headers: { authorization: headers.authorization },
          connections: 20,
          overallRate: RATE,
          duration: seconds,
        },
        (err, res) => {
          if (process.env.MAELSTROM_BENCH_DEBUG) process.stderr.write(JSON.stringify(res).slice(0, 1500) + '\n');
          if (err instanceof Error) reject(err);
          else if (err) reject(new Error('autocannon failed'));
          else resolve(res);
        },
      );
    });
    // Everything stored so far (read by one more client) must have reached every client.
    const received = await clients.report();
    const probe = sseClient(demo.url, demo.token);
    await new Promise((r) => setTimeout(r, 2000));
    probe.close();
    // Only what was stored before the clients stopped reading can be asked of them.
    const last = Math.max(0, ...received.seqs.flat());
    const expected = [...probe.seqs].filter((seq) => seq <= last);
    let lost = 0;
    let worst = 0;
    for (const seqs of received.seqs) {
      const have = new Set(seqs);
      const missing = expected.filter((seq) => !have.has(seq)).length;
      lost += missing;
      worst = Math.max(worst, missing);
    }
    const run = (await (await fetch(`${demo.url}/api/v1/runs/${id}`, { headers })).json()) as { state: string };
    return {
      seconds,
      sseClients: CLIENTS,
      targetRate: RATE,
      statusRequests: result.requests.total,
      statusRate: Math.round(result.requests.average),
      statusLatencyMs: {
        p50: result.latency.p50,
        p90: result.latency.p90,
        p99: result.latency.p99,
        max: result.latency.max,
      },
      statusErrors: result.errors + result.timeouts + result.non2xx,
      eventsPerClient: expected.length,
      eventsLost: lost,
      worstClientMissing: worst,
      sseClientErrors: received.errors,
      runState: run.state,
      ok: result.latency.p99 <= 50 && lost === 0,
    };
  } finally {
    await demo.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  bench().then(
    (r) => {
      process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
    },
    (e: unknown) => {
      process.stderr.write(`${String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
