/**
 * The lab's service process, as plain JavaScript written to the lab's temp dir and run with `node`, so it needs no
 * compiler. Each process is one "datacenter" of a service: past its capacity (requests per second over the last
 * second) requests queue (latency grows), far past it they fail with 503. `/metrics` speaks Prometheus' text format;
 * `POST /admin/slow?ms=N` adds latency to every request (a slowed service).
 *
 * It speaks HTTP/1.1 on a bare TCP server rather than through `node:http`: the lab measures HAProxy and the engine,
 * and at 10,000 requests/s on two cores the stand-in service must not eat the CPU. `node:http` took about 90 µs of
 * CPU a request here (parser, request and response objects, header handling), this path a third of that. What it
 * reads is what HAProxy, Prometheus and fetch() send: a request line, headers, a body only with Content-Length
 * (chunked bodies are refused with 501), keep-alive unless the client says close; answers go out in request order.
 */
export const SERVICE_SCRIPT = String.raw`
import { createServer } from 'node:net';
import { performance } from 'node:perf_hooks';
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const REASONS = {
  200: 'OK', 400: 'Bad Request', 431: 'Request Header Fields Too Large', 501: 'Not Implemented', 503: 'Service Unavailable',
};
function answer(code, type, body, close) {
  const b = Buffer.from(body);
  return Buffer.concat([Buffer.from('HTTP/1.1 ' + code + ' ' + REASONS[code] + '\r\ncontent-type: ' + type +
    '\r\ncontent-length: ' + b.length + (close ? '\r\nconnection: close' : '') + '\r\n\r\n', 'latin1'), b]);
}
const MAX_HEAD = 65536;
const sockets = new Set();
const servers = [];

// One datacenter: its own counters, listening on its port (and on its Unix socket, for HAProxy, when given).
function datacenterService({ datacenter, port, capacity, socket: path }) {
  const counts = new Map();
  const hist = new Array(BUCKETS.length).fill(0);
  let histSum = 0, histCount = 0, slowMs = 0, sessions = 0;
  // Requests over the last second, in twenty 50 ms slots (the last 950–1000 ms): O(1) a request.
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
    for (let i = BUCKETS.length - 1; i >= 0 && seconds <= BUCKETS[i]; i--) hist[i] += 1;
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
  // The answers of the load's requests, built once.
  const OK = answer(200, 'text/plain', 'ok ' + datacenter + '\n', false);
  const OVERLOADED = answer(503, 'text/plain', 'overloaded\n', false);

  // One connection: its unparsed bytes, and its answers still to send in order (a delayed one holds those after it).
  function serve(socket) {
    sessions += 1;
    let buf = '';
    let skip = 0;
    let closing = false;
    const queue = [];
    const send = (data, close) => {
      if (queue.length === 0) { socket.write(data); if (close) socket.end(); return; }
      queue.push({ data, close });
      flush();
    };
    const later = () => { const slot = { data: undefined, close: false }; queue.push(slot); return slot; };
    const flush = () => {
      while (queue.length > 0 && queue[0].data !== undefined) {
        const { data, close } = queue.shift();
        socket.write(data);
        if (close) { socket.end(); queue.length = 0; }
      }
    };
    function request(url, close) {
      if (url === '/metrics') return send(answer(200, 'text/plain; version=0.0.4', metrics(), close), close);
      if (url.startsWith('/admin/slow')) {
        slowMs = Number(new URL(url, 'http://x').searchParams.get('ms') ?? 0);
        return send(answer(200, 'text/plain', 'slow ' + slowMs + '\n', close), close);
      }
      if (url === '/health') return send(answer(200, 'text/plain', 'ok\n', close), close);
      const start = performance.now();
      const load = count(Date.now()) / capacity;
      if (load > 1.5) {
        send(close ? answer(503, 'text/plain', 'overloaded\n', true) : OVERLOADED, close);
        observe('503', (performance.now() - start) / 1000);
        return;
      }
      const queueMs = load > 1 ? Math.min(2000, (load - 1) * 400) : 0;
      const delay = slowMs + queueMs;
      const ok = close ? answer(200, 'text/plain', 'ok ' + datacenter + '\n', true) : OK;
      if (delay <= 0) { send(ok, close); observe('200', (performance.now() - start) / 1000); return; }
      const slot = later();
      setTimeout(() => {
        slot.data = ok; slot.close = close;
        observe('200', (performance.now() - start) / 1000);
        flush();
      }, delay);
    }
    socket.on('data', (chunk) => {
      if (closing) return;
      const text = chunk.toString('latin1');
      buf = buf.length === 0 ? text : buf + text;
      socket.cork();
      for (;;) {
        if (skip > 0) { const n = Math.min(skip, buf.length); skip -= n; buf = buf.slice(n); if (skip > 0) break; }
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) {
          if (buf.length > MAX_HEAD) { closing = true; send(answer(431, 'text/plain', 'headers too large\n', true), true); }
          break;
        }
        const head = buf.slice(0, end);
        buf = buf.slice(end + 4);
        const line = head.slice(0, head.indexOf('\r\n') >>> 0);
        const sp1 = line.indexOf(' '), sp2 = line.lastIndexOf(' ');
        if (sp1 <= 0 || sp2 <= sp1) { closing = true; send(answer(400, 'text/plain', 'bad request\n', true), true); break; }
        const url = line.slice(sp1 + 1, sp2), version = line.slice(sp2 + 1);
        // Headers are looked at only when there are any beyond the request line's own (HAProxy adds none).
        const fields = head.length > line.length ? head.slice(line.length).toLowerCase() : '';
        if (fields.includes('\r\ntransfer-encoding:')) {
          closing = true;
          send(answer(501, 'text/plain', 'chunked bodies are not supported\n', true), true);
          break;
        }
        const length = /\r\ncontent-length:[ \t]*(\d+)/.exec(fields);
        if (length) skip = Number(length[1]);
        const close = version === 'HTTP/1.0' ? !/\r\nconnection:[^\r]*keep-alive/.test(fields) : /\r\nconnection:[^\r]*close/.test(fields);
        request(url, close);
        if (close) { closing = true; break; }
      }
      socket.uncork();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => { sessions -= 1; });
  }
  const listen = (where) =>
    new Promise((resolve, reject) => {
      const server = createServer({ noDelay: true }, serve);
      server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
      server.once('error', reject);
      servers.push(server);
      server.listen(...where, resolve);
    });
  return Promise.all([listen([port, '127.0.0.1']), ...(path ? [listen([path])] : [])]);
}
const datacenters = JSON.parse(process.env.LAB_SERVICES);
await Promise.all(datacenters.map(datacenterService));
process.stdout.write('listening ' + datacenters.map((d) => d.port).join(' ') + '\n');
process.on('SIGTERM', () => { for (const s of servers) s.close(); for (const s of sockets) s.destroy(); process.exit(0); });
`;
