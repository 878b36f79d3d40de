/** The controller lease over a real (in-memory SQLite) store, with time and liveness injected. */
import { spawn, spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteStore, type SqliteStore } from '../store/sqlite/sqlite-store.js';
import { holderIsGone, leaseHeldError, processState, tryAcquireLease } from './lease.js';

const stores: SqliteStore[] = [];
async function store(): Promise<SqliteStore> {
  const s = createSqliteStore({ path: ':memory:' });
  await s.init();
  stores.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

describe('controller lease', () => {
  it('lets one controller hold the store; another is refused, with who holds it', async () => {
    const s = await store();
    let t = 1_000;
    const now = () => t;
    const a = await tryAcquireLease({ store: s, holder: 'h/1/a', now, ttlMs: 900, isGone: () => false });
    expect(a.ok).toBe(true);
    const b = await tryAcquireLease({ store: s, holder: 'h/2/b', now, ttlMs: 900, isGone: () => false });
    expect(b).toEqual({ ok: false, holder: 'h/1/a', expiresAt: 1_900, epoch: 1, stale: false });
    if (!b.ok) expect(leaseHeldError(b).message).toContain('another controller (h/1/a) drives the runs of this store');
    // Renewed, it keeps standing; released, it is free.
    t = 1_500;
    if (a.ok) expect(await a.lease.renew()).toBe(true);
    t = 2_000;
    expect((await tryAcquireLease({ store: s, holder: 'h/2/b', now, ttlMs: 900, isGone: () => false })).ok).toBe(false);
    if (a.ok) await a.lease.release();
    const c = await tryAcquireLease({ store: s, holder: 'h/2/b', now, ttlMs: 900, isGone: () => false });
    expect(c.ok).toBe(true);
    if (c.ok) await c.lease.release();
  });

  it('a holder that handed its lease over does not take it back while the one it named may take it up', async () => {
    const s = await store();
    let t = 1_000;
    const now = () => t;
    const opts = { store: s, now, ttlMs: 900, isGone: () => false };
    const a = await tryAcquireLease({ ...opts, holder: 'h/1/a' });
    if (!a.ok) throw new Error('a holds the lease');
    expect(await a.lease.handOver('h/2/b')).toBe(true);
    const again = await tryAcquireLease({ ...opts, holder: 'h/1/a' });
    expect(again).toMatchObject({ ok: false, holder: 'h/1/a', handoverTo: 'h/2/b' });
    t = 1_100;
    const b = await tryAcquireLease({ ...opts, holder: 'h/2/b' });
    expect(b.ok && b.lease.epoch).toBe(2);
  });

  it('takes over from a holder that is gone at once, and from one that stopped renewing once its lease ran out', async () => {
    const s = await store();
    let t = 0;
    const now = () => t;
    const a = await tryAcquireLease({ store: s, holder: 'h/1/a', now, ttlMs: 900 });
    expect(a.ok).toBe(true);
    expect(
      (await tryAcquireLease({ store: s, holder: 'h/2/b', now, ttlMs: 900, isGone: (h) => h === 'h/1/a' })).ok,
    ).toBe(true);
    // The old holder learns at its next renewal that it lost the lease, and says to whom.
    if (a.ok) {
      expect(await a.lease.renew()).toBe(false);
      expect(await a.lease.lost).toContain('went to h/2/b');
    }
    t = 10_000;
    const c = await tryAcquireLease({ store: s, holder: 'h/3/c', now, ttlMs: 900, isGone: () => false });
    expect(c.ok).toBe(true);
    if (c.ok) await c.lease.release();
  });

  it('stops acting when it cannot renew before another could take over', async () => {
    const s = await store();
    let t = 0;
    let failing = false;
    const flaky = {
      acquireLease: (...args: Parameters<SqliteStore['acquireLease']>) =>
        failing ? Promise.reject(new Error('connection refused')) : s.acquireLease(...args),
      releaseLease: (...args: Parameters<SqliteStore['releaseLease']>) => s.releaseLease(...args),
      handOverLease: (...args: Parameters<SqliteStore['handOverLease']>) => s.handOverLease(...args),
      getLease: (...args: Parameters<SqliteStore['getLease']>) => s.getLease(...args),
    };
    const a = await tryAcquireLease({ store: flaky, holder: 'h/1/a', now: () => t, ttlMs: 900 });
    if (!a.ok) throw new Error('not acquired');
    failing = true;
    t = 300;
    expect(await a.lease.renew()).toBe(true); // 600 ms of the lease left: still safe
    t = 700;
    expect(await a.lease.renew()).toBe(false);
    expect(await a.lease.lost).toContain('could not be renewed: connection refused');
    await a.lease.release();
  });

  it('carries an epoch that grows at each takeover, and says when the holder stopped renewing', async () => {
    const s = await store();
    let t = 0;
    const now = () => t;
    const a = await tryAcquireLease({ store: s, holder: 'h/1/a', now, ttlMs: 900, skewMs: 100, isGone: () => false });
    if (!a.ok) throw new Error('not acquired');
    expect(a.lease.epoch).toBe(1);
    expect(a.lease.fence).toEqual({ lease: 'controller', holder: 'h/1/a', epoch: 1 });
    t = 300;
    const live = await tryAcquireLease({
      store: s,
      holder: 'h/2/b',
      now,
      ttlMs: 900,
      skewMs: 100,
      isGone: () => false,
    });
    expect(live).toMatchObject({ ok: false, stale: false });
    // a froze: no renewal for longer than a live holder allows; its lease still runs (until 900 + 100 skew).
    t = 800;
    const frozen = await tryAcquireLease({
      store: s,
      holder: 'h/2/b',
      now,
      ttlMs: 900,
      skewMs: 100,
      isGone: () => false,
    });
    expect(frozen).toMatchObject({ ok: false, stale: true, holder: 'h/1/a' });
    t = 1_000;
    const b = await tryAcquireLease({ store: s, holder: 'h/2/b', now, ttlMs: 900, skewMs: 100, isGone: () => false });
    if (!b.ok) throw new Error('not taken over');
    expect(b.lease.epoch).toBe(2);
    // a wakes: it is not valid any more, and ensure() asks the store, which says it lost the lease.
    expect(a.lease.valid()).toBe(false);
    await expect(a.lease.ensure()).rejects.toMatchObject({ code: 'E_FENCED' });
    expect(await a.lease.lost).toContain('went to h/2/b (epoch 2)');
    await b.lease.ensure();
    await b.lease.release();
  });

  it('hands the lease to a named standby, which takes it at once; the giver acts no more', async () => {
    const s = await store();
    const now = () => 0;
    const a = await tryAcquireLease({ store: s, holder: 'h/1/a', now, ttlMs: 900, isGone: () => false });
    if (!a.ok) throw new Error('not acquired');
    expect(await a.lease.handOver('h/2/b')).toBe(true);
    expect(a.lease.valid()).toBe(false);
    await expect(a.lease.ensure()).rejects.toMatchObject({ code: 'E_FENCED' });
    const c = await tryAcquireLease({ store: s, holder: 'h/3/c', now, ttlMs: 900, isGone: () => false });
    expect(c).toMatchObject({ ok: false, handoverTo: 'h/2/b' });
    const b = await tryAcquireLease({ store: s, holder: 'h/2/b', now, ttlMs: 900, isGone: () => false });
    expect(b.ok && b.lease.epoch).toBe(2);
    if (b.ok) await b.lease.release();
  });

  it('reads the state of a process, whatever its command name holds', () => {
    expect(processState(1, () => '1 (a (b) c) Z 0 1 1')).toBe('Z');
    expect(processState(1, () => '42 (node) S 1 42')).toBe('S');
    expect(
      processState(1, () => {
        throw new Error('no /proc');
      }),
    ).toBeUndefined();
  });

  it('knows a SIGKILLed holder left as a zombie by a parent that does not reap is gone', async () => {
    // `sleep` replaces the shell and never reaps: the killed node process stays in the table as <defunct>.
    const parent = spawn(
      'sh',
      ['-c', `${process.execPath} -e 'setInterval(() => {}, 1000)' & echo $!; exec sleep 30`],
      {
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
    try {
      const pid = await new Promise<number>((resolve) => {
        parent.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
      });
      const holder = `${hostname()}/${pid}/x`;
      expect(holderIsGone(holder)).toBe(false);
      process.kill(pid, 'SIGKILL');
      for (let i = 0; i < 200 && processState(pid) !== 'Z'; i++) await new Promise((r) => setTimeout(r, 10));
      expect(processState(pid)).toBe('Z');
      // kill(pid, 0) still finds it; its state says it runs nothing.
      expect(() => process.kill(pid, 0)).not.toThrow();
      expect(holderIsGone(holder)).toBe(true);
    } finally {
      parent.kill('SIGKILL');
    }
  });

  it('knows a process of this host that no longer exists', () => {
    const done = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    expect(holderIsGone(`${hostname()}/${done.stdout}/x`)).toBe(true);
    expect(holderIsGone(`${hostname()}/${process.pid}/x`)).toBe(false);
    expect(holderIsGone(`${hostname()}/${process.ppid}/x`)).toBe(false);
    expect(holderIsGone(`elsewhere/${done.stdout}/x`)).toBe(false);
  });
});
