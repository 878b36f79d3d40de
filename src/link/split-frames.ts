/**
 * The frames of split mode, carried as the payloads of the link's data packets (so the FEC protects them):
 *
 *   DATA  1 | stream u32 | offset u48 | flags u8 (1: FIN after these bytes) | bytes
 *   ACK   2 | stream u32 | cumulative u48 | window u32 | n u8 | n × (start u48, end u48)   (selective ranges)
 *   OPEN  3 | stream u32
 *   RESET 5 | stream u32
 *
 * Offsets count the stream's bytes from 0; a FIN takes the one offset after the last byte, so it is acknowledged
 * like data. 48 bits of offset carry 256 TiB per connection.
 */
export const FRAME_DATA = 1;
export const FRAME_ACK = 2;
export const FRAME_OPEN = 3;
export const FRAME_RESET = 5;
export const DATA_FRAME_HEADER = 12;

export type Frame =
  | { kind: 'data'; stream: number; offset: number; fin: boolean; bytes: Uint8Array }
  | { kind: 'ack'; stream: number; cumulative: number; window: number; ranges: [number, number][] }
  | { kind: 'open'; stream: number }
  | { kind: 'reset'; stream: number };

function put48(b: Uint8Array, at: number, x: number): void {
  const hi = Math.floor(x / 2 ** 32);
  b[at] = hi >>> 8;
  b[at + 1] = hi;
  b[at + 2] = x >>> 24;
  b[at + 3] = x >>> 16;
  b[at + 4] = x >>> 8;
  b[at + 5] = x;
}
const get48 = (b: Uint8Array, at: number): number =>
  (b[at]! * 256 + b[at + 1]!) * 2 ** 32 +
  ((b[at + 2]! << 24) >>> 0) +
  (b[at + 3]! << 16) +
  (b[at + 4]! << 8) +
  b[at + 5]!;
function put32(b: Uint8Array, at: number, x: number): void {
  b[at] = x >>> 24;
  b[at + 1] = x >>> 16;
  b[at + 2] = x >>> 8;
  b[at + 3] = x;
}
const get32 = (b: Uint8Array, at: number): number =>
  ((b[at]! << 24) >>> 0) + (b[at + 1]! << 16) + (b[at + 2]! << 8) + b[at + 3]!;

export function encodeData(stream: number, offset: number, fin: boolean, bytes: Uint8Array): Uint8Array {
  const f = Buffer.allocUnsafe(DATA_FRAME_HEADER + bytes.length);
  f[0] = FRAME_DATA;
  put32(f, 1, stream);
  put48(f, 5, offset);
  f[11] = fin ? 1 : 0;
  f.set(bytes, DATA_FRAME_HEADER);
  return f;
}

export function encodeAck(stream: number, cumulative: number, window: number, ranges: [number, number][]): Uint8Array {
  const n = Math.min(ranges.length, 32);
  const f = Buffer.allocUnsafe(16 + n * 12);
  f[0] = FRAME_ACK;
  put32(f, 1, stream);
  put48(f, 5, cumulative);
  put32(f, 11, Math.min(window, 2 ** 32 - 1));
  f[15] = n;
  for (let i = 0; i < n; i++) {
    put48(f, 16 + i * 12, ranges[i]![0]);
    put48(f, 22 + i * 12, ranges[i]![1]);
  }
  return f;
}

export function encodeControl(kind: typeof FRAME_OPEN | typeof FRAME_RESET, stream: number): Uint8Array {
  const f = Buffer.allocUnsafe(5);
  f[0] = kind;
  put32(f, 1, stream);
  return f;
}

/** Reads one frame; undefined for anything malformed (it is dropped, never thrown on). */
export function decodeFrame(f: Uint8Array): Frame | undefined {
  if (f.length < 5) return undefined;
  const stream = get32(f, 1);
  switch (f[0]!) {
    case FRAME_DATA:
      if (f.length < DATA_FRAME_HEADER) return undefined;
      return { kind: 'data', stream, offset: get48(f, 5), fin: f[11] === 1, bytes: f.subarray(DATA_FRAME_HEADER) };
    case FRAME_ACK: {
      if (f.length < 16) return undefined;
      const n = f[15]!;
      if (f.length < 16 + n * 12) return undefined;
      const ranges: [number, number][] = [];
      for (let i = 0; i < n; i++) ranges.push([get48(f, 16 + i * 12), get48(f, 22 + i * 12)]);
      return { kind: 'ack', stream, cumulative: get48(f, 5), window: get32(f, 11), ranges };
    }
    case FRAME_OPEN:
      return { kind: 'open', stream };
    case FRAME_RESET:
      return { kind: 'reset', stream };
    default:
      return undefined;
  }
}
