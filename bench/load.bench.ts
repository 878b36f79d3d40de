/**
 * Load on the controller server while a drain runs: 200 clients on the event stream and 500 status requests per
 * second for 30 s, all on loopback. Figures: p99 status latency (target ≤ 50 ms) and events lost (target: none).
 * MAELSTROM_BENCH_SECONDS shortens the run for a quick check.
 */
import { request, type IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { startDemo } from '../src/cli/demo.js';

interface AutocannonResult {
  latency: { p50: number; p90: number; p99: number; max: number; average: number };
  requests: { total: number; average: number };
  errors: number;
  timeouts: number;
  non2xx: number;
}
type Autocannon = (options: Record<string, unknown>, done: (err: unknown, result: AutocannonResult) => void) => unknown;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const CLIENTS = 200;
const RATE = 500;

interface Client { seqs: Set<number>; close(): void; errors: number }

function sseClient(url: string, token: string): Client {
  const client: Client = { seqs: new Set(), errors: 0, close: () => undefined };
  const req = request(`${url}/api/v1/events?after=0`, { headers: { authorization: `Bearer ${token}` }, agent: false }, (res: IncomingMessage) => {
    if (res.statusCode !== 200) { client.errors++; res.resume(); return; }
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
    res.on('error', () => { client.errors++; });
  });
  req.on('error', () => { client.errors++; });
  req.end();
  client.close = () => { req.destroy(); };
  return client;
}

export async function bench(): Promise<Record<string, unknown>> {
  const seconds = Number(process.env.MAELSTROM_BENCH_SECONDS ?? 30);
  // The demo's speed: the drain lasts well beyond the measurement.
  const demo = await startDemo({ port: 0 });
  try {
    const headers = { authorization: `Bearer ${demo.token}`, 'content-type': 'application/json' };
    const started = await fetch(`${demo.url}/api/v1/runs`, { method: 'POST', headers, body: JSON.stringify({ plan: 'evacuate-east' }) });
    const { id } = (await started.json()) as { id: string };
    const clients = Array.from({ length: CLIENTS }, () => sseClient(demo.url, demo.token));
    const result = await new Promise<AutocannonResult>((resolve, reject) => {
      autocannon({
        url: `${demo.url}/api/v1/runs/${id}`, headers: { authorization: headers.authorization },
        connections: 20, overallRate: RATE, duration: seconds,
      }, (err, res) => { if (err) reject(err instanceof Error ? err : new Error(String(err))); else resolve(res); });
    });
    // Everything the store holds now must have reached every client; give the last ones a moment to arrive.
    const expected = await demo.serving.controller.events({ afterSeq: 0, limit: 1_000_000 });
    await new Promise((r) => setTimeout(r, 2000));
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
    await demo.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  bench().then((r) => { process.stdout.write(`${JSON.stringify(r, null, 2)}\n`); }, (e: unknown) => { process.stderr.write(`${String(e)}\n`); process.exitCode = 1; });
}
