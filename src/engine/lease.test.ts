/** The controller lease over a real (in-memory SQLite) store, with time and liveness injected. */
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteStore, type SqliteStore } from '../store/sqlite/sqlite-store.js';
import { holderIsGone, leaseHeldError, tryAcquireLease } from './lease.js';

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
    expect(b).toEqual({ ok: false, holder: 'h/1/a', expiresAt: 1_900 });
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

  it('knows a process of this host that no longer exists', () => {
    const done = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    expect(holderIsGone(`${hostname()}/${done.stdout}/x`)).toBe(true);
    expect(holderIsGone(`${hostname()}/${process.pid}/x`)).toBe(false);
    expect(holderIsGone(`${hostname()}/${process.ppid}/x`)).toBe(false);
    expect(holderIsGone(`elsewhere/${done.stdout}/x`)).toBe(false);
  });
});
