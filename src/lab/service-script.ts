/**
 * The lab's service process, as plain JavaScript written to the lab's temp dir and run with `node`, so it needs no
 * compiler. Each process is one "datacenter" of a service: past its capacity (requests per second over the last
 * second) requests queue (latency grows), far past it they fail with 503. `/metrics` speaks Prometheus' text format;
 * `POST /admin/slow?ms=N` adds latency to every request (a slowed service).
 */
export const SERVICE_SCRIPT = String.raw`
import { createServer } from 'node:http';
const port = Number(process.env.PORT);
const capacity = Number(process.env.CAPACITY);
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const counts = new Map();
const hist = new Array(BUCKETS.length).fill(0);
let histSum = 0, histCount = 0, slowMs = 0, sessions = 0;
// Requests over the last second, in twenty 50 ms slots (the last 950–1000 ms): O(1) a request, where an array of
// the last second's timestamps trimmed with shift() cost a copy of thousands of entries per request at 10,000/s.
const SLOT_MS = 50, SLOTS = 20;
const slots = new Array(SLOTS).fill(0);
let slotAt = 0, inWindow = 0;
function count(now) {
  const slot = Math.floor(now / SLOT_MS);
  if (slot - slotAt >= SLOTS) { slots.fill(0); inWindow = 0; slotAt = slot; }
  while (slotAt < slot) { slotAt += 1; inWindow -= slots[slotAt % SLOTS]; slots[slotAt % SLOTS] = 0; }
  slots[slot % SLOTS] += 1; inWindow += 1;
  return inWindow;
}
function observe(code, seconds) {
  counts.set(code, (counts.get(code) ?? 0) + 1);
  histSum += seconds; histCount += 1;
  for (let i = 0; i < BUCKETS.length; i++) if (seconds <= BUCKETS[i]) hist[i] += 1;
}
function metrics() {
  const out = ['# TYPE http_requests_total counter'];
  for (const [code, n] of counts) out.push('http_requests_total{code="' + code + '"} ' + n);
  if (counts.size === 0) out.push('http_requests_total{code="200"} 0');
  out.push('# TYPE http_request_duration_seconds histogram');
  BUCKETS.forEach((b, i) => out.push('http_request_duration_seconds_bucket{le="' + b + '"} ' + hist[i]));
  out.push('http_request_duration_seconds_bucket{le="+Inf"} ' + histCount);
  out.push('http_request_duration_seconds_sum ' + histSum, 'http_request_duration_seconds_count ' + histCount);
  out.push('# TYPE service_capacity_rps gauge', 'service_capacity_rps ' + capacity);
  out.push('# TYPE http_sessions_active gauge', 'http_sessions_active ' + sessions);
  return out.join('\n') + '\n';
}
const server = createServer((req, res) => {
  if (req.url === '/metrics') { res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }); res.end(metrics()); return; }
  if (req.url.startsWith('/admin/slow')) {
    slowMs = Number(new URL(req.url, 'http://x').searchParams.get('ms') ?? 0);
    res.end('slow ' + slowMs + '\n'); return;
  }
  if (req.url === '/health') { res.end('ok\n'); return; }
  const start = process.hrtime.bigint();
  const now = Date.now();
  const load = count(now) / capacity;
  const finish = (code) => {
    res.writeHead(code, { 'content-type': 'text/plain' });
    res.end(code === 200 ? 'ok ' + process.env.DATACENTER + '\n' : 'overloaded\n');
    observe(String(code), Number(process.hrtime.bigint() - start) / 1e9);
  };
  if (load > 1.5) { finish(503); return; }
  const queueMs = load > 1 ? Math.min(2000, (load - 1) * 400) : 0;
  const delay = slowMs + queueMs;
  if (delay > 0) setTimeout(() => finish(200), delay); else finish(200);
});
server.on('connection', (s) => { sessions += 1; s.on('close', () => { sessions -= 1; }); });
server.keepAliveTimeout = 30000;
server.listen(port, '127.0.0.1', () => process.stdout.write('listening ' + port + '\n'));
process.on('SIGTERM', () => { server.close(); server.closeAllConnections(); process.exit(0); });
`;
