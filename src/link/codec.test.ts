import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createDecoder, type Delivery } from './decoder.js';
import { createEncoder } from './encoder.js';
import { parseSettings, type FecSettings } from './settings.js';
import { parsePacket, type Recipe } from './wire.js';

const S83: FecSettings = parseSettings({ rate: '8,3', interleave: '1,10,100', flush: '0' });

interface Wire {
  readonly packets: Uint8Array[];
  readonly originals: Map<number, Uint8Array>;
}

/** Encodes `payloads` and returns the wire stream in order: each data packet, then any repair it closed. */
function encodeAll(
  payloads: readonly Uint8Array[],
  settings: FecSettings = S83,
  options: { firstSeq?: number; flushAll?: boolean } = {},
): Wire {
  const packets: Uint8Array[] = [];
  const originals = new Map<number, Uint8Array>();
  const enc = createEncoder({
    settings,
    session: 7,
    onData: (h, p) => packets.push(joined(h, p)),
    onRepair: (p) => packets.push(p),
    ...(options.firstSeq !== undefined ? { firstSeq: options.firstSeq } : {}),
  });
  let seq = options.firstSeq ?? 0;
  for (const payload of payloads) {
    enc.encode(payload, 0);
    originals.set(seq++, payload);
  }
  if (options.flushAll !== false) enc.flushAll();
  return { packets, originals };
}

const joined = (header: Uint8Array, payload: Uint8Array): Uint8Array => {
  const packet = new Uint8Array(header.length + payload.length);
  packet.set(header);
  packet.set(payload, header.length);
  return packet;
};

function decodeAll(
  packets: readonly Uint8Array[],
  capacity = 1 << 16,
): { deliveries: Delivery[]; dec: ReturnType<typeof createDecoder> } {
  const deliveries: Delivery[] = [];
  const dec = createDecoder({
    capacity,
    onDeliver: (d) => deliveries.push({ ...d, payload: new Uint8Array(d.payload) }),
  });
  packets.forEach((p, i) => dec.receive(p, i));
  return { deliveries, dec };
}

/** The reference: rebuild by brute force until nothing changes, from whatever arrived. */
function bruteForce(received: readonly Uint8Array[]): Map<number, Uint8Array> {
  const known = new Map<number, Uint8Array>();
  const repairs: { recipe: Recipe; payload: Uint8Array }[] = [];
  for (const p of received) {
    const parsed = parsePacket(p);
    if (parsed.kind === 'data') known.set(parsed.seq, parsed.payload);
    else if (parsed.kind === 'repair') repairs.push(parsed);
  }
  let changed = true;
  while (changed) {
    changed = false;
    for (const { recipe, payload } of repairs) {
      const members = Array.from({ length: recipe.count }, (_, i) => (recipe.first + i * recipe.stride) >>> 0);
      const missing = members.filter((m) => !known.has(m));
      if (missing.length !== 1) continue;
      const out = new Uint8Array(payload);
      let length = recipe.lengthXor;
      for (const m of members) {
        if (m === missing[0]) continue;
        const other = known.get(m)!;
        for (let i = 0; i < other.length; i++) out[i]! ^= other[i]!;
        length ^= other.length;
      }
      known.set(missing[0]!, out.subarray(0, length));
      changed = true;
    }
  }
  return known;
}

const payloadOf = (seq: number, len: number): Uint8Array =>
  Uint8Array.from({ length: len }, (_, i) => (seq * 31 + i * 7) & 255);
const stream = (n: number, len = 100): Uint8Array[] => Array.from({ length: n }, (_, s) => payloadOf(s, len));

describe('link codec', () => {
  it('delivers every packet once, in order, and rebuilds nothing when nothing is lost', () => {
    const wire = encodeAll(stream(2000));
    const { deliveries, dec } = decodeAll(wire.packets);
    expect(deliveries.map((d) => d.seq)).toEqual([...Array(2000).keys()]);
    expect(deliveries.every((d) => !d.recovered)).toBe(true);
    expect(dec.counters.recovered).toBe(0);
    expect(dec.counters.unrecoverable).toBe(0);
  });

  it('sends c repairs for every r data packets, each data packet in exactly one repair of each layer', () => {
    const n = 8000;
    const wire = encodeAll(stream(n, 20));
    const repairs = wire.packets.map(parsePacket).filter((p) => p.kind === 'repair');
    expect(repairs.length).toBeGreaterThanOrEqual((n * 3) / 8);
    expect(repairs.length).toBeLessThanOrEqual((n * 3) / 8 + 111);
    for (const layer of [0, 1, 2]) {
      const covered = new Uint32Array(n);
      for (const r of repairs)
        if (r.recipe.layer === layer)
          for (let i = 0; i < r.recipe.count; i++) covered[r.recipe.first + i * r.recipe.stride]!++;
      expect([...covered].every((c) => c === 1)).toBe(true);
      expect(repairs.filter((r) => r.recipe.layer === layer).every((r) => r.recipe.count <= 8)).toBe(true);
    }
  });

  it('spreads repairs evenly: in steady state one about every r / c data packets, never a burst of them', () => {
    const wire = encodeAll(stream(20_000, 10), S83, { flushAll: false });
    // Data packets sent between consecutive repairs, after the first cycle of r × I_max packets.
    const gaps: number[] = [];
    let since = -1;
    let data = 0;
    for (const p of wire.packets) {
      if (p[1] === 1) {
        data++;
        if (since >= 0) since++;
      } else if (data > 800) {
        if (since >= 0) gaps.push(since);
        since = 0;
      }
    }
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    expect(mean).toBeCloseTo(8 / 3, 1);
    // Never more than two repairs after one data packet, and never more than 8 data packets without a repair.
    let run = 0;
    for (const g of gaps) {
      run = g === 0 ? run + 1 : 0;
      expect(run).toBeLessThanOrEqual(1);
    }
    expect(Math.max(...gaps)).toBeLessThanOrEqual(8);
  });

  it('rebuilds exactly what a brute-force decoder rebuilds, byte for byte, whatever is lost', () => {
    fc.assert(
      fc.property(
        fc.record({
          r: fc.integer({ min: 1, max: 10 }),
          interleaves: fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 4 }),
          lengths: fc.array(fc.integer({ min: 0, max: 70 }), { minLength: 1, maxLength: 300 }),
          lossSeed: fc.integer(),
          lossPercent: fc.integer({ min: 0, max: 60 }),
          shuffle: fc.boolean(),
        }),
        ({ r, interleaves, lengths, lossSeed, lossPercent, shuffle }) => {
          const settings = parseSettings({
            rate: `${r},${interleaves.length}`,
            interleave: interleaves.join(','),
            flush: '0',
          });
          const wire = encodeAll(
            lengths.map((len, s) => payloadOf(s, len)),
            settings,
          );
          let x = lossSeed >>> 0 || 1;
          const rand = (): number => {
            x ^= x << 13;
            x ^= x >>> 17;
            x ^= x << 5;
            return (x >>> 0) / 2 ** 32;
          };
          let received = wire.packets.filter(() => rand() * 100 >= lossPercent);
          if (shuffle) received = [...received].sort(() => rand() - 0.5);
          const expected = bruteForce(received);
          const { deliveries, dec } = decodeAll(received);
          const got = new Map(deliveries.map((d) => [d.seq, d.payload]));
          expect(deliveries.length).toBe(got.size); // never delivered twice
          expect([...got.keys()].sort((a, b) => a - b)).toEqual([...expected.keys()].sort((a, b) => a - b));
          for (const [seq, payload] of got) {
            expect(payload).toEqual(wire.originals.get(seq));
            expect(expected.get(seq)).toEqual(payload);
          }
          expect(dec.counters.invalid).toBe(0);
        },
      ),
      { numRuns: 150, seed: 20 },
    );
  });

  it('recovers a burst of 10 lost data packets at (8, 3) over interleaves 1, 10, 100', () => {
    const wire = encodeAll(stream(3000));
    let dataSeen = 0;
    const received = wire.packets.filter((p) => {
      if (p[1] !== 1) return true;
      dataSeen++;
      return dataSeen <= 1500 || dataSeen > 1510;
    });
    const { deliveries, dec } = decodeAll(received);
    expect(new Set(deliveries.map((d) => d.seq)).size).toBe(3000);
    expect(dec.counters.recovered).toBe(10);
  });

  it('recovers through a rebuilt packet: a repair that needed two lost members completes after one is rebuilt', () => {
    // r = 2, interleaves 1 and 2: packets 0..3; lose 0 and 1 (the layer-1 repair of 0,1 then misses two).
    const settings = parseSettings({ rate: '2,2', interleave: '1,2', flush: '0' });
    const wire = encodeAll(stream(8), settings);
    const lost = new Set([0, 1]);
    const received = wire.packets.filter((p) => {
      const parsed = parsePacket(p);
      return !(parsed.kind === 'data' && lost.has(parsed.seq));
    });
    const { deliveries } = decodeAll(received);
    expect(
      deliveries
        .filter((d) => d.recovered)
        .map((d) => d.seq)
        .sort(),
    ).toEqual([0, 1]);
  });

  it('carries packets of any length up to the largest, and a packet of no bytes', () => {
    const lengths = [0, 1, 1400, 3, 9000, 17, 0, 512];
    const wire = encodeAll(
      lengths.map((len, s) => payloadOf(s, len)),
      parseSettings({ rate: '8,1', interleave: '1', flush: '0' }),
    );
    for (let lose = 0; lose < lengths.length; lose++) {
      let d = -1;
      const received = wire.packets.filter((p) => !(p[1] === 1 && ++d === lose));
      const { deliveries } = decodeAll(received);
      const rebuilt = deliveries.find((x) => x.seq === lose)!;
      expect(rebuilt.recovered).toBe(true);
      expect(rebuilt.payload).toEqual(payloadOf(lose, lengths[lose]!));
    }
  });

  it('numbers past 2^32 wrap on the wire and still rebuild', () => {
    const first = 2 ** 32 - 40;
    const wire = encodeAll(stream(400), S83, { firstSeq: first });
    let d = 0;
    const received = wire.packets.filter((p) => !(p[1] === 1 && [39, 40, 41].includes(d++)));
    const { deliveries, dec } = decodeAll(received);
    expect(deliveries.length).toBe(400);
    expect(dec.counters.recovered).toBe(3);
    expect(deliveries.at(-1)!.seq).toBe(first + 399);
  });

  it('suppresses a second copy, and an original arriving after its rebuilt copy is counted late', () => {
    const wire = encodeAll(stream(100), parseSettings({ rate: '4,1', interleave: '1', flush: '0' }));
    const d0 = wire.packets.find((p) => p[1] === 1 && p[11] === 0)!;
    const d1 = wire.packets.find((p) => p[1] === 1 && p[11] === 1)!;
    // Packet 0 is lost, rebuilt from the first repair, then arrives late; packet 1 arrives twice.
    const received = [...wire.packets.filter((p) => p !== d0), d0, d1];
    const { deliveries, dec } = decodeAll(received);
    expect(deliveries.length).toBe(100);
    expect(dec.counters.late).toBe(1);
    expect(dec.counters.duplicates).toBe(1);
  });

  it('holds at most its capacity of packets, forgets what falls out, and counts it unrecoverable', () => {
    const wire = encodeAll(stream(20_000, 40));
    // Lose every data packet from 5,000 to 5,299 (a burst longer than any interleave) and all repairs meanwhile.
    let d = 0;
    const received = wire.packets.filter((p) => {
      if (p[1] === 1) d++;
      return d <= 5000 || d > 5300;
    });
    let maxHeld = 0;
    const dec = createDecoder({ capacity: 1024, onDeliver: () => undefined });
    received.forEach((p, i) => {
      dec.receive(p, i);
      maxHeld = Math.max(maxHeld, dec.bufferPackets());
    });
    expect(dec.capacity()).toBe(1024);
    expect(maxHeld).toBeLessThanOrEqual(1024);
    expect(dec.counters.unrecoverable + dec.counters.recovered).toBe(300);
    expect(dec.counters.unrecoverable).toBeGreaterThan(0);
    expect(dec.pendingRepairs()).toBeLessThan(50);
  });

  it('starts over when the sender restarts with a new session', () => {
    const a = encodeAll(stream(50));
    const dec = createDecoder({ capacity: 1024, onDeliver: () => undefined });
    a.packets.forEach((p) => dec.receive(p, 0));
    const enc = createEncoder({
      settings: S83,
      session: 8,
      onData: (h, p) => dec.receive(joined(h, p), 0),
      onRepair: () => undefined,
    });
    enc.encode(payloadOf(0, 10), 0);
    expect(dec.counters.sessions).toBe(2);
    expect(dec.counters.stale).toBe(0);
  });

  it('sends every open repair once the stream has been quiet for the flush time, so sparse traffic is protected', () => {
    const repairs: Uint8Array[] = [];
    const enc = createEncoder({
      settings: parseSettings({ flush: '20ms' }),
      session: 1,
      onData: () => undefined,
      onRepair: (p) => repairs.push(p),
    });
    enc.encode(payloadOf(0, 10), 0);
    enc.encode(payloadOf(1, 10), 5);
    const closedByThemselves = repairs.length;
    enc.flush(20); // 15 ms after the last packet: not yet quiet long enough
    expect(repairs.length).toBe(closedByThemselves);
    enc.flush(25);
    expect(enc.openPackets()).toBe(0);
    expect(repairs.length).toBeGreaterThan(closedByThemselves);
    // Each open accumulator became one repair over what it had: two packets cover every layer's members once.
    const covered = repairs.map(parsePacket).reduce((n, p) => n + (p.kind === 'repair' ? p.recipe.count : 0), 0);
    expect(covered).toBe(2 * 3);
  });

  it('keeps numbering across a settings change, and the receiver rebuilds on both sides of it', () => {
    const packets: Uint8Array[] = [];
    const enc = createEncoder({
      settings: S83,
      session: 3,
      onData: (h, p) => packets.push(joined(h, p)),
      onRepair: (p) => packets.push(p),
    });
    const send = (s: number): void => enc.encode(payloadOf(s, 30), 0);
    for (let s = 0; s < 500; s++) send(s);
    enc.reconfigure(parseSettings({ rate: '4,2', interleave: '1,20', flush: '0' }));
    for (let s = 500; s < 1000; s++) send(s);
    enc.flushAll();
    const wire = packets;
    let d = 0;
    const received = wire.filter((p) => !(p[1] === 1 && [100, 700].includes(d++)));
    const { deliveries } = decodeAll(received);
    expect(new Set(deliveries.map((x) => x.seq)).size).toBe(1000);
  });

  it('counts what is not a link packet and never throws on it', () => {
    const dec = createDecoder({ capacity: 64, onDeliver: () => undefined });
    for (const junk of [
      new Uint8Array(0),
      new Uint8Array(40),
      Uint8Array.from([0x4d, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
      Uint8Array.from([0x4d, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
    ])
      dec.receive(junk, 0);
    expect(dec.counters.invalid).toBe(4);
  });
});
