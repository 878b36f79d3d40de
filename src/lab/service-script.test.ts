import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from './processes.js';
import { SERVICE_SCRIPT } from './service-script.js';

/** Sends raw bytes on one connection (TCP port or Unix socket) and answers what came back until `until` matches. */
function raw(where: number | string, bytes: string, until: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = typeof where === 'number' ? connect(where, '127.0.0.1') : connect(where);
    let got = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer matching ${until} in: ${JSON.stringify(got)}`));
    }, 5_000);
    socket.on('data', (c) => {
      got += c.toString('latin1');
      if (until.test(got)) {
        clearTimeout(timer);
        socket.destroy();
        resolve(got);
      }
    });
    socket.on('end', () => {
      clearTimeout(timer);
      resolve(got);
    });
    socket.on('error', reject);
    socket.write(bytes);
  });
}

describe("the lab's service process", () => {
  let dir: string;
  let child: ChildProcess;
  let port: number;
  let sock: string;
  const url = (path: string): string => `http://127.0.0.1:${port}${path}`;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'maelstrom-service-'));
    await writeFile(join(dir, 'service.mjs'), SERVICE_SCRIPT);
    port = await freePort();
    sock = join(dir, 'dc1.sock');
    child = spawn(process.execPath, [join(dir, 'service.mjs')], {
      env: {
        ...process.env,
        LAB_SERVICES: JSON.stringify([{ datacenter: 'dc1', port, capacity: 1000, socket: sock }]),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
  });
  afterAll(async () => {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await rm(dir, { recursive: true, force: true });
  });

  it("answers the load, health, a slow-down with a body and Prometheus' scrape as HTTP/1.1 clients expect", async () => {
    const load = await fetch(url('/'));
    expect(load.status).toBe(200);
    expect(await load.text()).toBe('ok dc1\n');
    expect(await (await fetch(url('/health'))).text()).toBe('ok\n');
    const slow = await fetch(url('/admin/slow?ms=0'), { method: 'POST', body: 'ignored' });
    expect(await slow.text()).toBe('slow 0\n');
    const metrics = await (await fetch(url('/metrics'))).text();
    expect(metrics).toMatch(/^http_requests_total\{code="200"\} \d+$/m);
    expect(metrics).toContain('service_capacity_rps 1000');
    expect(metrics).toMatch(/^http_request_duration_seconds_bucket\{le="\+Inf"\} \d+$/m);
  });

  it('answers requests sent together on one connection in order, on its Unix socket too', async () => {
    const two = 'GET /health HTTP/1.1\r\nhost: x\r\n\r\nGET / HTTP/1.1\r\nhost: x\r\n\r\n';
    for (const where of [port, sock]) {
      const got = await raw(where, two, /ok dc1\n$/);
      expect(got.indexOf('\r\n\r\nok\n')).toBeGreaterThan(0);
      expect(got.indexOf('\r\n\r\nok\n')).toBeLessThan(got.indexOf('ok dc1\n'));
      expect(got.match(/HTTP\/1\.1 200 OK/g)).toHaveLength(2);
    }
  });

  it('closes after answering a request that asks to close, and refuses a chunked body with 501', async () => {
    const closed = await raw(port, 'GET / HTTP/1.1\r\nConnection: close\r\n\r\n', /^$/);
    expect(closed).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(closed).toContain('connection: close');
    const chunked = await raw(port, 'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', /^$/);
    expect(chunked).toMatch(/^HTTP\/1\.1 501 Not Implemented\r\n/);
  });

  it('delays every answer while slowed, still in order', async () => {
    await fetch(url('/admin/slow?ms=200'), { method: 'POST' });
    try {
      const started = Date.now();
      const got = await raw(sock, 'GET / HTTP/1.1\r\n\r\nGET /health HTTP/1.1\r\n\r\n', /\r\n\r\nok\n$/);
      expect(Date.now() - started).toBeGreaterThanOrEqual(190);
      expect(got.indexOf('ok dc1\n')).toBeLessThan(got.lastIndexOf('\r\n\r\nok\n'));
    } finally {
      await fetch(url('/admin/slow?ms=0'), { method: 'POST' });
    }
  });
});
