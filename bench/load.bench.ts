/**
 * Load on the controller server while a drain runs: 200 clients on the event stream and 500 status requests per
 * second for 30 s, all on loopback. Figures: p99 status latency (target ≤ 50 ms) and events lost (target: none).
 * MAELSTROM_BENCH_SECONDS shortens the run for a quick check.
 */
import { spawn } from 'node:child_process';
import { request, type IncomingMessage } from 'node:http';
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

interface Client { seqs: Set<number>; close(): void; errors: number; closed: boolean }

/** The demo in a process of its own, so that the load generator does not share the server's event loop. */
async function spawnDemo(): Promise<{ url: string; token: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bin/dev.ts', 'demo', '--port', '0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const ready = await new Promise<{ url: string; token: string }>((resolve, reject) => {
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      out += d;
      const m = /dashboard:\s+(http:\/\/[^/\s]+)\/#token=(\S+)/.exec(out);
      if (m) resolve({ url: m[1]!, token: m[2]! });
    });
    child.once('exit', (code) => { reject(new Error(`demo exited with ${code}: ${out}`)); });
  });
  return {
    ...ready,
    stop: () => new Promise<void>((resolve) => { child.once('exit', () => { resolve(); }); child.kill('SIGINT'); }),
  };
}

function sseClient(url: string, token: string): Client {
  const client: Client = { seqs: new Set(), errors: 0, closed: false, close: () => undefined };
  const error = (): void => { if (!client.closed) client.errors++; };
  const req = request(`${url}/api/v1/events?after=0`, { headers: { authorization: `Bearer ${token}` }, agent: false }, (res: IncomingMessage) => {
    if (res.statusCode !== 200) { error(); res.resume(); return; }
    let buf = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buf += chunk;
      let i: number;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const id = /^id: (\d+)$/m.exec(block);
        if (id) client.seqs.add(Number(id[1]));
      }
    });
    res.on('error', error);
  });
  req.on('error', error);
  req.end();
  client.close = () => { client.closed = true; req.destroy(); };
  return client;
}

export async function bench(): Promise<Record<string, unknown>> {
  const seconds = Number(process.env.MAELSTROM_BENCH_SECONDS ?? 30);
  // At the demo's speed the drain lasts about two minutes, well beyond the measurement.
  const demo = await spawnDemo();
  try {
    const headers = { authorization: `Bearer ${demo.token}`, 'content-type': 'application/json' };
    const started = await fetch(`${demo.url}/api/v1/runs`, { method: 'POST', headers, body: JSON.stringify({ plan: 'evacuate-east' }) });
    const { id } = (await started.json()) as { id: string };
    const clients = Array.from({ length: CLIENTS }, () => sseClient(demo.url, demo.token));
    const result = await new Promise<AutocannonResult>((resolve, reject) => {
      autocannon({
        url: `${demo.url}/api/v1/runs/${id}`, headers: { authorization: headers.authorization },
        connections: 20, overallRate: RATE, duration: seconds,
      }, (err, res) => { if (process.env.MAELSTROM_BENCH_DEBUG) process.stderr.write(JSON.stringify(res).slice(0, 1500) + '\n'); if (err instanceof Error) reject(err); else if (err) reject(new Error('autocannon failed')); else resolve(res); });
    });
    // Everything stored so far (read by one more client) must have reached every client.
    const probe = sseClient(demo.url, demo.token);
    await new Promise((r) => setTimeout(r, 2000));
    probe.close();
    const expected = [...probe.seqs].map((seq) => ({ seq }));
    let lost = 0;
    let worst = 0;
    for (const c of clients) {
      let missing = 0;
      for (const e of expected) if (e.seq !== undefined && !c.seqs.has(e.seq)) missing++;
      lost += missing;
      worst = Math.max(worst, missing);
      c.close();
    }
    const run = (await (await fetch(`${demo.url}/api/v1/runs/${id}`, { headers })).json()) as { state: string };
    return {
      seconds, sseClients: CLIENTS, targetRate: RATE,
      statusRequests: result.requests.total, statusRate: Math.round(result.requests.average),
      statusLatencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
      statusErrors: result.errors + result.timeouts + result.non2xx,
      eventsPerClient: expected.length, eventsLost: lost, worstClientMissing: worst,
      sseClientErrors: clients.reduce((a, c) => a + c.errors, 0),
      runState: run.state,
      ok: result.latency.p99 <= 50 && lost === 0,
    };
  } finally {
    await demo.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  bench().then((r) => { process.stdout.write(`${JSON.stringify(r, null, 2)}\n`); }, (e: unknown) => { process.stderr.write(`${String(e)}\n`); process.exitCode = 1; });
}
