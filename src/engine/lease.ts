/**
 * The controller's lease on its store: only the holder drives runs, so two controllers on one shared store
 * (PostgreSQL) never act on the same run. The holder renews it every third of its time to live; a controller that
 * cannot renew in time must stop acting before another may take over. A holder that was a process of this host and
 * no longer exists (killed, crashed) is taken over at once instead of after its time runs out.
 *
 * Leases are between processes, so they live in wall-clock time, never in a simulator's virtual time.
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { MaelstromError } from '../model/errors.js';
import type { LeaseStore } from '../store/store.js';

export const CONTROLLER_LEASE = 'controller';
export const DEFAULT_LEASE_TTL_MS = 15_000;

export interface LeaseOptions {
  readonly store: LeaseStore;
  readonly holder?: string;
  readonly ttlMs?: number;
  readonly now?: () => number;
  /** Whether `holder` is known to be gone; by default, a process of this host that no longer exists. */
  readonly isGone?: (holder: string) => boolean;
}

export interface HeldLease {
  readonly holder: string;
  /** Resolves, with the reason, once the lease is lost: the controller must stop acting at once. */
  readonly lost: Promise<string>;
  /** Renews now; false once the lease is lost. Called every third of the time to live by itself. */
  renew(): Promise<boolean>;
  /** Stops renewing and gives the lease up. */
  release(): Promise<void>;
}

export type LeaseAttempt =
  | { readonly ok: true; readonly lease: HeldLease }
  | { readonly ok: false; readonly holder: string; readonly expiresAt: number };

/** `host/pid/nonce`: readable in messages, and enough to tell whether a holder on this host is still alive. */
export function leaseHolderName(): string {
  return `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;
}

export function holderIsGone(holder: string): boolean {
  const [host, pidText] = holder.split('/');
  const pid = Number(pidText);
  if (host !== hostname() || !Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Takes the controller lease if it is free (or its holder gone); otherwise says who holds it and until when. */
export async function tryAcquireLease(options: LeaseOptions): Promise<LeaseAttempt> {
  const { store } = options;
  const holder = options.holder ?? leaseHolderName();
  const ttl = options.ttlMs ?? DEFAULT_LEASE_TTL_MS;
  const now = options.now ?? Date.now;
  const isGone = options.isGone ?? holderIsGone;
  const t = now();
  let lease = await store.acquireLease(CONTROLLER_LEASE, holder, { now: t, until: t + ttl });
  if (lease.holder !== holder && isGone(lease.holder)) {
    lease = await store.acquireLease(CONTROLLER_LEASE, holder, { now: t, until: t + ttl, takeFrom: lease.holder });
  }
  if (lease.holder !== holder) return { ok: false, holder: lease.holder, expiresAt: lease.expiresAt };

  let expiresAt = lease.expiresAt;
  let done = false;
  let markLost!: (reason: string) => void;
  const lost = new Promise<string>((resolve) => {
    markLost = resolve;
  });
  const lose = (reason: string): void => {
    if (done) return;
    done = true;
    clearInterval(timer);
    markLost(reason);
  };
  const renew = async (): Promise<boolean> => {
    if (done) return false;
    const at = now();
    try {
      const l = await store.acquireLease(CONTROLLER_LEASE, holder, { now: at, until: at + ttl });
      if (l.holder !== holder) {
        lose(`the store's lease went to ${l.holder}`);
        return false;
      }
      expiresAt = l.expiresAt;
      return true;
    } catch (e) {
      // Unable to renew: keep acting only while the lease surely still stands, stopping a third of its time early.
      if (now() >= expiresAt - ttl / 3) {
        lose(`the lease could not be renewed: ${e instanceof Error ? e.message : String(e)}`);
        return false;
      }
      return true;
    }
  };
  const timer = setInterval(
    () => {
      void renew();
    },
    Math.max(10, Math.floor(ttl / 3)),
  );
  timer.unref();
  return {
    ok: true,
    lease: {
      holder,
      lost,
      renew,
      release: async () => {
        if (!done) {
          done = true;
          clearInterval(timer);
        }
        await store.releaseLease(CONTROLLER_LEASE, holder).catch(() => undefined);
      },
    },
  };
}

/** The refusal of a controller that finds another one driving the store. */
export function leaseHeldError(attempt: Extract<LeaseAttempt, { ok: false }>): MaelstromError {
  return new MaelstromError(
    'E_INVALID_STATE',
    `another controller (${attempt.holder}) drives the runs of this store, ` +
      `its lease running until ${new Date(attempt.expiresAt).toISOString()}: stop it first, or use another store`,
  );
}
