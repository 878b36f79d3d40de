/**
 * The lease rule both SQL stores apply inside their transaction, written once so that they cannot differ: who may
 * take a lease, and when taking it raises the epoch.
 */
import { MaelstromError } from '../model/errors.js';
import type { Fence, Lease } from './store.js';

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
  // The same holder keeps its epoch, even after its lease ran out or was given up: the row still naming it means
  // nobody else held it meanwhile, so nobody else can have acted under a later epoch.
  if (current.holder === holder) {
    // A holder that handed its lease over does not take it back while the one it named may still take it up.
    if (current.handoverTo !== undefined && current.handoverTo !== holder && current.expiresAt > now)
      return { take: false };
    return taken(current.epoch);
  }
  const next = current.epoch + 1;
  if (current.handoverTo === holder) return taken(next);
  if (r.takeFrom !== undefined && current.holder === r.takeFrom) return taken(next);
  // Another holder's lease counts as running a little longer: its clock may be behind ours.
  if (current.expiresAt + (r.skewMs ?? 0) <= now) return taken(next);
  return { take: false };
}

/** The refusal of a write (or an action) from a controller whose lease moved on. */
export function fencedError(fence: Fence, current: Lease | undefined): MaelstromError {
  const now = current ? `${current.holder} holds it at epoch ${current.epoch}` : 'nobody holds it';
  return new MaelstromError(
    'E_FENCED',
    `fenced: ${fence.holder} wrote at lease epoch ${fence.epoch}, but ${now}: it commits nothing more and stands by`,
    { details: { epoch: fence.epoch, current: current?.epoch ?? null, holder: current?.holder ?? null } },
  );
}

/** Whether the fence still stands against the lease as the store has it. */
export function fenceHolds(fence: Fence, current: Lease | undefined): boolean {
  return current !== undefined && current.holder === fence.holder && current.epoch === fence.epoch;
}
