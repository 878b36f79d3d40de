/**
 * The controller's lease on its store: only the holder drives runs, so two controllers on one shared store
 * (PostgreSQL) never act on the same run. Leases are between processes, so they live in wall-clock time, never in
 * a simulator's virtual time.
 *
 * Timings (defaults; `ttlMs` scales them all):
 * - time to live 6 s, renewed every 2 s (a third of it);
 * - the holder stops acting by itself when it has not renewed for 4 s (two thirds of it): a renewal that fails is
 *   tried again on the next tick, and one that stays failing stops it before another may take over;
 * - another controller may take it over 1 s (`skewMs`) after it runs out, 7 s after the last renewal: hosts whose
 *   clocks differ by up to 1 s never both believe they hold it, and the 2 s left between "the holder stops" and
 *   "another may start" absorb the renewal's own round trip. A standby tries every half second, so a stopped or
 *   frozen holder is replaced about 7 s after its last renewal (well within the 10 s median the takeover is held to).
 *
 * Nothing rests on these times alone: the lease carries an epoch that grows at every change of holder, every store
 * write checks it in its own transaction, and every backend action carries it (see `ensure()`), so a holder that
 * froze past its lease (a GC pause, a stopped VM) and wakes commits nothing and sends nothing.
 *
 * A holder that was a process of this host and no longer runs (killed; or a zombie that an init which does not reap
 * left in the process table) is taken over at once instead of after its time runs out.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { MaelstromError, toMaelstromError } from '../model/errors.js';
import type { Fence, Lease, LeaseStore } from '../store/store.js';

export const CONTROLLER_LEASE = 'controller';
export const DEFAULT_LEASE_TTL_MS = 6_000;
/** How far the clocks of two controllers' hosts may differ without two of them acting at once. */
export const DEFAULT_SKEW_MS = 1_000;

export interface LeaseOptions {
  readonly store: LeaseStore;
  readonly holder?: string;
  readonly ttlMs?: number;
  readonly skewMs?: number;
  readonly now?: () => number;
  /** Whether `holder` is known to be gone; by default, a process of this host that no longer runs. */
  readonly isGone?: (holder: string) => boolean;
  /** Told of each renewal that failed (the store did not answer, or refused the write). */
  readonly onRenewError?: (error: MaelstromError) => void;
}

export interface HeldLease {
  readonly holder: string;
  /** The epoch this holder leads under; every write and action carries it. */
  readonly epoch: number;
  /** The fence the store's writes check for this holder. */
  readonly fence: Fence;
  /** Resolves, with the reason, once the lease is lost: the controller must stop acting at once. */
  readonly lost: Promise<string>;
  /** Whether it was lost. */
  readonly isLost: boolean;
  /**
   * Why it was lost: `taken` by another controller (or refused as fenced), or `unrenewed` (the store did not take
   * the renewals in time: no other controller need have it, and this one may take it again once the store answers).
   */
  readonly lostKind: LostKind | undefined;
  /** Renews now; false once the lease is lost. Called every third of the time to live by itself. */
  renew(): Promise<boolean>;
  /**
   * Whether the lease surely stands by this host's clock: renewed within two thirds of its time to live. False
   * after a freeze (the process was stopped, the machine paused) until a renewal succeeds again.
   */
  valid(): boolean;
  /**
   * Resolves once the lease surely stands: at once while valid(), else after renewing it; throws E_FENCED when it was
   * lost. Called before every backend action, so a controller that wakes from a freeze asks the store first.
   */
  ensure(): Promise<void>;
  /** Marks the lease lost (a write or an action was refused as fenced): the controller stops acting. */
  lose(reason: string, kind?: LostKind): void;
  /**
   * Hands the lease to the standby `to` and stops renewing: from now on this holder acts no more, and only `to` may
   * take the lease before it runs out. False when the lease was no longer this holder's.
   */
  handOver(to: string): Promise<boolean>;
  /** Stops renewing and gives the lease up. */
  release(): Promise<void>;
  /** Tells `listener` of each renewal that failed (as `onRenewError` does); returns the way to stop. */
  onRenewError(listener: (error: MaelstromError) => void): () => void;
}

export type LostKind = 'taken' | 'unrenewed';

export type LeaseAttempt =
  | { readonly ok: true; readonly lease: HeldLease }
  | {
      readonly ok: false;
      readonly holder: string;
      readonly expiresAt: number;
      readonly epoch: number;
      /** The holder has not renewed for longer than a live one ever would: it is dead or frozen. */
      readonly stale: boolean;
      /** Whom the holder is handing the lease to, if it is. */
      readonly handoverTo?: string;
    };

/** `host/pid/nonce`: readable in messages, and enough to tell whether a holder on this host is still alive. */
export function leaseHolderName(): string {
  return `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;
}

/**
 * The state letter of a process from /proc/PID/stat (`R`, `S`, `T`, `Z`…), or undefined where there is no /proc.
 * The command name, in parentheses, may itself hold spaces and parentheses: the state follows the last `)`.
 */
export function processState(
  pid: number,
  read: (path: string) => string = (p) => readFileSync(p, 'utf8'),
): string | undefined {
  let stat: string;
  try {
    stat = read(`/proc/${pid}/stat`);
  } catch {
    return undefined;
  }
  const close = stat.lastIndexOf(')');
  return close < 0 ? undefined : stat.slice(close + 1).trim()[0];
}

/**
 * Whether a holder of this host is gone: no such process, or a zombie (`Z`) or dead (`X`) one. A SIGKILLed controller
 * whose parent does not reap it (an init that does not, as in many containers) stays in the process table as a
 * zombie, which `kill(pid, 0)` still finds: its state says it runs nothing.
 */
export function holderIsGone(holder: string, state: (pid: number) => string | undefined = processState): boolean {
  const [host, pidText] = holder.split('/');
  const pid = Number(pidText);
  if (host !== hostname() || !Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
  const s = state(pid);
  return s === 'Z' || s === 'X';
}

function fencedLoss(holder: string, epoch: number, reason: string): MaelstromError {
  return new MaelstromError('E_FENCED', `fenced: ${holder} lost the lease of epoch ${epoch}: ${reason}`, {
    details: { epoch },
  });
}

/** Takes the controller lease if it is free (or its holder gone); otherwise says who holds it and until when. */
export async function tryAcquireLease(options: LeaseOptions): Promise<LeaseAttempt> {
  const { store } = options;
  const holder = options.holder ?? leaseHolderName();
  const ttl = options.ttlMs ?? DEFAULT_LEASE_TTL_MS;
  const skewMs = options.skewMs ?? Math.round((DEFAULT_SKEW_MS * ttl) / DEFAULT_LEASE_TTL_MS);
  const now = options.now ?? Date.now;
  const isGone = options.isGone ?? ((h: string) => holderIsGone(h));
  const t = now();
  let lease: Lease = await store.acquireLease(CONTROLLER_LEASE, holder, { now: t, until: t + ttl, skewMs });
  if (lease.holder !== holder && isGone(lease.holder)) {
    lease = await store.acquireLease(CONTROLLER_LEASE, holder, {
      now: t,
      until: t + ttl,
      skewMs,
      takeFrom: lease.holder,
    });
  }
  // A lease this holder handed over is the named one's to take up: it is not taken back while that may happen.
  const handedOver = lease.holder === holder && lease.handoverTo !== undefined && lease.handoverTo !== holder;
  if (lease.holder !== holder || handedOver) {
    // A live holder renews every third of its time to live; one silent for twice that is dead or frozen.
    const stale = lease.renewedAt !== undefined && t - lease.renewedAt > (2 * ttl) / 3 + skewMs;
    return {
      ok: false,
      holder: lease.holder,
      expiresAt: lease.expiresAt,
      epoch: lease.epoch,
      stale,
      ...(lease.handoverTo !== undefined ? { handoverTo: lease.handoverTo } : {}),
    };
  }

  const epoch = lease.epoch;
  const fence: Fence = { lease: CONTROLLER_LEASE, holder, epoch };
  let renewedAt = t;
  let expiresAt = lease.expiresAt;
  let done = false;
  let lostReason: string | undefined;
  let lostKind: LostKind | undefined;
  let markLost!: (reason: string) => void;
  const lost = new Promise<string>((resolve) => {
    markLost = resolve;
  });
  const stop = (): void => {
    if (done) return;
    done = true;
    clearInterval(timer);
  };
  const lose = (reason: string, kind: LostKind = 'taken'): void => {
    if (lostReason !== undefined) return;
    lostReason = reason;
    lostKind = kind;
    stop();
    markLost(reason);
  };
  /** Acting is safe until two thirds of the lease's time to live after the last renewal. */
  const valid = (): boolean => lostReason === undefined && !done && now() < renewedAt + (2 * ttl) / 3;
  let renewing: Promise<boolean> | undefined;
  const renewErrors = new Set<(error: MaelstromError) => void>();
  const renewNow = async (): Promise<boolean> => {
    if (done) return false;
    const at = now();
    try {
      const l = await store.acquireLease(CONTROLLER_LEASE, holder, { now: at, until: at + ttl, skewMs });
      if (lostReason !== undefined) return false;
      if (l.holder !== holder || l.epoch !== epoch) {
        lose(
          l.holder !== holder
            ? `the store's lease went to ${l.holder} (epoch ${l.epoch})`
            : `the lease ran out before it was renewed (epoch ${epoch} is over)`,
        );
        return false;
      }
      renewedAt = at;
      expiresAt = l.expiresAt;
      return true;
    } catch (e) {
      const err = toMaelstromError(e);
      options.onRenewError?.(err);
      for (const l of renewErrors) l(err);
      // Unable to renew: keep acting only while the lease surely still stands, stopping a third of its time early.
      if (now() >= expiresAt - ttl / 3) {
        lose(`the lease could not be renewed: ${err.message}`, 'unrenewed');
        return false;
      }
      return true;
    }
  };
  // One renewal at a time: ensure() and the timer share it.
  const renew = (): Promise<boolean> => {
    renewing ??= renewNow().finally(() => {
      renewing = undefined;
    });
    return renewing;
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
      epoch,
      fence,
      lost,
      get isLost() {
        return lostReason !== undefined;
      },
      get lostKind() {
        return lostKind;
      },
      renew,
      valid,
      ensure: async () => {
        if (valid()) return;
        if (lostReason !== undefined) throw fencedLoss(holder, epoch, lostReason);
        if (done) throw fencedLoss(holder, epoch, 'the lease was handed over or given up');
        // After a freeze, or while renewals fail: act only once the store confirms the lease.
        const ok = await renew();
        if (!ok || !valid()) throw fencedLoss(holder, epoch, lostReason ?? 'the lease cannot be confirmed in time');
      },
      lose,
      handOver: async (to) => {
        if (done) return false;
        stop();
        const l = await store.handOverLease(CONTROLLER_LEASE, holder, to);
        return l?.holder === holder && l.handoverTo === to;
      },
      release: async () => {
        stop();
        await store.releaseLease(CONTROLLER_LEASE, holder).catch(() => undefined);
      },
      onRenewError: (listener) => {
        renewErrors.add(listener);
        return () => {
          renewErrors.delete(listener);
        };
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
