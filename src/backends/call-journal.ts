/**
 * The HLC stamps of an adapter's calls to a program that carries no hybrid logical clock (HAProxy's runtime API,
 * Prometheus's HTTP API): each call is stamped with this process's clock when it is sent and when its answer is
 * read, so that the retrospective timeline places it between the controller's changes that caused it and those that
 * followed. Kept in memory, the most recent `limit` calls.
 */
import { processHybridClock, type HybridClock } from '../model/hlc.js';
import { toMaelstromError } from '../model/errors.js';
import type { ActionOrigin, StampedCall } from './backend.js';

export type { StampedCall } from './backend.js';

export interface CallJournal {
  /** Runs `fn`, the call, between its two stamps; its answer or its error goes through unchanged. */
  record<T>(
    call: string,
    fn: () => Promise<T>,
    more?: { readonly detail?: Readonly<Record<string, unknown>>; readonly origin?: ActionOrigin | undefined },
  ): Promise<T>;
  /** The calls kept, oldest first. */
  calls(): readonly StampedCall[];
}

export function createCallJournal(adapter: string, clock?: HybridClock, limit = 10_000): CallJournal {
  const hlc = clock ?? processHybridClock();
  const kept: StampedCall[] = [];
  const keep = (c: StampedCall): void => {
    kept.push(c);
    if (kept.length > limit) kept.splice(0, kept.length - limit);
  };
  return {
    async record(call, fn, more = {}) {
      const base = {
        adapter,
        call,
        ...(more.detail ? { detail: more.detail } : {}),
        ...(more.origin ? { origin: more.origin } : {}),
        sent: hlc.stamp(),
      };
      try {
        const out = await fn();
        keep({ ...base, read: hlc.stamp() });
        return out;
      } catch (e) {
        const err = toMaelstromError(e);
        keep({ ...base, read: hlc.stamp(), error: { code: err.code, message: err.message } });
        throw e;
      }
    },
    calls: () => kept.slice(),
  };
}
