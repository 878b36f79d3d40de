import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MaelstromError } from '../model/errors.js';
import { commandRun, httpCall } from './external.js';
import { testContext } from './testing/context.js';
import { createMemoryBackend } from './testing/memory-backend.js';
import { smallFleet } from './testing/small-fleet.js';
import type { StageWith } from './stage.js';

const ctx = (values: StageWith, state?: unknown, signal?: AbortSignal) =>
  testContext({
    backend: createMemoryBackend(),
    fleet: smallFleet,
    with: values,
    ...(state !== undefined ? { state } : {}),
    ...(signal ? { signal } : {}),
  });

describe('http.call', () => {
  let server: Server;
  let base = '';
  const seen: { method: string; url: string; body: string; headers: IncomingMessage['headers'] }[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString();
      });
      req.on('end', () => {
        seen.push({ method: req.method ?? '', url: req.url ?? '', body, headers: req.headers });
        if (req.url === '/slow') return; // never answers
        const status = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('status') ?? 200);
        res.writeHead(status, { 'content-type': 'text/plain' }).end(status >= 400 ? 'broken' : 'ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('posts the body with an idempotency key and succeeds on 2xx', async () => {
    const c = ctx({ url: `${base}/hook`, body: '{"drain":"east"}', headers: ['X-Team: sre'] });
    const result = await httpCall(c);
    expect(result.outcome).toBe('success');
    const req = seen.at(-1)!;
    expect(req).toMatchObject({ method: 'POST', url: '/hook', body: '{"drain":"east"}' });
    expect(req.headers['idempotency-key']).toBe('run-1/task-1/0/1');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['x-team']).toBe('sre');
  });

  it('fails on an unexpected status, and accepts the statuses it is told to', async () => {
    expect(await httpCall(ctx({ url: `${base}/x?status=500` }))).toMatchObject({
      outcome: 'failure',
      detail: expect.stringContaining('500: broken'),
    });
    expect((await httpCall(ctx({ url: `${base}/x?status=404`, expectStatus: ['404'] }))).outcome).toBe('success');
    expect((await httpCall(ctx({ url: `${base}/x?status=201`, expectStatus: '2xx' }))).outcome).toBe('success');
  });

  it('times out a server that does not answer', async () => {
    expect((await httpCall(ctx({ url: `${base}/slow`, timeout: '300ms' }))).outcome).toBe('timeout');
  });

  it('reports a refused connection as a failure', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    expect(await httpCall(ctx({ url: `http://127.0.0.1:${port}/` }))).toMatchObject({
      outcome: 'failure',
      detail: expect.stringContaining('ECONNREFUSED'),
    });
  });

  it('does not call again once its result is recorded', async () => {
    const before = seen.length;
    const c = ctx({ url: `${base}/once` });
    await httpCall(c);
    const again = await httpCall(ctx({ url: `${base}/once` }, c.checkpoints.at(-1)));
    expect(again.outcome).toBe('success');
    expect(seen.length).toBe(before + 1);
  });

  it('rejects what is not an http URL with E_PARAM', async () => {
    await expect(httpCall(ctx({ url: 'file:///etc/passwd' }))).rejects.toMatchObject({ code: 'E_PARAM' });
    await expect(httpCall(ctx({ url: 'not a url' }))).rejects.toBeInstanceOf(MaelstromError);
  });
});

describe('command.run', () => {
  const dir = mkdtempSync(join(tmpdir(), 'maelstrom-cmd-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('passes arguments as an array: nothing in them reaches a shell', async () => {
    const marker = join(dir, 'pwned');
    const result = await commandRun(ctx({ command: 'echo', args: [`$(touch ${marker})`, ';', 'rm', '-rf', '`x`'] }));
    expect(result).toEqual({ outcome: 'success', detail: `$(touch ${marker}) ; rm -rf \`x\`` });
    expect(existsSync(marker)).toBe(false);
  });

  it('maps the exit code to the outcome, with the end of stderr', async () => {
    const result = await commandRun(
      ctx({ command: process.execPath, args: ['-e', 'console.error("disk full"); process.exit(3)'] }),
    );
    expect(result.outcome).toBe('failure');
    expect(result.detail).toContain('exited 3: disk full');
  });

  it('stops a program that runs past its timeout', async () => {
    const result = await commandRun(
      ctx({ command: process.execPath, args: ['-e', 'setTimeout(() => {}, 60000)'], timeout: '300ms' }),
    );
    expect(result.outcome).toBe('timeout');
  });

  it('reports a program that does not exist', async () => {
    expect(await commandRun(ctx({ command: 'no-such-program-xyz' }))).toEqual({
      outcome: 'failure',
      detail: 'cannot run no-such-program-xyz: not found',
    });
  });

  it('runs in the directory it is given and records its result', async () => {
    const c = ctx({ command: 'pwd', cwd: dir });
    const result = await commandRun(c);
    expect(result.detail).toBe(dir);
    expect(c.checkpoints.at(-1)).toEqual({ done: result });
    // A re-run returns the recorded result without running the program again.
    expect(await commandRun(ctx({ command: 'false' }, c.checkpoints.at(-1)))).toEqual(result);
  });

  it('stops the program when the stage is aborted', async () => {
    const abort = new AbortController();
    const run = commandRun(
      ctx({ command: process.execPath, args: ['-e', 'setTimeout(() => {}, 60000)'] }, undefined, abort.signal),
    );
    abort.abort(new MaelstromError('E_ABORTED', 'paused'));
    await expect(run).rejects.toMatchObject({ code: 'E_ABORTED' });
  });
});
