/**
 * The two ends of one direction of a link, on UDP sockets.
 *
 * `send`: every datagram arriving on `listen` leaves at once for `to` behind a 12-byte header (sent as two
 * pieces, the datagram uncopied), and the repairs it closes follow it. `receive`: every link packet arriving on
 * `listen` goes through the decoder, and what it delivers (at once, or rebuilt) leaves for `to` as it came in
 * at the sender. Neither end holds a data packet back: a receiving TCP sees reordering around a loss, never the
 * loss.
 */
import { randomInt } from 'node:crypto';
import type { Socket } from 'node:dgram';
import { MaelstromError } from '../model/errors.js';
import type { Address } from './address.js';
import { createDecoder, type Decoder } from './decoder.js';
import { createEncoder, type Encoder } from './encoder.js';
import { Histogram, MetricsText } from './metrics.js';
import { describeSettings, parseSettings, type FecSettings, type SettingsText } from './settings.js';
import { bufferWarning, closeSocket, openRelay, type LinkSocket } from './udp.js';

/** A running link process, as the CLI and the admin endpoint see it. */
export interface RunningLink {
  readonly role: 'send' | 'receive' | 'emulate' | 'tcp';
  /** Prometheus text. */
  metrics(): string;
  /** The settings in force, as JSON. */
  settings(): Record<string, unknown>;
  /** Applies settings given as text (flags' names); throws E_BAD_REQUEST and changes nothing when they are bad. */
  reconfigure(text: Readonly<Record<string, unknown>>): string;
  /** Things the operator should know (kernel buffers smaller than asked). */
  readonly warnings: readonly string[];
  close(): Promise<void>;
}

export interface TunnelOptions {
  readonly listen: Address;
  readonly to: Address;
  readonly settings: FecSettings;
  /** The link's name, a label on every metric. */
  readonly name?: string;
  readonly bufferBytes?: number;
  readonly now?: () => number;
}

/** Settings text from an untyped object (the admin endpoint's JSON body, a settings file). */
export function settingsText(o: Readonly<Record<string, unknown>>): SettingsText {
  const known = new Set(['rate', 'interleave', 'flush', 'maxPacket']);
  for (const k of Object.keys(o))
    if (!known.has(k))
      throw new MaelstromError('E_BAD_REQUEST', `unknown link setting "${k}" (rate, interleave, flush, maxPacket)`);
  const str = (k: string): string | undefined => {
    const v = o[k];
    if (v === undefined) return undefined;
    if (typeof v === 'number') return String(v);
    if (typeof v === 'string') return v;
    if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return v.join(',');
    throw new MaelstromError('E_BAD_REQUEST', `link setting "${k}" must be text or a number`);
  };
  const text: { -readonly [K in keyof SettingsText]: SettingsText[K] } = {};
  const rate = str('rate');
  const interleave = str('interleave');
  const flush = str('flush');
  const maxPacket = str('maxPacket');
  if (rate !== undefined) text.rate = rate;
  if (interleave !== undefined) text.interleave = interleave;
  if (flush !== undefined) text.flush = flush;
  if (maxPacket !== undefined) text.maxPacket = maxPacket;
  return text;
}

const settingsJson = (s: FecSettings): Record<string, unknown> => ({
  rate: `${s.r},${s.interleaves.length}`,
  interleave: s.interleaves.join(','),
  flush: `${s.flushMs}ms`,
  maxPacket: s.maxPacket,
});

const defaultNow = (): number => performance.now();

function socketMetrics(m: MetricsText, sockets: Record<string, LinkSocket>): void {
  for (const [socket, s] of Object.entries(sockets)) {
    m.gauge('maelstrom_link_socket_buffer_bytes', 'Kernel socket buffer granted', s.recvBufferBytes, {
      socket,
      buffer: 'receive',
    });
    m.gauge('maelstrom_link_socket_buffer_bytes', 'Kernel socket buffer granted', s.sendBufferBytes, {
      socket,
      buffer: 'send',
    });
  }
}

function warningsOf(...sockets: LinkSocket[]): string[] {
  return sockets.map((s) => bufferWarning(s)).filter((w): w is string => w !== undefined);
}

/** Sends one packet as the given pieces to `to`; errors (an unreachable peer) are counted, never thrown. */
function sender(socket: Socket, onError: () => void): (pieces: Uint8Array | Uint8Array[]) => void {
  const done = (e: Error | null): void => {
    if (e) onError();
  };
  return (pieces) => socket.send(pieces, done);
}

/** `maelstrom link send`: datagrams in on `listen`, link packets (data and repairs) out to `to`. */
export async function startSend(options: TunnelOptions): Promise<RunningLink & { readonly encoder: Encoder }> {
  const now = options.now ?? defaultNow;
  let sendErrors = 0;
  let socketErrors = 0;
  const { input, output } = await openRelay(options, () => socketErrors++);
  let inPackets = 0;
  const send = sender(output.socket, () => sendErrors++);
  const encoder = createEncoder({
    settings: options.settings,
    session: randomInt(1, 2 ** 32 - 1),
    onData: (header, payload) => send([header, payload]),
    onRepair: (p) => send(p),
  });
  input.socket.on('message', (msg) => {
    inPackets++;
    encoder.encode(msg, now());
  });
  let flushTimer: NodeJS.Timeout | undefined;
  const armFlush = (): void => {
    if (flushTimer) clearInterval(flushTimer);
    flushTimer = undefined;
    const ms = encoder.settings.flushMs;
    if (ms > 0) {
      flushTimer = setInterval(() => encoder.flush(now()), Math.max(1, ms / 2));
      flushTimer.unref();
    }
  };
  armFlush();
  const labels = { link: options.name ?? 'link', role: 'send' };
  return {
    role: 'send',
    encoder,
    warnings: warningsOf(input, output),
    metrics() {
      const c = encoder.counters;
      const s = encoder.settings;
      const m = new MetricsText(labels)
        .counter('maelstrom_link_packets_total', 'Packets sent onto the link, by kind', c.dataPackets, {
          kind: 'data',
        })
        .counter('maelstrom_link_packets_total', 'Packets sent onto the link, by kind', c.repairPackets, {
          kind: 'repair',
        })
        .counter('maelstrom_link_bytes_total', 'Bytes sent onto the link, by kind', c.dataBytes, { kind: 'data' })
        .counter('maelstrom_link_bytes_total', 'Bytes sent onto the link, by kind', c.repairBytes, {
          kind: 'repair',
        })
        .counter('maelstrom_link_received_total', 'Datagrams received to carry', inPackets)
        .counter('maelstrom_link_unprotected_total', 'Data packets longer than maxPacket, in no repair', c.unprotected)
        .counter('maelstrom_link_flushed_total', 'Repairs sent before their run closed (flush)', c.flushed)
        .counter('maelstrom_link_send_errors_total', 'Sends the kernel refused', sendErrors)
        .counter(
          'maelstrom_link_socket_errors_total',
          'Socket errors (a peer not up yet: port unreachable)',
          socketErrors,
        )
        .gauge('maelstrom_link_buffer_packets', 'Data packets in open repairs', encoder.openPackets())
        .gauge('maelstrom_link_buffer_bytes', 'Bytes held for the open repairs', encoder.memoryBytes)
        .gauge('maelstrom_link_overhead_ratio', 'Repairs per data packet (c / r)', s.interleaves.length / s.r)
        .gauge('maelstrom_link_settings_info', 'The settings in force', 1, {
          rate: `${s.r},${s.interleaves.length}`,
          interleave: s.interleaves.join(','),
          kernel: encoder.kernel,
        });
      socketMetrics(m, { listen: input, to: output });
      return m.render();
    },
    settings: () => settingsJson(encoder.settings),
    reconfigure(o) {
      const next = parseSettings(settingsText(o), encoder.settings);
      encoder.reconfigure(next);
      armFlush();
      return describeSettings(next);
    },
    async close() {
      if (flushTimer) clearInterval(flushTimer);
      encoder.flushAll();
      await Promise.all([closeSocket(input.socket), closeSocket(output.socket)]);
    },
  };
}

/** The receiver's ring for settings: r × I_max packets and a quarter more for reordering, a power of two. */
export const ringFor = (s: FecSettings): number => Math.ceil(s.r * Math.max(1, ...s.interleaves) * 1.25);

/** Upper bounds of the recovery-delay histogram, seconds. */
const DELAY_BOUNDS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1];

/** `maelstrom link receive`: link packets in on `listen`, the original datagrams out to `to`. */
export async function startReceive(options: TunnelOptions): Promise<RunningLink & { readonly decoder: Decoder }> {
  const now = options.now ?? defaultNow;
  let settings = options.settings;
  let sendErrors = 0;
  let socketErrors = 0;
  const { input, output } = await openRelay(options, () => socketErrors++);
  const send = sender(output.socket, () => sendErrors++);
  const delays = new Histogram(DELAY_BOUNDS);
  const decoder = createDecoder({
    capacity: ringFor(settings),
    onDeliver: (d) => {
      if (d.recovered) delays.observe(d.delayMs / 1000);
      send(d.payload);
    },
  });
  input.socket.on('message', (msg) => decoder.receive(msg, now()));
  const labels = { link: options.name ?? 'link', role: 'receive' };
  return {
    role: 'receive',
    decoder,
    warnings: warningsOf(input, output),
    metrics() {
      const c = decoder.counters;
      const m = new MetricsText(labels)
        .counter('maelstrom_link_packets_total', 'Packets received from the link, by kind', c.dataPackets, {
          kind: 'data',
        })
        .counter('maelstrom_link_packets_total', 'Packets received from the link, by kind', c.repairPackets, {
          kind: 'repair',
        })
        .counter('maelstrom_link_recovered_total', 'Lost data packets rebuilt from repairs', c.recovered)
        .counter('maelstrom_link_unrecoverable_total', 'Lost data packets never rebuilt', c.unrecoverable)
        .counter('maelstrom_link_late_total', 'Originals that came after their rebuilt copy (suppressed)', c.late)
        .counter('maelstrom_link_duplicates_total', 'Second copies of a data packet (suppressed)', c.duplicates)
        .counter('maelstrom_link_stale_total', 'Packets older than the receive buffer (dropped)', c.stale)
        .counter('maelstrom_link_invalid_total', 'Datagrams that are not link packets', c.invalid)
        .counter('maelstrom_link_unneeded_repairs_total', 'Repairs with nothing to rebuild', c.unneeded)
        .counter('maelstrom_link_sessions_total', 'Sender sessions seen (a sender restart adds one)', c.sessions)
        .counter('maelstrom_link_send_errors_total', 'Sends the kernel refused', sendErrors)
        .counter(
          'maelstrom_link_socket_errors_total',
          'Socket errors (a peer not up yet: port unreachable)',
          socketErrors,
        )
        .gauge('maelstrom_link_buffer_packets', 'Packets held for rebuilding', decoder.bufferPackets())
        .gauge('maelstrom_link_buffer_bytes', 'Bytes held for rebuilding', decoder.bufferBytes())
        .gauge('maelstrom_link_buffer_capacity_packets', 'Size of the receive ring', decoder.capacity())
        .gauge(
          'maelstrom_link_pending_repairs',
          'Repairs waiting for a second missing member',
          decoder.pendingRepairs(),
        )
        .histogram(
          'maelstrom_link_recovery_delay_seconds',
          'From when a lost packet was due to when it was rebuilt',
          delays,
        );
      socketMetrics(m, { listen: input, to: output });
      return m.render();
    },
    settings: () => settingsJson(settings),
    reconfigure(o) {
      const next = parseSettings(settingsText(o), settings);
      settings = next;
      decoder.ensureCapacity(ringFor(next));
      return describeSettings(next);
    },
    async close() {
      await Promise.all([closeSocket(input.socket), closeSocket(output.socket)]);
    },
  };
}
