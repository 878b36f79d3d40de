/**
 * The link's packets on the wire. Every packet starts with the magic byte 0x4d and its kind; sequence numbers
 * are 32 bits and wrap (the receiver unwraps them against the highest it has seen); the session is a random
 * number drawn when a sender starts, so that a receiver notices a restarted sender instead of taking its new
 * sequence numbers for old ones.
 *
 *   data    (12 bytes, then the packet as it came in)
 *     0 magic 0x4d | 1 kind 1 | 2-3 zero | 4-7 session | 8-11 seq
 *   repair  (16 bytes, then the XOR of the members' bytes, each padded with zeros to the longest)
 *     0 magic 0x4d | 1 kind 2 | 2 layer | 3 count | 4-7 session | 8-11 first seq | 12-13 stride | 14-15 XOR of
 *     the members' lengths
 *
 * A repair carries its recipe, members first, first + stride, …, first + (count − 1) × stride, so the receiver
 * needs no knowledge of the sender's rate or interleaves: settings can change on one side without the other.
 */
export const MAGIC = 0x4d;
export const KIND_DATA = 1;
export const KIND_REPAIR = 2;
export const DATA_HEADER = 12;
export const REPAIR_HEADER = 16;

/** A repair's recipe: which data packets it is the XOR of. */
export interface Recipe {
  readonly layer: number;
  /** Members' sequence numbers are first + i × stride for i < count (32-bit, wrapping). */
  readonly first: number;
  readonly stride: number;
  readonly count: number;
  /** XOR of the members' lengths: the lost member's length once the others are known. */
  readonly lengthXor: number;
}

export type Parsed =
  | { readonly kind: 'data'; readonly session: number; readonly seq: number; readonly payload: Uint8Array }
  | {
      readonly kind: 'repair';
      readonly session: number;
      readonly recipe: Recipe;
      readonly payload: Uint8Array;
    }
  | { readonly kind: 'invalid'; readonly reason: string };

const view = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);

// Headers are written byte by byte (big-endian): on the hot path that is cheaper than a DataView per packet.
function put32(b: Uint8Array, at: number, x: number): void {
  b[at] = x >>> 24;
  b[at + 1] = x >>> 16;
  b[at + 2] = x >>> 8;
  b[at + 3] = x;
}

/** The 12-byte header sent in front of a data packet (the packet itself is sent as is, not copied). */
export function dataHeader(session: number, seq: number): Uint8Array {
  // allocUnsafe takes small buffers from Node's pool: no allocation of its own per packet.
  const h = Buffer.allocUnsafe(DATA_HEADER);
  h[0] = MAGIC;
  h[1] = KIND_DATA;
  h[2] = 0;
  h[3] = 0;
  put32(h, 4, session);
  put32(h, 8, seq);
  return h;
}

/** Writes a repair's header into the first 16 bytes of `packet`. */
export function writeRepairHeader(packet: Uint8Array, session: number, recipe: Recipe): void {
  packet[0] = MAGIC;
  packet[1] = KIND_REPAIR;
  packet[2] = recipe.layer;
  packet[3] = recipe.count;
  put32(packet, 4, session);
  put32(packet, 8, recipe.first);
  packet[12] = recipe.stride >>> 8;
  packet[13] = recipe.stride;
  packet[14] = recipe.lengthXor >>> 8;
  packet[15] = recipe.lengthXor;
}

/** Reads one packet off the wire; anything malformed is `invalid` with a reason, never a throw. */
export function parsePacket(packet: Uint8Array): Parsed {
  if (packet.length < DATA_HEADER) return { kind: 'invalid', reason: 'short' };
  if (packet[0] !== MAGIC) return { kind: 'invalid', reason: 'magic' };
  const v = view(packet);
  const session = v.getUint32(4);
  if (packet[1] === KIND_DATA) {
    return { kind: 'data', session, seq: v.getUint32(8), payload: packet.subarray(DATA_HEADER) };
  }
  if (packet[1] === KIND_REPAIR) {
    if (packet.length < REPAIR_HEADER) return { kind: 'invalid', reason: 'short' };
    const count = packet[3]!;
    const stride = v.getUint16(12);
    if (count === 0 || stride === 0) return { kind: 'invalid', reason: 'recipe' };
    return {
      kind: 'repair',
      session,
      recipe: { layer: packet[2]!, first: v.getUint32(8), stride, count, lengthXor: v.getUint16(14) },
      payload: packet.subarray(REPAIR_HEADER),
    };
  }
  return { kind: 'invalid', reason: 'kind' };
}
