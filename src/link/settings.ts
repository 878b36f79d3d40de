/**
 * The settings of one direction of a link: the FEC rate (r, c), the interleave of each of the c layers, how long a
 * partly filled repair may wait at low packet rates, and the largest packet the codec protects. Parsed once at the
 * edge (CLI flags, the settings file, the admin endpoint); the codec only ever sees a valid `FecSettings`.
 */
import { z } from 'zod';
import { parseDuration } from '../model/duration.js';
import { MaelstromError } from '../model/errors.js';

/** Largest r: a repair's recipe counts its packets in one byte. */
export const MAX_R = 255;
/** Largest interleave: a repair's recipe carries its stride in two bytes. */
export const MAX_INTERLEAVE = 10_000;
/** Most layers (repairs per r data packets). */
export const MAX_C = 8;
/** r × I_max bounds the receiver's buffer (packets). */
export const MAX_SPAN = 65_536;
/** The largest UDP payload over IPv4, less the link's repair header. */
export const MAX_PACKET = 65_507 - 16;

export const FecSettings = z
  .strictObject({
    /** Data packets per repair in each layer. */
    r: z.number().int().min(1).max(MAX_R),
    /** One interleave per layer; c = interleaves.length (0 turns FEC off: data is forwarded, nothing added). */
    interleaves: z.array(z.number().int().min(1).max(MAX_INTERLEAVE)).max(MAX_C),
    /** A repair still open after this many milliseconds is sent over the packets it has (0: never). */
    flushMs: z.number().min(0).max(60_000),
    /** Packets longer than this are forwarded unprotected; it sizes the encoder's accumulators. */
    maxPacket: z.number().int().min(64).max(MAX_PACKET),
  })
  .refine((s) => s.r * Math.max(1, ...s.interleaves) <= MAX_SPAN, {
    message: `r × the largest interleave must be at most ${MAX_SPAN} packets (the receiver's buffer)`,
  });
export type FecSettings = z.infer<typeof FecSettings>;

export const DEFAULT_SETTINGS: FecSettings = { r: 8, interleaves: [1, 10, 100], flushMs: 20, maxPacket: 9216 };

/** c, the number of repairs for every r data packets. */
export const layerCount = (s: FecSettings): number => s.interleaves.length;

/** Overhead of the rate: c / r (0.375 at (8, 3)). */
export const overhead = (s: FecSettings): number => s.interleaves.length / s.r;

const bad = (message: string): MaelstromError => new MaelstromError('E_BAD_REQUEST', message);

function wholeList(text: string, what: string): number[] {
  const parts = text.split(',').map((p) => p.trim());
  const out = parts.map(Number);
  if (parts.some((p) => !/^\d+$/.test(p)) || out.some((n) => !Number.isSafeInteger(n)))
    throw bad(`${what} must be whole numbers separated by commas, got "${text}"`);
  return out;
}

/** The settings as written on the command line or in a settings file. */
export interface SettingsText {
  /** "r,c", such as "8,3". */
  readonly rate?: string;
  /** "I0,I1,…", such as "1,10,100"; c of them. */
  readonly interleave?: string;
  /** A duration such as "20ms", or "0" to never flush. */
  readonly flush?: string;
  readonly maxPacket?: string | number;
}

/**
 * Settings from their text form, starting from `base` for what is not given. Fails with E_BAD_REQUEST, naming the
 * flag, when a value is malformed, when c differs from the number of interleaves, or when a bound is passed.
 */
export function parseSettings(text: SettingsText, base: FecSettings = DEFAULT_SETTINGS): FecSettings {
  let r = base.r;
  let interleaves = [...base.interleaves];
  if (text.rate !== undefined) {
    const rate = wholeList(text.rate, '--rate');
    if (rate.length !== 2) throw bad(`--rate must be "r,c" such as 8,3, got "${text.rate}"`);
    const [rr, c] = rate as [number, number];
    r = rr;
    if (text.interleave === undefined && c !== interleaves.length) {
      if (c === 0) interleaves = [];
      else throw bad(`--rate ${text.rate} asks for ${c} layer(s): give --interleave with ${c} value(s)`);
    }
    if (text.interleave !== undefined) {
      interleaves = wholeList(text.interleave, '--interleave');
      if (interleaves.length !== c)
        throw bad(
          `--rate ${text.rate} asks for ${c} layer(s) but --interleave "${text.interleave}" gives ${interleaves.length}`,
        );
    }
  } else if (text.interleave !== undefined) {
    interleaves = wholeList(text.interleave, '--interleave');
  }
  let flushMs = base.flushMs;
  if (text.flush !== undefined) {
    const ms = text.flush.trim() === '0' ? 0 : parseDuration(text.flush);
    if (ms === undefined) throw bad(`--flush must be a duration such as 20ms (or 0 for never), got "${text.flush}"`);
    flushMs = ms;
  }
  const maxPacket = text.maxPacket === undefined ? base.maxPacket : Number(text.maxPacket);
  const parsed = FecSettings.safeParse({ r, interleaves, flushMs, maxPacket });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    throw bad(`invalid link settings: ${where}${issue.message}`);
  }
  return parsed.data;
}

/** "8,3 over 1,10,100": for logs and the admin endpoint. */
export function describeSettings(s: FecSettings): string {
  return s.interleaves.length === 0
    ? 'no FEC'
    : `rate ${s.r},${s.interleaves.length} over interleaves ${s.interleaves.join(',')}`;
}
