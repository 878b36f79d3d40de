/**
 * The lab against the real programs: HAProxy, Prometheus and service processes started here, the engine driving
 * them. One lab serves every test, in order; each test leaves the weights at their baseline.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../src/model/events.js';
import { startLab, type LabEnvironment } from '../../src/lab/environment.js';
import { startLoad, type LoadGenerator } from '../../src/lab/load.js';
import { createLabSession, type LabSession } from '../../src/lab/session.js';
import { createSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { eventually, haveLab } from './programs.js';

const RPS = 1000;
type Step = Extract<EngineEvent, { type: 'shift.step' }>;

describe.skipIf(!haveLab)('lab: HAProxy and Prometheus driven by the engine', () => {
  let env: LabEnvironment;
  let load: LoadGenerator;

  async function session(): Promise<LabSession> {
    const store = createSqliteStore({ path: ':memory:' });
    await store.init();
    return createLabSession(env, { store, rps: RPS, settle: '1s', ...(process.env.MAELSTROM_LAB_LOG ? { log: (m: string) => process.stderr.write(`lab: ${m}\n`) } : {}) });
  }
  const steps = (s: LabSession, runId: string): Step[] => s.events.filter((e): e is Step => e.type === 'shift.step' && e.runId === runId);
  /** Waits until Prometheus has readings of every datacenter under load. */
  async function warm(s: LabSession): Promise<void> {
    await eventually('readings of every datacenter', async () => {
      const dcs = Object.values((await s.snapshot()).services.web?.datacenters ?? {});
      return dcs.length === env.datacenters.length && dcs.every((r) => r.load !== undefined && r.load > 0 && r.latencyP99 !== undefined);
    }, 15_000);
  }
  async function dc1Weight(s: LabSession): Promise<number> {
    return (await s.backend.weights('edge', 'web'))[0]!.weights.dc1!;
  }

  beforeAll(async () => {
    env = await startLab({ datacenters: 3, rps: RPS });
    load = startLoad(env.url, RPS);
  });
  afterAll(async () => {
    await load?.stop();
    await env?.stop();
  });

  it('drains and restores a datacenter at 1,000 rps: weights move as paced, no request fails', async () => {
    const s = await session();
    try {
      await warm(s);
      const failedBefore = load.failedSoFar();
      const requestsBefore = load.requestsSoFar();
      const seen: number[] = [];
      const unsubscribe = s.controller.subscribe((e) => {
        if (e.type === 'shift.step') void s.backend.api.serversState('web_lab').then((st) => seen.push(st.find((x) => x.server === 'dc1')!.weight));
      });
      const drain = await s.run('lab-drain-dc1');
      expect(drain.state).toBe('succeeded');
      const ds = steps(s, drain.id);
      // Paced: several steps, the first small, what is left only ever falls, and it ends at nothing.
      expect(ds.length).toBeGreaterThanOrEqual(3);
      expect(1 / 3 - ds[0]!.remaining).toBeLessThanOrEqual(0.1);
      for (let i = 1; i < ds.length; i++) expect(ds[i]!.remaining).toBeLessThanOrEqual(ds[i - 1]!.remaining + 1e-9);
      expect(ds.at(-1)!.remaining).toBe(0);
      expect(await dc1Weight(s)).toBe(0);
      // HAProxy saw intermediate weights, not a jump from the baseline to 0.
      await eventually('every step read back', () => seen.length === ds.length, 5_000);
      expect(seen.some((w) => w > 0)).toBe(true);
      const restore = await s.run('lab-restore-dc1');
      expect(restore.state).toBe('succeeded');
      expect(steps(s, restore.id).length).toBeGreaterThanOrEqual(2);
      expect(await dc1Weight(s)).toBe(100);
      unsubscribe();
      // Answers in flight when the restore ended are counted too.
      await new Promise((r) => setTimeout(r, 500));
      expect(load.requestsSoFar() - requestsBefore).toBeGreaterThan(RPS * 10);
      expect(load.failedSoFar() - failedBefore).toBe(0);
    } finally { await s.close(); }
  }, 90_000);

  it('a slowed service in a receiving datacenter holds the drain until it recovers', async () => {
    const s = await session();
    try {
      await warm(s);
      const run = await s.start('lab-drain-dc1');
      await eventually('the first step', () => steps(s, run.id).length >= 1, 15_000);
      await env.slow('dc2', 400);
      await eventually('a failing latency check or a held step', () => s.events.some((e) =>
        e.runId === run.id && ((e.type === 'health' && e.check === 'receivers-fast' && e.ok === false) || (e.type === 'shift.step' && (e.decision === 'hold' || e.decision === 'backoff')))), 15_000);
      // While dc2 stays slow the drain does not finish.
      const until = Date.now() + 3_000;
      await eventually('3 s of holding', () => Date.now() > until, 5_000);
      expect((await s.controller.getRun(run.id)).state).not.toBe('succeeded');
      expect(Math.min(...steps(s, run.id).map((e) => e.remaining))).toBeGreaterThan(0);
      await env.slow('dc2', 0);
      const done = await s.controller.wait(run.id);
      expect(done.state).toBe('succeeded');
      expect((await s.run('lab-restore-dc1')).state).toBe('succeeded');
    } finally { await env.slow('dc2', 0); await s.close(); }
  }, 90_000);

  it('losing the HAProxy runtime socket midway holds the run with a clear message; it continues once the socket is back', async () => {
    const s = await session();
    try {
      await warm(s);
      const run = await s.start('lab-drain-dc1');
      await eventually('the first step', () => steps(s, run.id).length >= 1, 15_000);
      await env.hideSocket(true);
      await eventually('a message about the runtime socket', () => s.issues.some((i) => i.message.includes('runtime API') && i.message.includes('unreachable')), 10_000);
      const stepsWhileLost = steps(s, run.id).length;
      const until = Date.now() + 2_000;
      await eventually('2 s without the socket', () => Date.now() > until, 5_000);
      expect(['running', 'blocked', 'paused', 'pending']).toContain((await s.controller.getRun(run.id)).state);
      expect(steps(s, run.id).length).toBeLessThanOrEqual(stepsWhileLost + 1);
      await env.hideSocket(false);
      expect((await s.controller.wait(run.id)).state).toBe('succeeded');
      expect((await s.run('lab-restore-dc1')).state).toBe('succeeded');
    } finally { await env.hideSocket(false).catch(() => undefined); await s.close(); }
  }, 90_000);

  it('losing Prometheus midway leaves the readings absent and holds the run with a clear message, never a crash', async () => {
    const s = await session();
    try {
      await warm(s);
      const run = await s.start('lab-drain-dc1');
      await eventually('the first step', () => steps(s, run.id).length >= 1, 15_000);
      await env.stopPrometheus();
      await eventually('a message about Prometheus', () => s.issues.some((i) => i.message.startsWith('prometheus') && i.message.includes('unreachable')), 10_000);
      const snap = await s.snapshot();
      expect(snap.services.web!.datacenters.dc2!.utilization).toBeUndefined();
      expect(snap.services.web!.errorRate).toBeUndefined();
      const left = Math.min(...steps(s, run.id).map((e) => e.remaining));
      const until = Date.now() + 4_000;
      await eventually('4 s without Prometheus', () => Date.now() > until, 6_000);
      expect(['running', 'blocked', 'paused', 'pending']).toContain((await s.controller.getRun(run.id)).state);
      expect(Math.min(...steps(s, run.id).map((e) => e.remaining))).toBeGreaterThanOrEqual(left - 0.2);
      expect(Math.min(...steps(s, run.id).map((e) => e.remaining))).toBeGreaterThan(0);
    } finally { await s.close(); }
  }, 60_000);
});
