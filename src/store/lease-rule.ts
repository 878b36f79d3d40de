/**
 * The lease rule both SQL stores apply inside their transaction, written once so that they cannot differ: who may
 * take a lease, and when taking it raises the epoch.
 */
import type { Lease } from './store.js';

export interface LeaseRequest {
  readonly holder: string;
  readonly now: number;
  readonly until: number;
  readonly takeFrom?: string;
  readonly skewMs?: number;
}

/** What to write: nothing (another holds it), or the lease with its epoch. */
export type LeaseDecision = { readonly take: false } | { readonly take: true; readonly lease: Lease };

export function decideLease(name: string, current: Lease | undefined, r: LeaseRequest): LeaseDecision {
  const { holder, now, until } = r;
  const taken = (epoch: number, handoverTo?: string): LeaseDecision => ({
    take: true,
    lease: { name, holder, expiresAt: until, epoch, renewedAt: now, ...(handoverTo ? { handoverTo } : {}) },
  });
  if (!current) return taken(1);
  // A renewal keeps the epoch: nobody else can have acted since this holder's lease began.
  if (current.holder === holder && current.expiresAt > now) return taken(current.epoch, current.handoverTo);
  const next = current.epoch + 1;
  if (current.holder === holder) return taken(next);
  if (current.handoverTo === holder) return taken(next);
  if (r.takeFrom !== undefined && current.holder === r.takeFrom) return taken(next);
  // Another holder's lease counts as running a little longer: its clock may be behind ours.
  if (current.expiresAt + (r.skewMs ?? 0) <= now) return taken(next);
  return { take: false };
}
