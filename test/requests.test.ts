/**
 * Operator requests across processes: `maelstrom pause RUN` run as a process of its own records a request in the
 * store's requests table; the controller driving the run (here, in this process, on the same SQLite file) applies
 * it once, audits the action once with its outcome, and marks the request, which is what the command reports.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createSqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { loadMini, makeWorld, operator } from './engine-fixture.js';

const ROOT = join(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'maelstrom-requests-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the CLI as a separate process, without blocking this one (whose controller must go on polling). */
function cli(...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bin/dev.ts', ...args], {
      cwd: ROOT,
      env: { ...process.env, FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      resolve({ code, out, err });
    });
  });
}

describe('operator requests from another process', () => {
  it('are applied once and audited once, with their outcome, which the command reports', async () => {
    const path = join(dir, 'store.db');
    const store = createSqliteStore({ path });
    await store.init();
    const w = await makeWorld({ defs: await loadMini(), store, controller: { requestPollMs: 50 } });
    w.fake.durationMs = 3600_000;
    await w.controller.start();
    const run = await w.controller.startRun('mini-drain', operator);
    await w.until(() => false, 60_000);
    expect((await w.controller.getRun(run.id)).state).toBe('running');

    const spec = `sqlite:${path}`;
    const pause = await cli('pause', run.id, '--reason', 'from afar', '--as', 'bob', '--store', spec, '--wait', '30');
    expect(pause.code, pause.err).toBe(0);
    expect(pause.out).toContain(`pause of ${run.id}: applied`);
    expect((await w.controller.getRun(run.id)).state).toBe('paused');

    // The same request again: refused by the controller (the run is paused already), with the controller's reason.
    const again = await cli('pause', run.id, '--as', 'bob', '--store', spec, '--wait', '30');
    expect(again.code).toBe(3);
    expect(again.err).toMatch(
      /E_INVALID_STATE: pause of run-\d+: run run-\d+ is paused: only a pending, running or blocked run/,
    );

    // Nothing is left to apply, and applying again changes nothing.
    expect(await store.pendingRequests()).toEqual([]);
    expect(await w.controller.pollRequests()).toBe(0);
    await w.controller.close();

    const audit = await store.listAudit();
    const pauses = audit.filter((a) => a.action === 'pause');
    expect(pauses.map((a) => [a.actor, a.reason, (a.details as { outcome: string }).outcome])).toEqual([
      ['bob (operator)', 'from afar', 'ok'],
      ['bob (operator)', undefined, 'failed'],
    ]);
    expect(audit.map((a) => a.action)).toEqual(['start', 'pause', 'pause']);
    const [first, second] = pauses.map((a) => (a.details as { requestId: number }).requestId);
    expect(await store.getRequest(first!)).toMatchObject({ actor: 'bob', runId: run.id, outcome: 'ok' });
    expect(await store.getRequest(second!)).toMatchObject({
      outcome: 'failed',
      error: expect.stringMatching(/^E_INVALID_STATE: /),
    });
    // Applied once: one pause event in the run's journal.
    const ops = (await store.listEvents({ runId: run.id })).filter((e) => e.type === 'operator');
    expect(ops.map((e) => (e.type === 'operator' ? `${e.action}:${e.actor}` : ''))).toEqual(['start:ana', 'pause:bob']);
    await store.close();
  }, 60_000);

  it('approve RUN, with no task, approves a proposed run (a reason is required), and it starts', async () => {
    const path = join(dir, 'proposed.db');
    const store = createSqliteStore({ path });
    await store.init();
    const w = await makeWorld({ defs: await loadMini(), store, controller: { requestPollMs: 50 } });
    await w.controller.start();
    const alert = {
      fingerprint: 'f1',
      status: 'firing' as const,
      labels: { alertname: 'DatacenterErrorRateHigh' },
      annotations: {},
      startsAt: '2026-03-02T11:59:00Z',
      receivedAt: w.clock.now(),
    };
    const run = await w.controller.proposeRun(
      'mini-drain',
      { trigger: 't', mode: 'propose', alerts: [alert], expireAfterMs: 3600_000 },
      { name: 'alertmanager', role: 'alerts' },
    );
    const spec = `sqlite:${path}`;
    const bare = await cli('approve', run.id, '--store', spec, '--wait', '0');
    expect(bare.code).toBe(2);
    expect(bare.err).toContain('E_BAD_REQUEST: approve needs --reason');
    const ok = await cli(
      'approve',
      run.id,
      '--reason',
      'east is failing',
      '--as',
      'bob',
      '--store',
      spec,
      '--wait',
      '30',
    );
    expect(ok.code, ok.err).toBe(0);
    expect(ok.out).toContain(`approve of ${run.id}: applied`);
    const view = await w.controller.getRun(run.id);
    expect(view.state).not.toBe('proposed');
    expect(view.proposal).toMatchObject({ approvedBy: 'bob', approvalReason: 'east is failing' });
    await w.controller.close();
    await store.close();
  }, 60_000);
});
