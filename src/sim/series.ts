/**
 * Time series of every metric. Each recording interval becomes one frame of Float32 values held in chunks of about a
 * megabyte, so a day of the reference fleet at 10-second resolution costs about 16 MB.
 */
import { MaelstromError } from '../model/errors.js';
import { latencies } from './readings.js';
import type { WorldState } from './state.js';
import { SERIES_METRICS, type Series, type SeriesMetric, type SeriesQuery } from './types.js';

/** Per service × datacenter slots of a frame. */
const SD_SLOTS = [
  'load',
  'capacity',
  'effLoad',
  'traffic',
  'failed',
  'latencyP99',
  'sessions',
  'replicationLag',
  'shareEdge',
  'shareCluster',
] as const;
type Slot = (typeof SD_SLOTS)[number];
const SLOT = Object.fromEntries(SD_SLOTS.map((n, i) => [n, i])) as Record<Slot, number>;
const NSLOT = SD_SLOTS.length;
/** Bytes per chunk of frames: large enough to amortise allocation, small enough not to over-reserve. */
const CHUNK_BYTES = 1 << 20;

export class SeriesRecorder {
  private readonly sd: number;
  private readonly frameSize: number;
  private readonly acc: Float64Array;
  private ticks = 0;
  private readonly chunks: Float32Array[] = [];
  private frames = 0;
  private readonly times: number[] = [];
  private readonly chunkFrames: number;

  constructor(
    private readonly st: WorldState,
    readonly resolutionMs: number,
  ) {
    this.sd = st.S * st.D;
    // frame: SD slots, then demand per service, cross-datacenter RPC, backbone per datacenter, cross-datacenter calls
    this.frameSize = this.sd * NSLOT + st.S + 1 + st.D + 1;
    this.acc = new Float64Array(this.frameSize);
    this.chunkFrames = Math.max(1, Math.floor(CHUNK_BYTES / 4 / this.frameSize));
  }

  /**
   * Adds the tick just computed; closes a frame at each multiple of the resolution. Failures, demand, cross-datacenter
   * RPC and backbone use are means over the interval (nothing is missed between frames); the other gauges are read
   * at the frame's end, as a scrape reads them, which keeps the per-tick cost to a few adds per service.
   */
  record(): void {
    const st = this.st;
    const { D, S } = st;
    const a = this.acc;
    const sd = this.sd;
    const slotFailed = SLOT.failed;
    for (let j = 0; j < sd; j++) {
      const o = j * NSLOT + slotFailed;
      a[o] = a[o]! + st.failed[j]!;
    }
    const tail = sd * NSLOT;
    for (let s = 0; s < S; s++) a[tail + s] = a[tail + s]! + st.demand[s]!;
    a[tail + S] = a[tail + S]! + st.crossRpcRate;
    for (let d = 0; d < D; d++) {
      const o = tail + S + 1 + d;
      a[o] = a[o]! + Math.min(st.inbound[d]!, st.linkCapacity[d]!, st.backboneCap[d]!);
    }
    a[tail + S + 1 + D] = a[tail + S + 1 + D]! + st.crossCallRate;
    this.ticks++;
    if ((st.time - st.startMs) % this.resolutionMs !== 0) return;
    const lat = latencies(st);
    const slot = this.frames % this.chunkFrames;
    if (slot === 0) this.chunks.push(new Float32Array(this.chunkFrames * this.frameSize));
    const chunk = this.chunks[this.chunks.length - 1]!;
    const off = slot * this.frameSize;
    for (let j = 0; j < sd; j++) {
      const o = off + j * NSLOT;
      chunk[o + SLOT.load] = st.offered[j]!;
      chunk[o + SLOT.capacity] = st.capacity[j]!;
      chunk[o + SLOT.effLoad] = st.effLoad[j]!;
      chunk[o + SLOT.traffic] = st.served[j]!;
      chunk[o + SLOT.failed] = a[j * NSLOT + slotFailed]! / this.ticks;
      chunk[o + SLOT.latencyP99] = lat[j]!;
      chunk[o + SLOT.sessions] = st.sessions[j]!;
      chunk[o + SLOT.replicationLag] = st.lag[j]!;
      chunk[o + SLOT.shareEdge] = st.edgeShare[j]!;
    }
    for (let s = 0; s < S; s++) {
      let total = 0;
      for (let d = 0; d < D; d++) total += st.load[s * D + d]!;
      for (let d = 0; d < D; d++)
        chunk[off + (s * D + d) * NSLOT + SLOT.shareCluster] = total > 0 ? st.load[s * D + d]! / total : 0;
    }
    for (let i = tail; i < this.frameSize; i++) chunk[off + i] = a[i]! / this.ticks;
    a.fill(0);
    this.ticks = 0;
    this.frames++;
    this.times.push(st.time);
  }

  private value(frame: number, index: number): number {
    return this.chunks[Math.floor(frame / this.chunkFrames)]![(frame % this.chunkFrames) * this.frameSize + index]!;
  }

  /** Bytes held by recorded frames. */
  bytes(): number {
    return this.chunks.length * this.chunkFrames * this.frameSize * 4;
  }

  query(metric: SeriesMetric, q: SeriesQuery = {}): Series {
    if (!SERIES_METRICS.includes(metric))
      throw new MaelstromError('E_BAD_REQUEST', `no metric "${metric}"; metrics: ${SERIES_METRICS.join(', ')}`);
    const st = this.st;
    const { D, S } = st;
    const res = q.resolutionMs ?? this.resolutionMs;
    if (res <= 0 || res % this.resolutionMs !== 0) {
      throw new MaelstromError(
        'E_BAD_REQUEST',
        `resolution must be a multiple of the recording resolution (${this.resolutionMs} ms)`,
      );
    }
    const group = res / this.resolutionMs;
    const s = q.service === undefined ? -1 : st.world.serviceIndex.get(q.service);
    if (s === undefined) throw new MaelstromError('E_NOT_FOUND', `no service "${q.service}" in the fleet`);
    const d = q.datacenter === undefined ? -1 : st.world.dcIndex.get(q.datacenter);
    if (d === undefined) throw new MaelstromError('E_NOT_FOUND', `no datacenter "${q.datacenter}" in the fleet`);
    const sd = this.sd;
    const need = (what: string, ok: boolean): void => {
      if (!ok) throw new MaelstromError('E_BAD_REQUEST', `metric ${metric} needs ${what}`);
    };
    let sample: (f: number) => number;
    let worst = false;
    const slotSum = (f: number, slot: number, ss: number): number => {
      let v = 0;
      for (let dd = 0; dd < D; dd++) if (d < 0 || dd === d) v += this.value(f, (ss * D + dd) * NSLOT + slot);
      return v;
    };
    const slotMax = (f: number, slot: number, ss: number): number => {
      let v = 0;
      for (let dd = 0; dd < D; dd++)
        if (d < 0 || dd === d) v = Math.max(v, this.value(f, (ss * D + dd) * NSLOT + slot));
      return v;
    };
    switch (metric) {
      case 'demand':
        need('a service', s >= 0);
        sample = (f) => this.value(f, sd * NSLOT + s);
        break;
      case 'crossDatacenterRpc':
        sample = (f) => this.value(f, sd * NSLOT + S);
        break;
      case 'crossDatacenterCalls':
        sample = (f) => this.value(f, sd * NSLOT + S + 1 + D);
        break;
      case 'backbone':
        need('a datacenter', d >= 0);
        sample = (f) => this.value(f, sd * NSLOT + S + 1 + d);
        break;
      case 'load':
      case 'capacity':
      case 'traffic':
      case 'failed':
      case 'sessions': {
        need('a service', s >= 0);
        const slot = SLOT[metric];
        sample = (f) => slotSum(f, slot, s);
        break;
      }
      case 'utilization':
        need('a service', s >= 0);
        worst = true;
        sample = (f) => {
          if (d >= 0) {
            const c = slotSum(f, SLOT.capacity, s);
            return c > 0 ? slotSum(f, SLOT.effLoad, s) / c : 0;
          }
          let v = 0;
          for (let dd = 0; dd < D; dd++) {
            const c = this.value(f, (s * D + dd) * NSLOT + SLOT.capacity);
            if (c > 0) v = Math.max(v, this.value(f, (s * D + dd) * NSLOT + SLOT.effLoad) / c);
          }
          return v;
        };
        break;
      case 'errorRate':
        need('a service', s >= 0);
        sample = (f) => {
          const l = slotSum(f, SLOT.load, s);
          return l > 0 ? slotSum(f, SLOT.failed, s) / l : 0;
        };
        break;
      case 'latencyP99':
      case 'replicationLag':
        need('a service', s >= 0);
        worst = true;
        sample = (f) => slotMax(f, SLOT[metric], s);
        break;
      case 'shareEdge':
      case 'shareCluster':
        need('a service and a datacenter', s >= 0 && d >= 0);
        sample = (f) => slotSum(f, SLOT[metric], s);
        break;
    }
    const times: number[] = [];
    const values: number[] = [];
    for (let f0 = 0; f0 + group <= this.frames; f0 += group) {
      const end = this.times[f0 + group - 1]!;
      if (q.from !== undefined && end <= q.from) continue;
      if (q.to !== undefined && end > q.to) break;
      let v = 0;
      for (let f = f0; f < f0 + group; f++) v = worst ? Math.max(v, sample(f)) : v + sample(f) / group;
      times.push(end);
      values.push(v);
    }
    return {
      metric,
      resolutionMs: res,
      times,
      values,
      ...(q.service === undefined ? {} : { service: q.service }),
      ...(q.datacenter === undefined ? {} : { datacenter: q.datacenter }),
    };
  }
}
