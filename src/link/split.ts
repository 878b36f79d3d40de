/**
 * Split mode (`maelstrom link tcp`): TCP ends at each side, and the bytes cross the FEC'd path in frames
 * (split-frames.ts) with windowing of the link's own, sized to the path: the window is the path's bandwidth times
 * the measured round trip (twice, for room), and sending is paced at the bandwidth, so a long link is as fast as a
 * short one — no TCP across the long haul waits a round trip per window. What the FEC cannot rebuild is sent
 * again, found by selective acknowledgements (a later range arrived) or by a retransmission timer.
 *
 * One side accepts TCP connections (`accept`), the other opens one to `connect` for each; several connections
 * share the path as streams.
 */
import { randomInt } from 'node:crypto';
import { createConnection, createServer, type Server, type Socket as TcpSocket } from 'node:net';
import { MaelstromError } from '../model/errors.js';
import { formatAddress, type Address } from './address.js';
import { createDecoder } from './decoder.js';
import { createEncoder } from './encoder.js';
import { MetricsText } from './metrics.js';
import { describeSettings, parseSettings, type FecSettings } from './settings.js';
import {
  decodeFrame,
  encodeAck,
  encodeControl,
  encodeData,
  FRAME_OPEN,
  FRAME_RESET,
  type Frame,
} from './split-frames.js';
import { ringFor, settingsText, type RunningLink } from './tunnel.js';
import { bufferWarning, closeSocket, openRelay } from './udp.js';

export interface SplitOptions {
  /** The FEC'd UDP path: where this side's frames come in, and where they go. */
  readonly listen: Address;
  readonly to: Address;
  /** Accept TCP connections here (one side)… */
  readonly accept?: Address;
  /** …or open one here for each connection the other side accepted. */
  readonly connect?: Address;
  readonly settings: FecSettings;
  /** The path's rate, bits per second: the pace of sending and, with the round trip, the window. */
  readonly bandwidthBps: number;
  /** A fixed window in bytes instead of bandwidth × round trip. */
  readonly windowBytes?: number;
  /** Bytes of a stream per frame (the link adds 24 bytes of headers, UDP and IP 28). */
  readonly segmentBytes?: number;
  readonly name?: string;
}

interface Segment {
  readonly offset: number;
  readonly bytes: Uint8Array;
  readonly fin: boolean;
  sentAt: number;
  sends: number;
}

interface Stream {
  readonly id: number;
  socket: TcpSocket | undefined;
  // sending
  readonly queue: Uint8Array[];
  queued: number;
  nextOffset: number;
  acked: number;
  readonly unacked: Map<number, Segment>;
  finPending: boolean;
  finSent: boolean;
  peerWindow: number;
  opened: boolean;
  paused: boolean;
  // receiving
  rcvNext: number;
  readonly outOfOrder: Map<number, { bytes: Uint8Array; fin: boolean }>;
  oooBytes: number;
  finOffset: number | undefined;
  ackDue: number;
  done: boolean;
}

/** How much a receiver holds for one stream (not yet written to TCP, or out of order). */
const RECEIVE_BUFFER = 64 * 1024 * 1024;
/** Bytes read from TCP and not yet sent before the TCP socket is paused. */
const SEND_QUEUE = 4 * 1024 * 1024;
const TICK_MS = 1;

export async function startSplit(options: SplitOptions): Promise<RunningLink & { readonly tcpAddress?: Address }> {
  if ((options.accept === undefined) === (options.connect === undefined))
    throw new MaelstromError('E_BAD_REQUEST', 'link tcp needs exactly one of --accept and --connect');
  const segment = options.segmentBytes ?? 1400;
  let socketErrors = 0;
  const { input, output } = await openRelay(options, () => socketErrors++);
  const now = (): number => performance.now();
  const counters = { bytesIn: 0, bytesOut: 0, segments: 0, retransmits: 0, streamsOpened: 0, resets: 0 };

  const encoder = createEncoder({
    settings: options.settings,
    session: randomInt(1, 2 ** 32 - 1),
    onData: (h, p) => output.socket.send([h, p]),
    onRepair: (p) => output.socket.send(p),
  });
  const sendFrame = (f: Uint8Array): void => encoder.encode(f, now());
  const decoder = createDecoder({ capacity: ringFor(options.settings), onDeliver: (d) => onFrame(d.payload) });
  input.socket.on('message', (m) => decoder.receive(m, now()));

  let srtt: number | undefined;
  let minRtt: number | undefined;
  /** Recent round trips, quick to follow a queue building up. */
  let recentRtt: number | undefined;
  // The window follows the path (its shortest round trip), never a queue: a queue's delay would grow the window
  // that fills it.
  const window = (): number =>
    options.windowBytes ??
    Math.min(256 * 2 ** 20, Math.max(256 * 1024, (options.bandwidthBps / 8) * (((minRtt ?? 200) + 20) / 1000) * 2));
  /**
   * The pace, bits per second: the path's bandwidth, less when the round trip rises above the path's own (a
   * queue builds: at the emulator, in a socket, or on a busy machine in the link's own processes), back up when
   * it falls. Loss does not slow it: the link is for paths whose loss is not congestion.
   */
  let pace = options.bandwidthBps / 4; // up to the bandwidth as the round trip allows
  let lastPaceChange = 0;
  const adjustPace = (t: number): void => {
    if (minRtt === undefined || recentRtt === undefined || t - lastPaceChange < Math.max(20, minRtt)) return;
    lastPaceChange = t;
    if (recentRtt > minRtt * 1.25 + 10) pace = Math.max(1e6, pace * 0.85);
    else pace = Math.min(options.bandwidthBps, pace + options.bandwidthBps / 32);
  };
  const streams = new Map<number, Stream>();
  const closed = new Set<number>();
  let nextId = 1;
  let tokens = 0;
  let lastRefill = now();

  const newStream = (id: number, socket: TcpSocket | undefined): Stream => {
    const s: Stream = {
      id,
      socket,
      queue: [],
      queued: 0,
      nextOffset: 0,
      acked: 0,
      unacked: new Map(),
      finPending: false,
      finSent: false,
      peerWindow: RECEIVE_BUFFER,
      opened: options.connect !== undefined,
      paused: false,
      rcvNext: 0,
      outOfOrder: new Map(),
      oooBytes: 0,
      finOffset: undefined,
      ackDue: 0,
      done: false,
    };
    streams.set(id, s);
    counters.streamsOpened++;
    return s;
  };

  const attach = (s: Stream, socket: TcpSocket): void => {
    s.socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      s.queue.push(chunk);
      s.queued += chunk.length;
      counters.bytesIn += chunk.length;
      if (s.queued > SEND_QUEUE && !s.paused) {
        s.paused = true;
        socket.pause();
      }
      pump();
    });
    socket.on('end', () => {
      s.finPending = true;
      pump();
    });
    socket.on('drain', () => sendAck(s));
    socket.on('error', () => reset(s, true));
    socket.on('close', (hadError) => {
      if (hadError) reset(s, true);
    });
  };

  const reset = (s: Stream, tellPeer: boolean): void => {
    if (s.done) return;
    s.done = true;
    counters.resets++;
    if (tellPeer) sendFrame(encodeControl(FRAME_RESET, s.id));
    s.socket?.destroy();
    streams.delete(s.id);
    closed.add(s.id);
  };

  const finishIfDone = (s: Stream): void => {
    const sentAll = s.finSent && s.unacked.size === 0;
    const gotAll = s.finOffset !== undefined && s.rcvNext > s.finOffset;
    if (sentAll && gotAll && !s.done) {
      s.done = true;
      streams.delete(s.id);
      closed.add(s.id);
    }
  };

  const transmit = (s: Stream, seg: Segment): void => {
    seg.sentAt = now();
    seg.sends++;
    tokens -= seg.bytes.length + 52;
    sendFrame(encodeData(s.id, seg.offset, seg.fin, seg.bytes));
  };

  /** Sends what the window and the pace allow, streams in turn. */
  const pump = (): void => {
    const t = now();
    const rate = pace / 8 / 1000; // bytes per ms
    tokens = Math.min(tokens + (t - lastRefill) * rate, Math.max(64 * 1024, rate * 4));
    lastRefill = t;
    let progress = true;
    while (tokens > 0 && progress) {
      progress = false;
      for (const s of streams.values()) {
        if (tokens <= 0) break;
        if (!s.opened) continue;
        const inFlight = s.nextOffset - s.acked;
        if (inFlight >= Math.min(window(), s.peerWindow)) continue;
        if (s.queued > 0) {
          const bytes = take(s, segment);
          const seg: Segment = { offset: s.nextOffset, bytes, fin: false, sentAt: 0, sends: 0 };
          s.nextOffset += bytes.length;
          s.unacked.set(seg.offset, seg);
          counters.segments++;
          counters.bytesOut += bytes.length;
          transmit(s, seg);
          progress = true;
        } else if (s.finPending && !s.finSent) {
          const seg: Segment = { offset: s.nextOffset, bytes: new Uint8Array(0), fin: true, sentAt: 0, sends: 0 };
          s.nextOffset += 1;
          s.unacked.set(seg.offset, seg);
          s.finSent = true;
          transmit(s, seg);
          progress = true;
        }
        if (s.paused && s.queued < SEND_QUEUE / 2) {
          s.paused = false;
          s.socket?.resume();
        }
      }
    }
  };

  const take = (s: Stream, n: number): Uint8Array => {
    const first = s.queue[0]!;
    if (first.length <= n) {
      s.queue.shift();
      s.queued -= first.length;
      return first;
    }
    s.queue[0] = first.subarray(n);
    s.queued -= n;
    return first.subarray(0, n);
  };

  const sendAck = (s: Stream): void => {
    s.ackDue = 0;
    const ranges: [number, number][] = [];
    for (const off of [...s.outOfOrder.keys()].sort((a, b) => a - b)) {
      const e = s.outOfOrder.get(off)!;
      const end = off + e.bytes.length + (e.fin ? 1 : 0);
      const last = ranges[ranges.length - 1];
      if (last && last[1] === off) last[1] = end;
      else ranges.push([off, end]);
    }
    const buffered = (s.socket?.writableLength ?? 0) + s.oooBytes;
    sendFrame(encodeAck(s.id, s.rcvNext, Math.max(0, RECEIVE_BUFFER - buffered), ranges.slice(0, 32)));
  };

  const deliver = (s: Stream, bytes: Uint8Array, fin: boolean): void => {
    if (bytes.length > 0) s.socket?.write(bytes);
    s.rcvNext += bytes.length;
    if (fin) {
      s.finOffset = s.rcvNext;
      s.rcvNext += 1;
      s.socket?.end();
    }
  };

  const onData = (s: Stream, f: Extract<Frame, { kind: 'data' }>): void => {
    if (f.offset === s.rcvNext) {
      deliver(s, f.bytes, f.fin);
      for (let next = s.outOfOrder.get(s.rcvNext); next; next = s.outOfOrder.get(s.rcvNext)) {
        s.outOfOrder.delete(s.rcvNext);
        s.oooBytes -= next.bytes.length;
        deliver(s, next.bytes, next.fin);
      }
    } else if (f.offset > s.rcvNext && !s.outOfOrder.has(f.offset)) {
      s.outOfOrder.set(f.offset, { bytes: f.bytes, fin: f.fin });
      s.oooBytes += f.bytes.length;
    }
    // Acknowledge every other frame, and at once while there is a gap; the tick sends what is left due.
    s.ackDue++;
    if (s.ackDue >= 2 || s.outOfOrder.size > 0) sendAck(s);
    finishIfDone(s);
  };

  const onAck = (s: Stream, f: Extract<Frame, { kind: 'ack' }>): void => {
    s.opened = true;
    s.peerWindow = f.window;
    const t = now();
    const ackedRange = (seg: Segment): boolean => {
      const end = seg.offset + Math.max(1, seg.bytes.length);
      return end <= f.cumulative || f.ranges.some(([a, b]) => seg.offset >= a && end <= b);
    };
    let highest = f.cumulative;
    for (const [, b] of f.ranges) highest = Math.max(highest, b);
    for (const seg of s.unacked.values()) {
      if (seg.offset >= highest) break;
      if (ackedRange(seg)) {
        if (seg.sends === 1) {
          const sample = t - seg.sentAt;
          srtt = srtt === undefined ? sample : srtt * 0.875 + sample * 0.125;
          recentRtt = recentRtt === undefined ? sample : recentRtt * 0.5 + sample * 0.5;
          minRtt = minRtt === undefined ? sample : Math.min(minRtt, sample);
        }
        s.unacked.delete(seg.offset);
      } else if (t - seg.sentAt > (srtt ?? 100) * 1.25) {
        // A later range has arrived and this one has not, for longer than a round trip: the FEC lost it.
        counters.retransmits++;
        transmit(s, seg);
      }
    }
    s.acked = Math.max(s.acked, f.cumulative);
    adjustPace(t);
    finishIfDone(s);
    pump();
  };

  const onFrame = (payload: Uint8Array): void => {
    const f = decodeFrame(payload);
    if (!f) return;
    let s = streams.get(f.stream);
    if (!s) {
      if (closed.has(f.stream) || options.connect === undefined || f.kind === 'reset' || f.kind === 'ack') {
        // A frame of a finished stream still deserves an acknowledgement, or its sender retransmits forever.
        if (f.kind === 'data' && closed.has(f.stream)) sendFrame(encodeAck(f.stream, 2 ** 47, 0, []));
        return;
      }
      s = newStream(f.stream, undefined);
      const target = options.connect;
      const socket = createConnection({ host: target.host, port: target.port, allowHalfOpen: true });
      attach(s, socket);
      sendAck(s);
    }
    switch (f.kind) {
      case 'open':
        sendAck(s);
        return;
      case 'reset':
        reset(s, false);
        return;
      case 'data':
        onData(s, f);
        return;
      case 'ack':
        onAck(s, f);
        return;
    }
  };

  let server: Server | undefined;
  let tcpAddress: Address | undefined;
  if (options.accept) {
    const accept = options.accept;
    server = createServer({ allowHalfOpen: true }, (socket) => {
      const s = newStream(nextId++, undefined);
      attach(s, socket);
      sendFrame(encodeControl(FRAME_OPEN, s.id));
    });
    await new Promise<void>((resolve, reject) => {
      server!.once('error', (e) =>
        reject(
          new MaelstromError('E_BAD_REQUEST', `--accept: cannot listen on ${formatAddress(accept)}: ${e.message}`),
        ),
      );
      server!.listen(accept.port, accept.host, () => resolve());
    });
    const a = server.address();
    tcpAddress = { ...accept, port: typeof a === 'object' && a ? a.port : accept.port };
  }

  // The tick: pace, send due acknowledgements, retransmit on timeout, repeat unanswered OPENs.
  const timer = setInterval(() => {
    const t = now();
    const rto = Math.max(50, (srtt ?? 200) * 2 + 20);
    for (const s of streams.values()) {
      if (s.ackDue > 0) sendAck(s);
      if (!s.opened) sendFrame(encodeControl(FRAME_OPEN, s.id));
      for (const seg of s.unacked.values()) {
        if (t - seg.sentAt < rto) break;
        if (tokens <= 0) break;
        counters.retransmits++;
        transmit(s, seg);
      }
    }
    encoder.flush(t);
    pump();
  }, TICK_MS);
  timer.unref();

  const labels = { link: options.name ?? 'link', role: 'tcp' };
  let settings = options.settings;
  return {
    role: 'tcp',
    ...(tcpAddress ? { tcpAddress } : {}),
    warnings: [bufferWarning(input), bufferWarning(output)].filter((w): w is string => w !== undefined),
    metrics() {
      const c = decoder.counters;
      return new MetricsText(labels)
        .counter('maelstrom_link_tcp_bytes_total', 'Stream bytes, by direction', counters.bytesIn, { direction: 'in' })
        .counter('maelstrom_link_tcp_bytes_total', 'Stream bytes, by direction', counters.bytesOut, {
          direction: 'out',
        })
        .counter(
          'maelstrom_link_tcp_retransmits_total',
          'Frames sent again (the FEC could not rebuild them)',
          counters.retransmits,
        )
        .counter('maelstrom_link_tcp_streams_total', 'TCP connections carried', counters.streamsOpened)
        .counter('maelstrom_link_tcp_resets_total', 'Connections reset', counters.resets)
        .gauge('maelstrom_link_tcp_streams', 'TCP connections open', streams.size)
        .gauge('maelstrom_link_tcp_rtt_seconds', 'Smoothed round trip of the path', (srtt ?? 0) / 1000)
        .gauge('maelstrom_link_tcp_window_bytes', 'Window per stream', window())
        .gauge(
          'maelstrom_link_tcp_min_rtt_seconds',
          'Shortest round trip seen: the path without queues',
          (minRtt ?? 0) / 1000,
        )
        .gauge('maelstrom_link_tcp_pace_bits_per_second', 'The pace of sending', pace)
        .counter('maelstrom_link_recovered_total', 'Lost packets rebuilt from repairs', c.recovered)
        .counter('maelstrom_link_unrecoverable_total', 'Lost packets never rebuilt', c.unrecoverable)
        .counter('maelstrom_link_packets_total', 'Packets sent onto the link, by kind', encoder.counters.dataPackets, {
          kind: 'data',
        })
        .counter(
          'maelstrom_link_packets_total',
          'Packets sent onto the link, by kind',
          encoder.counters.repairPackets,
          {
            kind: 'repair',
          },
        )
        .counter('maelstrom_link_socket_errors_total', 'Socket errors', socketErrors)
        .render();
    },
    settings: () => ({
      rate: `${settings.r},${settings.interleaves.length}`,
      interleave: settings.interleaves.join(','),
      bandwidth: `${options.bandwidthBps}bit`,
      window: window(),
    }),
    reconfigure(o) {
      const next = parseSettings(settingsText(o), settings);
      encoder.reconfigure(next);
      decoder.ensureCapacity(ringFor(next));
      settings = next;
      return describeSettings(next);
    },
    async close() {
      clearInterval(timer);
      for (const s of streams.values()) s.socket?.destroy();
      if (server) await new Promise<void>((r) => server.close(() => r()));
      await Promise.all([closeSocket(input.socket), closeSocket(output.socket)]);
    },
  };
}
