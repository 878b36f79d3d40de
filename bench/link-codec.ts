/**
 * The codec's figures, in this process: encoding speed (GB/s of data per core, by CPU time) with the WebAssembly
 * SIMD and the plain kernels, decoding speed at 1 % loss, and recovery at (8, 3) over interleaves 1, 10, 100 —
 * random single losses, and bursts of a given length with the recovery delay by burst length.
 */
import { createDecoder } from '../src/link/decoder.js';
import { createEncoder } from '../src/link/encoder.js';
import { seededRandom } from '../src/model/random.js';
import { parseSettings, type FecSettings } from '../src/link/settings.js';
import type { XorKernelKind } from '../src/link/xor.js';

const round = (x: number, digits = 2): number => Math.round(x * 10 ** digits) / 10 ** digits;
const cpuMs = (): number => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};
const S83 = parseSettings({ rate: '8,3', interleave: '1,10,100', flush: '0' });

/** GB/s of data through the encoder, by CPU time and by wall time. */
export function encodeSpeed(kernel: XorKernelKind, size = 1400, n = 1_500_000, settings: FecSettings = S83) {
  let repairs = 0;
  const enc = createEncoder({ settings, session: 1, kernel, onData: () => undefined, onRepair: () => repairs++ });
  const packets = Array.from({ length: 64 }, (_, i) => Buffer.alloc(size, i));
  for (let i = 0; i < 100_000; i++) enc.encode(packets[i & 63]!, 0); // warm up
  const c0 = cpuMs();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) enc.encode(packets[i & 63]!, 0);
  const wall = performance.now() - t0;
  const cpu = cpuMs() - c0;
  return {
    kernel: enc.kernel,
    packetBytes: size,
    gigabytesPerSecondCpu: round((n * size) / cpu / 1e6),
    gigabytesPerSecondWall: round((n * size) / wall / 1e6),
    packetsPerSecondCpu: Math.round((n / cpu) * 1000),
    repairsPerData: round(repairs / (n + 100_000), 4),
  };
}

/** The encoded wire stream of n packets: data packets and repairs, in order. */
function wire(
  n: number,
  size: number,
  settings: FecSettings = S83,
): { packets: Uint8Array[]; dataIndex: Float64Array } {
  const packets: Uint8Array[] = [];
  const dataIndex = new Float64Array(n);
  let seq = 0;
  const enc = createEncoder({
    settings,
    session: 5,
    onData: (h, p) => {
      const packet = Buffer.allocUnsafe(h.length + p.length);
      packet.set(h);
      packet.set(p, h.length);
      dataIndex[seq++] = packets.length;
      packets.push(packet);
    },
    onRepair: (p) => packets.push(p),
  });
  const payload = Buffer.alloc(size, 1);
  for (let i = 0; i < n; i++) enc.encode(payload, 0);
  enc.flushAll();
  return { packets, dataIndex };
}

/** Decoding speed at 1 % random loss: GB/s of data delivered per CPU second. */
export function decodeSpeed(n = 400_000, size = 1400) {
  const { packets } = wire(n, size);
  const rand = seededRandom(3);
  const kept = packets.filter(() => rand() >= 0.01);
  let delivered = 0;
  const dec = createDecoder({ capacity: 1024, onDeliver: (d) => (delivered += d.payload.length) });
  const c0 = cpuMs();
  kept.forEach((p, i) => dec.receive(p, i));
  const cpu = cpuMs() - c0;
  return {
    lossPercent: 1,
    gigabytesPerSecondCpu: round(delivered / cpu / 1e6),
    recovered: dec.counters.recovered,
    unrecoverable: dec.counters.unrecoverable,
  };
}

interface LossRun {
  readonly lostData: number;
  readonly recovered: number;
  /** Per recovered packet: wire packets between its place on the wire and its rebuild. */
  readonly delays: number[];
  /** Wire indices of the data packets rebuilt. */
  readonly rebuilt: Set<number>;
}

/** Runs the stream through `lose(i)` (true: wire packet i is lost) and the decoder. */
function runLoss(packets: Uint8Array[], dataIndex: Float64Array, lose: (i: number) => boolean): LossRun {
  let index = 0;
  const delays: number[] = [];
  const rebuilt = new Set<number>();
  const dec = createDecoder({
    capacity: Math.ceil(8 * 100 * 1.25),
    onDeliver: (d) => {
      if (!d.recovered) return;
      delays.push(index - dataIndex[d.seq]!);
      rebuilt.add(dataIndex[d.seq]!);
    },
  });
  let lostData = 0;
  for (index = 0; index < packets.length; index++) {
    const p = packets[index]!;
    if (lose(index)) {
      if (p[1] === 1) lostData++;
      continue;
    }
    dec.receive(p, index);
  }
  return { lostData, recovered: dec.counters.recovered, delays, rebuilt };
}

const quantile = (xs: number[], q: number): number => {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

/**
 * Recovery at (8, 3), I = (1, 10, 100): random single losses at 0.1 % and 1 % of wire packets; then bursts of
 * length 1–10, 20, 50 and 100 consecutive wire packets (data and repairs alike), each far from the others, with
 * the share of bursts whose every data packet was rebuilt and the delay of the rebuilds. Delays are in wire
 * packets and, for a 1 Gbit/s link carrying 1,400-byte packets (89,000 a second), in milliseconds.
 */
export function recovery(n = 600_000) {
  const { packets, dataIndex } = wire(n, 64);
  const random = [0.001, 0.01].map((p) => {
    const rand = seededRandom(p === 0.001 ? 11 : 12);
    const r = runLoss(packets, dataIndex, () => rand() < p);
    return {
      lossPercent: p * 100,
      lostData: r.lostData,
      recovered: r.recovered,
      recoveredPercent: round((100 * r.recovered) / r.lostData, 3),
    };
  });
  const packetMs = ((1400 * 8) / 1e9 / (1 + 3 / 8)) * 1000;
  const bursts = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 20, 50, 100].map((length) => {
    const rand = seededRandom(100 + length);
    // One burst every 4,000 wire packets (past a cycle of r × I_max = 800 data packets), at a random place.
    const spacing = 4000;
    const starts = new Set<number>();
    for (let s = spacing; s + spacing < packets.length; s += spacing)
      starts.add(s + Math.floor(rand() * (spacing - 200)));
    const lost = new Uint8Array(packets.length);
    for (const s of starts) for (let i = s; i < s + length; i++) lost[i] = 1;
    const r = runLoss(packets, dataIndex, (i) => lost[i] === 1);
    // A burst counts as recovered when every data packet it took was rebuilt.
    const rebuilt = r.rebuilt;
    let whole = 0;
    for (const s of starts) {
      let ok = true;
      for (let i = s; i < s + length; i++) if (packets[i]![1] === 1 && !rebuilt.has(i)) ok = false;
      if (ok) whole++;
    }
    return {
      burst: length,
      bursts: starts.size,
      recoveredBurstsPercent: round((100 * whole) / starts.size, 2),
      recoveredPacketsPercent: round((100 * r.recovered) / Math.max(1, r.lostData), 2),
      meanDelayPackets: round(r.delays.reduce((a, b) => a + b, 0) / Math.max(1, r.delays.length), 1),
      p99DelayPackets: quantile(r.delays, 0.99),
      meanDelayMsAt1Gbit: round((r.delays.reduce((a, b) => a + b, 0) / Math.max(1, r.delays.length)) * packetMs, 3),
    };
  });
  return { rate: '8,3', interleave: '1,10,100', overheadPercent: 37.5, random, bursts };
}
