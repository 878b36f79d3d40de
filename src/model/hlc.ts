/**
 * Hybrid logical clocks (Kulkarni, Demirbas et al., "Logical Physical Clocks", 2014), the clock of the retrospective
 * timeline. Each process keeps one. A timestamp is one 64-bit number: the physical part, ms since the epoch, in the
 * high 48 bits, and a logical counter in the low 16. It stays within the max offset of the process's wall clock, so
 * it reads as a time, and it respects causality: whatever a process records after receiving a message is stamped
 * later than what the sender recorded before sending it, however the two clocks disagree. Ordering every record of
 * every process by it therefore never shows an effect before its cause, and every prefix of that order is a
 * consistent cut.
 *
 * The rules are the paper's (and CockroachDB's `hlc` package's):
 * - a local or send event: l = max(l, wall); c = c + 1 if l did not move, else 0;
 * - a receive of (lm, cm): l = max(l, lm, wall); c = max(c, cm) + 1, c + 1 or cm + 1 as l came from both, from
 *   the clock itself or from the message; else 0;
 * - a remote timestamp whose physical part is more than the max offset (500 ms by default) ahead of the wall clock is
 *   refused (E_CLOCK_SKEW) and changes nothing: absorbing it would drag this clock, and every clock it talks to,
 *   ahead of real time for good. The receiver reports it.
 *
 * The counter has 16 bits: past 65,535 events within one millisecond the physical part moves on by a millisecond
 * (which keeps every timestamp unique and ordered, at the price of running up to that much ahead of the wall).
 *
 * Records carry a timestamp as its decimal string (`"116453476196810752"`): JSON numbers lose integers past 2^53.
 */
import { MaelstromError } from './errors.js';

/** Bits of the logical counter; the physical ms are the 48 bits above them. */
export const HLC_LOGICAL_BITS = 16;
const LOGICAL_MAX = 0xffff;
const LOGICAL_BITS = BigInt(HLC_LOGICAL_BITS);
const LOGICAL_MASK = BigInt(LOGICAL_MAX);
/** The largest physical part: 2^48 − 1 ms, in the year 10889. */
const PHYSICAL_MAX = 2 ** 48 - 1;
const HLC_MAX = (1n << 64n) - 1n;

/** How far ahead of this process's wall clock a remote timestamp may be before it is refused, ms. */
export const DEFAULT_MAX_OFFSET_MS = 500;

/** The header that carries the sender's timestamp on every request and answer between Maelstrom processes. */
export const HLC_HEADER = 'maelstrom-hlc';

/** A timestamp's two parts. */
export interface HlcParts {
  /** ms since the epoch. */
  readonly physical: number;
  readonly logical: number;
}

/** The 64-bit timestamp of (physical, logical). */
export function hlcOf(physical: number, logical: number): bigint {
  return (BigInt(physical) << LOGICAL_BITS) | BigInt(logical);
}

export function partsOf(hlc: bigint): HlcParts {
  return { physical: Number(hlc >> LOGICAL_BITS), logical: Number(hlc & LOGICAL_MASK) };
}

/** The physical part of a timestamp given as its decimal string: ms since the epoch. */
export function physicalOf(hlc: string | bigint): number {
  return Number((typeof hlc === 'bigint' ? hlc : BigInt(hlc)) >> LOGICAL_BITS);
}

/** The last timestamp of millisecond `ms`: a cut at it holds everything recorded up to the end of that millisecond. */
export function hlcAtTime(ms: number): bigint {
  return hlcOf(Math.floor(ms), LOGICAL_MAX);
}

/** Reads a timestamp written as its decimal string; E_BAD_REQUEST when it is not one. */
export function parseHlc(text: string, what = 'HLC timestamp'): bigint {
  if (!/^\d{1,20}$/.test(text))
    throw new MaelstromError('E_BAD_REQUEST', `${what} must be a 64-bit HLC as a decimal number, got "${text}"`);
  const value = BigInt(text);
  if (value > HLC_MAX) throw new MaelstromError('E_BAD_REQUEST', `${what} is larger than 64 bits: ${text}`);
  return value;
}

/** Orders two timestamps given as decimal strings (shorter is smaller: no leading zeros are written). */
export function compareHlc(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** What a record keeps of the clock when it is made: the timestamp, and the process's own wall-clock reading. */
export interface Stamp {
  /** The 64-bit HLC as a decimal string. */
  readonly hlc: string;
  /** The recording process's wall clock (its `--clock-offset` included), ms since the epoch. */
  readonly wall: number;
}

export interface HybridClock {
  readonly maxOffsetMs: number;
  /** The process's wall clock, ms since the epoch: the physical source of the clock. */
  wall(): number;
  /** A local or send event: a timestamp later than every one this clock issued or received. */
  now(): bigint;
  /** now() as a record keeps it. */
  stamp(): Stamp;
  /**
   * A receive event: a timestamp later than both `remote` and everything this clock issued or received. Throws
   * E_CLOCK_SKEW, and changes nothing, when `remote` is more than the max offset ahead of the wall clock.
   */
  update(remote: bigint | string): bigint;
  /** The latest timestamp issued or received, without making a new one. */
  last(): bigint;
}

export interface HybridClockOptions {
  /** The physical source, ms since the epoch; by default the wall clock. Tests give their own. */
  readonly wall?: () => number;
  readonly maxOffsetMs?: number;
}

/** The refusal of a timestamp from a clock too far ahead, with the figures. */
export function clockSkewError(aheadMs: number, maxOffsetMs: number, from?: string): MaelstromError {
  return new MaelstromError(
    'E_CLOCK_SKEW',
    `${from ?? 'the remote'} clock is ${Math.round(aheadMs)} ms ahead of this one, more than the max offset of ` +
      `${maxOffsetMs} ms: its timestamp is refused (check NTP on both hosts)`,
    { details: { aheadMs: Math.round(aheadMs), maxOffsetMs } },
  );
}

export function createHybridClock(options: HybridClockOptions = {}): HybridClock {
  const wall = options.wall ?? Date.now;
  const maxOffsetMs = options.maxOffsetMs ?? DEFAULT_MAX_OFFSET_MS;
  if (!Number.isFinite(maxOffsetMs) || maxOffsetMs < 0)
    throw new MaelstromError('E_BAD_REQUEST', `the max clock offset must be a number of ms ≥ 0, got ${maxOffsetMs}`);
  let l = 0;
  let c = 0;
  const physicalNow = (): number => Math.min(PHYSICAL_MAX, Math.max(0, Math.floor(wall())));
  /** Carries a full counter into the physical part. */
  const settle = (): bigint => {
    if (c > LOGICAL_MAX) {
      l += 1;
      c = 0;
    }
    return hlcOf(l, c);
  };
  const now = (): bigint => {
    const pt = physicalNow();
    if (pt > l) {
      l = pt;
      c = 0;
    } else c += 1;
    return settle();
  };
  return {
    maxOffsetMs,
    wall: () => wall(),
    now,
    stamp: () => {
      const w = wall();
      return { hlc: now().toString(), wall: w };
    },
    update(remote) {
      const value = typeof remote === 'bigint' ? remote : parseHlc(remote);
      const { physical: lm, logical: cm } = partsOf(value);
      const pt = physicalNow();
      if (lm - pt > maxOffsetMs) throw clockSkewError(lm - pt, maxOffsetMs);
      const previous = l;
      l = Math.max(previous, lm, pt);
      if (l === previous && l === lm) c = Math.max(c, cm) + 1;
      else if (l === previous) c += 1;
      else if (l === lm) c = cm + 1;
      else c = 0;
      return settle();
    },
    last: () => hlcOf(l, c),
  };
}

let processClock: HybridClock | undefined;

/**
 * The clock of this process: one per process, shared by everything in it that records or sends (the controller's
 * store, its backends, the simulator it may host), so that their records are ordered among themselves.
 */
export function processHybridClock(): HybridClock {
  return (processClock ??= createHybridClock());
}

/**
 * Sets up this process's clock: its wall clock shifted by `offsetMs` (`--clock-offset`, for tests and drills of
 * clock skew) and its max offset. Called once, at start-up, before anything records.
 */
export function configureProcessClock(options: {
  readonly offsetMs?: number;
  readonly maxOffsetMs?: number;
}): HybridClock {
  const offset = options.offsetMs ?? 0;
  processClock = createHybridClock({
    wall: offset === 0 ? Date.now : () => Date.now() + offset,
    ...(options.maxOffsetMs !== undefined ? { maxOffsetMs: options.maxOffsetMs } : {}),
  });
  return processClock;
}
