/**
 * The drain tests through the API and the command line: `GET /api/v1/tests` shows the next due test per datacenter;
 * the kill switch needs an operator, is audited once (refused or not), and holds in the store for the CLI to see;
 * `maelstrom tests halt` and `resume` set it from another process; `schedule simulate` refuses bad options clearly.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimBackend } from '../src/backends/sim/backend.js';
import { createToken } from '../src/cli/token.js';
import { createController, type EngineController } from '../src/compose/controller.js';
import { loadOrFail } from '../src/load/check.js';
import type { TestsSwitched, TestsView } from '../src/model/api.js';
import { VirtualClock } from '../src/model/virtual-clock.js';
import { createScheduleRunner, type ScheduleRunner } from '../src/schedule/runner.js';
import { createServerApp, type ServerApp } from '../src/server/app.js';
import { createSqliteStore, type SqliteStore } from '../src/store/sqlite/sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'maelstrom-tests-api-'));
let store: SqliteStore;
let controller: EngineController;
let runner: ScheduleRunner;
let server: ServerApp;
const tokens = { viewer: '', operator: '' };

beforeAll(async () => {
  const definitions = await loadOrFail(['examples']);
  const clock = new VirtualClock(Date.parse('2026-12-14T12:00:00Z'));
  const backend = createSimBackend({ fleet: definitions.fleets.get('example')!, clock, name: 'sim' });
  store = createSqliteStore({ path: join(dir, 'store.db') });
  await store.init();
  controller = await createController({ definitions, backend, store, clock, requestPollMs: false });
  runner = createScheduleRunner({
    definitions,
    controller,
    store,
    readings: backend,
    clock,
    logger: { info: () => undefined, warn: () => undefined },
    pollMs: 10_000,
    newId: () => 'test-1',
  });
  server = createServerApp({ controller, store, definitions, clock, tests: runner });
  tokens.viewer = await createToken(store, 'viewer', 'vic');
  tokens.operator = await createToken(store, 'operator', 'ana');
});

afterAll(async () => {
  server.close();
  await runner.close();
  await controller.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function call(method: 'GET' | 'POST', path: string, role: keyof typeof tokens, body?: unknown) {
  const res = await server.app.request(path, {
    method,
    headers: {
      authorization: `Bearer ${tokens[role]}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'bin/dev.ts', ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the drain tests through the API and the CLI', () => {
  it('shows per datacenter the next due test, least recently tested first, past the weekend', async () => {
    const { status, json } = await call('GET', '/api/v1/tests', 'viewer');
    expect(status).toBe(200);
    const view = json as unknown as TestsView;
    expect(view.schedules.map((s) => s.name)).toEqual(['weekly-drain-tests']);
    expect(view.datacenters.map((d) => [d.datacenter, d.next && new Date(d.next.at).toISOString()])).toEqual([
      ['east', '2026-12-15T10:00:00.000Z'],
      ['west', '2026-12-17T10:00:00.000Z'],
      ['central', '2027-01-05T10:00:00.000Z'],
    ]);
    expect(view.halt).toBeUndefined();
  });

  it('halts only for an operator with a reason, audited once either way, and the CLI sees and resumes it', async () => {
    expect((await call('POST', '/api/v1/tests/halt', 'viewer', { reason: 'x' })).status).toBe(403);
    const missing = await call('POST', '/api/v1/tests/halt', 'operator', {});
    expect(missing.status).toBe(400);
    const halted = await call('POST', '/api/v1/tests/halt', 'operator', { reason: 'incident in east' });
    expect(halted.status).toBe(200);
    expect(halted.json as TestsSwitched).toMatchObject({
      halted: true,
      actor: 'ana',
      reason: 'incident in east',
      stopping: [],
    });
    const audit = (await store.listAudit()).filter((a) => a.action === 'tests.halt');
    expect(audit.map((a) => [a.actor, (a.details as { outcome: string }).outcome])).toEqual([
      ['vic (viewer)', 'refused'],
      ['ana (operator)', 'ok'],
    ]);

    const shown = cli('tests', '--store', `sqlite:${join(dir, 'store.db')}`);
    expect(shown.status).toBe(0);
    expect(shown.stdout).toMatch(/^TESTS HALTED since .* by ana: incident in east/);
    const resumed = cli('tests', 'resume', '--store', `sqlite:${join(dir, 'store.db')}`, '--as', 'bob');
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/^tests resumed by bob/);
    expect(((await call('GET', '/api/v1/tests', 'viewer')).json as unknown as TestsView).halt).toMatchObject({
      halted: false,
      actor: 'bob',
    });
    const refused = cli('tests', 'halt', '--store', `sqlite:${join(dir, 'store.db')}`);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/E_BAD_REQUEST: halting the tests needs a reason/);
  }, 120_000);

  it('schedule simulate refuses a missing --from, bad weeks and an unknown schedule with their codes', () => {
    const noFrom = cli('schedule', 'simulate', 'weekly-drain-tests', '-f', 'examples');
    expect(noFrom.status).toBe(2);
    expect(noFrom.stderr).toMatch(/E_BAD_REQUEST: --from is required/);
    const weeks = cli(
      'schedule',
      'simulate',
      'weekly-drain-tests',
      '-f',
      'examples',
      '--from',
      '2026-12-14',
      '--weeks',
      'x',
    );
    expect(weeks.stderr).toMatch(/E_BAD_REQUEST: --weeks must be/);
    const unknown = cli('schedule', 'simulate', 'nightly', '-f', 'examples', '--from', '2026-12-14T00:00:00Z');
    expect(unknown.status).toBe(4);
    expect(unknown.stderr).toMatch(/E_NOT_FOUND: no schedule "nightly" \(schedules: weekly-drain-tests\)/);
  }, 120_000);
});
