/**
 * The long-haul link, emulated in user space for tests and benchmarks (no netem needed): a bottleneck of a given
 * bandwidth with a drop-tail queue, then a fixed one-way delay, with random loss and Gilbert–Elliott bursts.
 * The model is pure and runs on whatever clock it is given; for a seed, the same packets offered in the same
 * order meet the same fate.
 *
 * Gilbert–Elliott: before each packet the link may change state, good → bad with probability P and bad → good
 * with probability R; in the bad state every packet is lost (mean burst 1 / R packets), in the good state each
 * is lost with probability `loss`.
 */
import { MaelstromError } from '../model/errors.js';
import { seededRandom } from '../model/random.js';
import { parseDuration } from '../model/duration.js';

export interface EmulatorSettings {
  readonly delayMs: number;
  /** Bits per second; undefined: no limit (and no queue). */
  readonly bandwidthBps?: number;
  /** Random loss probability per packet in the good state, 0–1. */
  readonly loss: number;
  readonly burst?: { readonly p: number; readonly r: number };
  /** Longest wait in the bottleneck's queue before a packet is dropped (drop-tail), milliseconds. */
  readonly queueMs: number;
  readonly seed: number;
}

export interface EmulatorCounters {
  offered: number;
  forwarded: number;
  lostRandom: number;
  lostBurst: number;
  /** Dropped because the bottleneck's queue was full. */
  lostQueue: number;
  /** Packets lost in a row, by length of the run (1, 2, …): what the burst model actually did. */
  readonly runs: Map<number, number>;
}

export interface Emulator {
  /** A packet enters the link at `now`: it is lost, or scheduled for delivery. */
  offer(packet: Uint8Array, now: number): void;
  /** Packets due by `now`, in order. */
  takeDue(now: number): Uint8Array[];
  /** When the next packet is due, if any. */
  nextDue(): number | undefined;
  /** Packets in flight (queued or on the wire). */
  inFlight(): number;
  readonly counters: Readonly<EmulatorCounters>;
  /** New settings for the packets offered from now on; those in flight keep their times. */
  update(settings: EmulatorSettings): void;
}

export function createEmulator(initial: EmulatorSettings): Emulator {
  let settings = initial;
  let rand = seededRandom(settings.seed);
  const times: number[] = [];
  const packets: Uint8Array[] = [];
  let headIndex = 0;
  let bad = false;
  let lossRun = 0;
  let linkFreeAt = 0;
  const counters: EmulatorCounters = {
    offered: 0,
    forwarded: 0,
    lostRandom: 0,
    lostBurst: 0,
    lostQueue: 0,
    runs: new Map(),
  };
  const endRun = (): void => {
    if (lossRun > 0) counters.runs.set(lossRun, (counters.runs.get(lossRun) ?? 0) + 1);
    lossRun = 0;
  };

  return {
    offer(packet, now) {
      counters.offered++;
      let departs = now;
      if (settings.bandwidthBps !== undefined) {
        const start = Math.max(now, linkFreeAt);
        if (start - now > settings.queueMs) {
          counters.lostQueue++;
          return;
        }
        // The packet occupies the bottleneck for its serialisation time, whether or not the wire then loses it.
        linkFreeAt = start + ((packet.length + 28) * 8 * 1000) / settings.bandwidthBps;
        departs = linkFreeAt;
      }
      if (settings.burst) bad = bad ? rand() >= settings.burst.r : rand() < settings.burst.p;
      if (bad) {
        counters.lostBurst++;
        lossRun++;
        return;
      }
      if (settings.loss > 0 && rand() < settings.loss) {
        counters.lostRandom++;
        lossRun++;
        return;
      }
      endRun();
      times.push(departs + settings.delayMs);
      packets.push(packet);
    },
    takeDue(now) {
      const out: Uint8Array[] = [];
      while (headIndex < times.length && times[headIndex]! <= now) out.push(packets[headIndex++]!);
      if (headIndex > 4096 && headIndex * 2 > times.length) {
        times.splice(0, headIndex);
        packets.splice(0, headIndex);
        headIndex = 0;
      }
      counters.forwarded += out.length;
      return out;
    },
    nextDue: () => (headIndex < times.length ? times[headIndex] : undefined),
    inFlight: () => times.length - headIndex,
    counters,
    update(next) {
      if (next.seed !== settings.seed) rand = seededRandom(next.seed);
      settings = next;
    },
  };
}

const bad = (message: string): MaelstromError => new MaelstromError('E_BAD_REQUEST', message);

/** "0.1%" or "0.001": a probability. */
export function parseProbability(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(%?)$/.exec(text.trim());
  const value = m ? Number(m[1]) / (m[2] ? 100 : 1) : NaN;
  if (!m || !(value >= 0 && value <= 1))
    throw bad(`${flag} must be a probability such as 0.1% or 0.001, got "${text}"`);
  return value;
}

const BANDWIDTH_UNITS: Record<string, number> = {
  bit: 1,
  kbit: 1e3,
  mbit: 1e6,
  gbit: 1e9,
  bps: 8,
  kbps: 8e3,
  mbps: 8e6,
  gbps: 8e9,
};

/** "1gbit", "100mbit", "12.5mbps" (bytes): bits per second, as tc writes rates. */
export function parseBandwidth(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]+)$/i.exec(text.trim());
  const unit = m ? BANDWIDTH_UNITS[m[2]!.toLowerCase()] : undefined;
  const bps = m && unit !== undefined ? Number(m[1]) * unit : NaN;
  if (!(bps > 0)) throw bad(`${flag} must be a rate such as 1gbit, 100mbit or 500kbit, got "${text}"`);
  return bps;
}

/** "gilbert:P,R" with P and R probabilities (see above). */
export function parseBurst(text: string, flag: string): { p: number; r: number } {
  const m = /^gilbert:([^,]+),([^,]+)$/.exec(text.trim());
  if (!m) throw bad(`${flag} must be gilbert:P,R such as gilbert:0.01%,30%, got "${text}"`);
  const p = parseProbability(m[1]!, `${flag} P`);
  const r = parseProbability(m[2]!, `${flag} R`);
  if (r === 0) throw bad(`${flag} R must be above 0, or a burst never ends`);
  return { p, r };
}

/** A duration flag in milliseconds ("50ms", "0"). */
export function parseMs(text: string, flag: string): number {
  const ms = text.trim() === '0' ? 0 : parseDuration(text);
  if (ms === undefined) throw bad(`${flag} must be a duration such as 50ms, got "${text}"`);
  return ms;
}
