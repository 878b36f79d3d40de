/**
 * Every response of the server carries the security headers: the dashboard (which has "Halt all") must not be framed
 * by another site, and its files load under a policy that allows only its own origin.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken } from '../src/cli/token.js';
import type { ServerApp } from '../src/server/app.js';
import { startServerWorld, type ServerWorld } from './server-fixture.js';

let world: ServerWorld;
let server: ServerApp;
let webRoot: string;
let token: string;

beforeAll(async () => {
  webRoot = mkdtempSync(join(tmpdir(), 'maelstrom-web-'));
  mkdirSync(join(webRoot, 'assets'));
  writeFileSync(join(webRoot, 'index.html'), '<!doctype html><title>Maelstrom</title>');
  writeFileSync(join(webRoot, 'assets', 'index.js'), 'export {};');
  world = await startServerWorld({
    server: ({ controller, store, definitions, backend }) => ({
      controller,
      store,
      definitions,
      clock: backend.clock,
      webRoot,
    }),
  });
  server = world.server;
  token = await createToken(world.store, 'viewer', 'viewer-1');
});

afterAll(async () => {
  await world.close();
  rmSync(webRoot, { recursive: true, force: true });
});

const auth = (): Record<string, string> => ({ authorization: `Bearer ${token}` });

describe('security headers', () => {
  it.each([
    ['the dashboard page', '/', {}],
    ['a deep link into the dashboard', '/runs/run-1', {}],
    ['a dashboard asset', '/assets/index.js', {}],
    ['an API answer', '/api/v1/definitions', 'auth'],
    ['an API error (no token)', '/api/v1/runs', {}],
    ['an unknown API route', '/api/v1/nothing-here', 'auth'],
    ['the OpenAPI document', '/api/v1/openapi.json', {}],
    ['the metrics', '/metrics', {}],
  ] as const)('%s refuses to be framed and carries the content security policy', async (_what, path, headers) => {
    const res = await server.app.request(path, { headers: headers === 'auth' ? auth() : headers });
    await res.arrayBuffer();
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
  });

  it('the event stream carries them too', async () => {
    const res = await server.app.request('/api/v1/events', { headers: auth() });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    await res.body?.cancel();
  });
});
