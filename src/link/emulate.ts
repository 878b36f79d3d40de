/**
 * `maelstrom link emulate`: one direction of a lossy long-haul link between two UDP addresses, in user space.
 * Datagrams arriving on `listen` go through the emulator model (emulator.ts) and leave for `to` when due; one
 * timer, armed for the next packet due, releases everything due by then.
 */
import { MaelstromError } from '../model/errors.js';
import type { Address } from './address.js';
import {
  createEmulator,
  parseBandwidth,
  parseBurst,
  parseMs,
  parseProbability,
  type Emulator,
  type EmulatorSettings,
} from './emulator.js';
import { MetricsText } from './metrics.js';
import type { RunningLink } from './tunnel.js';
import { bufferWarning, closeSocket, openRelay } from './udp.js';

export interface EmulateOptions {
  readonly listen: Address;
  readonly to: Address;
  readonly settings: EmulatorSettings;
  readonly name?: string;
  readonly bufferBytes?: number;
}

/** The emulator's settings as text (the flags' names): delay, bandwidth, loss, burst, queue, seed. */
export function parseEmulatorSettings(
  o: Readonly<Record<string, unknown>>,
  base: EmulatorSettings = { delayMs: 0, loss: 0, queueMs: 100, seed: 1 },
): EmulatorSettings {
  const known = new Set(['delay', 'bandwidth', 'loss', 'burst', 'queue', 'seed']);
  for (const k of Object.keys(o))
    if (!known.has(k))
      throw new MaelstromError(
        'E_BAD_REQUEST',
        `unknown emulator setting "${k}" (delay, bandwidth, loss, burst, queue, seed)`,
      );
  const str = (k: string): string | undefined => {
    const v = o[k];
    if (v === undefined) return undefined;
    if (typeof v === 'string' || typeof v === 'number') return String(v);
    throw new MaelstromError('E_BAD_REQUEST', `emulator setting "${k}" must be text or a number`);
  };
  const delay = str('delay');
  const bandwidth = str('bandwidth');
  const loss = str('loss');
  const burst = str('burst');
  const queue = str('queue');
  const seed = str('seed');
  let bandwidthBps = base.bandwidthBps;
  if (bandwidth !== undefined)
    bandwidthBps = bandwidth === 'none' ? undefined : parseBandwidth(bandwidth, '--bandwidth');
  let burstModel = base.burst;
  if (burst !== undefined) burstModel = burst === 'none' ? undefined : parseBurst(burst, '--burst');
  const seedValue = seed === undefined ? base.seed : Number(seed);
  if (!Number.isSafeInteger(seedValue))
    throw new MaelstromError('E_BAD_REQUEST', `--seed must be a whole number, got "${seed}"`);
  return {
    delayMs: delay === undefined ? base.delayMs : parseMs(delay, '--delay'),
    ...(bandwidthBps !== undefined ? { bandwidthBps } : {}),
    loss: loss === undefined ? base.loss : parseProbability(loss, '--loss'),
    ...(burstModel ? { burst: burstModel } : {}),
    queueMs: queue === undefined ? base.queueMs : parseMs(queue, '--queue'),
    seed: seedValue,
  };
}

const describe = (s: EmulatorSettings): string =>
  [
    `delay ${s.delayMs}ms`,
    s.bandwidthBps === undefined ? 'no bandwidth limit' : `bandwidth ${s.bandwidthBps / 1e6} Mbit/s`,
    `loss ${s.loss * 100}%`,
    s.burst ? `gilbert ${s.burst.p * 100}%,${s.burst.r * 100}%` : 'no bursts',
    `seed ${s.seed}`,
  ].join(', ');

export async function startEmulate(options: EmulateOptions): Promise<RunningLink & { readonly model: Emulator }> {
  let socketErrors = 0;
  const { input, output } = await openRelay(options, () => socketErrors++);
  let settings = options.settings;
  const emulator = createEmulator(settings);
  let sendErrors = 0;
  const onSent = (e: Error | null): void => {
    if (e) sendErrors++;
  };
  let timer: NodeJS.Timeout | undefined;
  let timerAt = Infinity;
  const release = (): void => {
    timer = undefined;
    timerAt = Infinity;
    for (const p of emulator.takeDue(performance.now())) output.socket.send(p, onSent);
    arm();
  };
  const arm = (): void => {
    const due = emulator.nextDue();
    if (due === undefined || due >= timerAt) return;
    if (timer) clearTimeout(timer);
    timerAt = due;
    timer = setTimeout(release, Math.max(0, due - performance.now()));
  };
  input.socket.on('message', (msg) => {
    emulator.offer(msg, performance.now());
    if (settings.delayMs === 0 && settings.bandwidthBps === undefined) release();
    else arm();
  });
  const labels = { link: options.name ?? 'link', role: 'emulate' };
  const counted = (k: 'forwarded' | 'lostRandom' | 'lostBurst' | 'lostQueue'): number => emulator.counters[k];
  return {
    role: 'emulate',
    model: emulator,
    warnings: [bufferWarning(input), bufferWarning(output)].filter((w): w is string => w !== undefined),
    metrics() {
      const help = 'Packets through the emulated link, by fate';
      const m = new MetricsText(labels)
        .counter('maelstrom_link_emulator_packets_total', help, counted('forwarded'), { fate: 'forwarded' })
        .counter('maelstrom_link_emulator_packets_total', help, counted('lostRandom'), { fate: 'lost_random' })
        .counter('maelstrom_link_emulator_packets_total', help, counted('lostBurst'), { fate: 'lost_burst' })
        .counter('maelstrom_link_emulator_packets_total', help, counted('lostQueue'), { fate: 'lost_queue' })
        .counter('maelstrom_link_send_errors_total', 'Sends the kernel refused', sendErrors)
        .counter(
          'maelstrom_link_socket_errors_total',
          'Socket errors (a peer not up yet: port unreachable)',
          socketErrors,
        )
        .gauge(
          'maelstrom_link_emulator_in_flight_packets',
          'Packets queued or on the emulated wire',
          emulator.inFlight(),
        );
      return m.render();
    },
    settings: () => ({
      delay: `${settings.delayMs}ms`,
      bandwidth: settings.bandwidthBps === undefined ? 'none' : `${settings.bandwidthBps}bit`,
      loss: settings.loss,
      burst: settings.burst ? `gilbert:${settings.burst.p},${settings.burst.r}` : 'none',
      queue: `${settings.queueMs}ms`,
      seed: settings.seed,
    }),
    reconfigure(o) {
      const next = parseEmulatorSettings(o, settings);
      settings = next;
      emulator.update(next);
      return describe(next);
    },
    async close() {
      if (timer) clearTimeout(timer);
      await Promise.all([closeSocket(input.socket), closeSocket(output.socket)]);
    },
  };
}

export { describe as describeEmulator };
