/**
 * The sending half of the codec. Each data packet leaves at once with a 12-byte header; it is also XORed into one
 * accumulator per layer (its class in that layer), and an accumulator whose run closes is sent as a repair right
 * after the packet that closed it. When the stream goes quiet, runs would wait for traffic that does not come, so
 * `flush` sends every open accumulator over the packets it has once no data packet has come for `flushMs`: the end
 * of a burst and sparse traffic (acknowledgements, a trickle of records) are protected at once. While packets keep
 * coming, runs close by themselves and the overhead stays c / r.
 *
 * The accumulators live in one arena (see xor.ts): an accumulator's first packet is copied in, later ones are
 * XORed in over the shorter of the two lengths and copied beyond it, so no accumulator is ever zeroed and bytes
 * past an accumulator's length are never read.
 */
import { closesRun, layouts, type LayerLayout } from './layout.js';
import type { FecSettings } from './settings.js';
import { dataHeader, REPAIR_HEADER, writeRepairHeader } from './wire.js';
import { createArena, pad16, type XorArena, type XorKernelKind } from './xor.js';

export interface EncoderCounters {
  dataPackets: number;
  dataBytes: number;
  repairPackets: number;
  repairBytes: number;
  /** Data packets longer than `maxPacket`: forwarded, in no repair. */
  unprotected: number;
  /** Repairs sent by `flush` before their run closed. */
  flushed: number;
}

export interface EncoderOptions {
  readonly settings: FecSettings;
  /** Random per sender start (see wire.ts). */
  readonly session: number;
  /** Called with each data packet as its header and the packet itself, to be sent as they are, in that order. */
  readonly onData: (header: Uint8Array, payload: Uint8Array) => void;
  /** Called with each repair packet, header included, after the data packet that closed it. */
  readonly onRepair: (packet: Uint8Array) => void;
  readonly kernel?: XorKernelKind;
  /** The first sequence number (0 unless a test wants to start near the 32-bit wrap). */
  readonly firstSeq?: number;
}

export interface Encoder {
  /** Takes one data packet: hands it on at once (onData), then any repair it closed (onRepair). */
  encode(payload: Uint8Array, now: number): void;
  /** Sends every open repair if no data packet has come for `flushMs` by `now`. */
  flush(now: number): void;
  /** Sends every open repair (before a settings change or a stop). */
  flushAll(): void;
  /** Switches to new settings: sends what is open, then goes on with the same session and numbering. */
  reconfigure(settings: FecSettings): void;
  readonly settings: FecSettings;
  readonly counters: Readonly<EncoderCounters>;
  readonly kernel: XorKernelKind;
  /** Bytes held for accumulators. */
  readonly memoryBytes: number;
  /** Data packets sent into accumulators that are still open. */
  openPackets(): number;
}

interface Accumulator {
  readonly offset: number;
  len: number;
  count: number;
  first: number;
  lengthXor: number;
}

interface Layer {
  readonly index: number;
  readonly layout: LayerLayout;
  readonly accs: Accumulator[];
}

export function createEncoder(options: EncoderOptions): Encoder {
  const { session, onData, onRepair } = options;
  let settings = options.settings;
  let seq = options.firstSeq ?? 0;
  let lastDataAt = -Infinity;
  const counters: EncoderCounters = {
    dataPackets: 0,
    dataBytes: 0,
    repairPackets: 0,
    repairBytes: 0,
    unprotected: 0,
    flushed: 0,
  };
  let arena: XorArena;
  let bytes: Uint8Array;
  let scratch = 0;
  let layers: Layer[] = [];

  const build = (): void => {
    const slot = pad16(settings.maxPacket);
    const classes = settings.interleaves.reduce((n, i) => n + i, 0);
    arena = createArena(slot * (classes + 1), options.kernel);
    bytes = arena.bytes;
    scratch = slot * classes;
    let next = 0;
    layers = layouts(settings.r, settings.interleaves).map((layout, index) => ({
      index,
      layout,
      accs: Array.from({ length: layout.interleave }, () => {
        const acc: Accumulator = { offset: next, len: 0, count: 0, first: 0, lengthXor: 0 };
        next += slot;
        return acc;
      }),
    }));
  };
  build();

  const emit = (layer: Layer, acc: Accumulator): void => {
    const packet = Buffer.allocUnsafe(REPAIR_HEADER + acc.len);
    writeRepairHeader(packet, session, {
      layer: layer.index,
      first: acc.first,
      stride: layer.layout.interleave,
      count: acc.count,
      lengthXor: acc.lengthXor,
    });
    packet.set(bytes.subarray(acc.offset, acc.offset + acc.len), REPAIR_HEADER);
    acc.count = 0;
    counters.repairPackets++;
    counters.repairBytes += packet.length;
    onRepair(packet);
  };

  /** Adds the packet in the scratch slot to one accumulator. */
  const add = (acc: Accumulator, s: number, len: number): void => {
    if (acc.count === 0) {
      bytes.copyWithin(acc.offset, scratch, scratch + pad16(len));
      acc.len = len;
      acc.first = s;
      acc.lengthXor = len;
    } else {
      arena.xor(acc.offset, scratch, Math.min(len, acc.len));
      if (len > acc.len) {
        bytes.copyWithin(acc.offset + acc.len, scratch + acc.len, scratch + len);
        acc.len = len;
      }
      acc.lengthXor ^= len;
    }
    acc.count++;
  };

  const encode = (payload: Uint8Array, now: number): void => {
    const s = seq++;
    const len = payload.length;
    lastDataAt = now;
    counters.dataPackets++;
    counters.dataBytes += len;
    // The data packet leaves first: a repair it closes must not arrive before it, or the receiver would rebuild
    // a packet that is only a moment behind.
    onData(dataHeader(session, s), payload);
    if (layers.length === 0) return;
    if (len > settings.maxPacket) {
      counters.unprotected++;
      return;
    }
    bytes.set(payload, scratch);
    bytes.fill(0, scratch + len, scratch + pad16(len));
    if (layers.length === 3) {
      // The common (r, 3) case: when all three accumulators are open and at least as long, one pass XORs all.
      const a = layers[0]!.accs[s % layers[0]!.layout.interleave]!;
      const b = layers[1]!.accs[s % layers[1]!.layout.interleave]!;
      const c = layers[2]!.accs[s % layers[2]!.layout.interleave]!;
      if (a.count > 0 && b.count > 0 && c.count > 0 && a.len >= len && b.len >= len && c.len >= len) {
        arena.xor3(a.offset, b.offset, c.offset, scratch, len);
        a.lengthXor ^= len;
        b.lengthXor ^= len;
        c.lengthXor ^= len;
        a.count++;
        b.count++;
        c.count++;
      } else {
        add(a, s, len);
        add(b, s, len);
        add(c, s, len);
      }
    } else {
      for (const layer of layers) add(layer.accs[s % layer.layout.interleave]!, s, len);
    }
    for (const layer of layers) {
      if (closesRun(layer.layout, s)) {
        const acc = layer.accs[s % layer.layout.interleave]!;
        if (acc.count > 0) emit(layer, acc);
      }
    }
  };

  const flush = (now: number): void => {
    if (settings.flushMs <= 0 || now - lastDataAt < settings.flushMs) return;
    flushAll();
  };

  const flushAll = (): void => {
    for (const layer of layers)
      for (const acc of layer.accs)
        if (acc.count > 0) {
          counters.flushed++;
          emit(layer, acc);
        }
  };

  return {
    encode,
    flush,
    flushAll,
    reconfigure(next) {
      flushAll();
      settings = next;
      build();
    },
    get settings() {
      return settings;
    },
    counters,
    get kernel() {
      return arena.kind;
    },
    get memoryBytes() {
      return bytes.length;
    },
    openPackets() {
      let n = 0;
      for (const layer of layers) for (const acc of layer.accs) n += acc.count;
      return n;
    },
  };
}
