/**
 * `maelstrom lab --link`: a replication stream between two lab datacenters across an emulated long-haul link,
 * for the length of the lab's drain and restore. The source sends numbered records (UDP, as a log shipper
 * would) into `link send`, through `link emulate` (a lossy, delayed path), out of `link receive` into the replica,
 * which counts what arrived; the report says how many records the path lost and how many the link rebuilt.
 */
import { createSocket, type Socket } from 'node:dgram';
import type { Address } from '../link/address.js';
import { startEmulate } from '../link/emulate.js';
import type { EmulatorSettings } from '../link/emulator.js';
import { DEFAULT_SETTINGS } from '../link/settings.js';
import { startReceive, startSend, type RunningLink } from '../link/tunnel.js';

export interface ReplicationOptions {
  /** Where the stream starts and ends (datacenter names, for the report). */
  readonly from: string;
  readonly to: string;
  /** Records per second, each `recordBytes` long. */
  readonly recordsPerSecond?: number;
  readonly recordBytes?: number;
  readonly path?: Partial<EmulatorSettings>;
  /** The link's name, as a replication service names it (`replication.link`). */
  readonly link?: string;
}

export interface ReplicationReport {
  readonly link: string;
  readonly from: string;
  readonly to: string;
  readonly path: { readonly delayMs: number; readonly lossPercent: number };
  readonly recordsSent: number;
  readonly recordsReceived: number;
  /** Records the replica never got. */
  readonly recordsMissing: number;
  /** Packets the path lost and the link rebuilt. */
  readonly recovered: number;
  readonly unrecoverable: number;
}

export interface ReplicationStream {
  stop(): Promise<ReplicationReport>;
}

const local = (port: number): Address => ({ host: '127.0.0.1', port, family: 4 });

async function bound(socket: Socket): Promise<number> {
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  return socket.address().port;
}

async function freePort(): Promise<number> {
  const s = createSocket('udp4');
  const port = await bound(s);
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export async function startReplicationStream(options: ReplicationOptions): Promise<ReplicationStream> {
  const rps = options.recordsPerSecond ?? 2000;
  const size = Math.max(16, options.recordBytes ?? 512);
  const path: EmulatorSettings = { delayMs: 25, loss: 0.01, queueMs: 100, seed: 1, ...options.path };
  const name = options.link ?? `${options.from}-${options.to}`;
  const replica = createSocket('udp4');
  const seen = new Set<number>();
  replica.on('message', (m) => {
    if (m.length >= 4) seen.add(m.readUInt32BE(0));
  });
  const replicaPort = await bound(replica);
  const [sendPort, emuPort, recvPort] = [await freePort(), await freePort(), await freePort()];
  const links: RunningLink[] = [];
  const receive = await startReceive({
    listen: local(recvPort),
    to: local(replicaPort),
    settings: DEFAULT_SETTINGS,
    name,
  });
  links.push(receive);
  links.push(await startEmulate({ listen: local(emuPort), to: local(recvPort), settings: path, name }));
  links.push(await startSend({ listen: local(sendPort), to: local(emuPort), settings: DEFAULT_SETTINGS, name }));
  const source = createSocket('udp4');
  await new Promise<void>((r) => source.connect(sendPort, '127.0.0.1', () => r()));
  let sent = 0;
  const started = Date.now();
  // Every 10 ms, the records due by now.
  const timer = setInterval(() => {
    const due = Math.floor(((Date.now() - started) / 1000) * rps);
    for (; sent < due; sent++) {
      const record = Buffer.alloc(size, sent & 255);
      record.writeUInt32BE(sent, 0);
      source.send(record);
    }
  }, 10);
  return {
    async stop() {
      clearInterval(timer);
      // What is on the emulated path (or queued on a busy machine) still arrives: wait until all records are in,
      // or nothing more has come for half a second.
      let last = -1;
      let quietSince = Date.now();
      const deadline = Date.now() + 10_000;
      while (seen.size < sent && Date.now() < deadline && Date.now() - quietSince < 500 + path.delayMs * 2) {
        if (seen.size !== last) {
          last = seen.size;
          quietSince = Date.now();
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      const c = receive.decoder.counters;
      const report: ReplicationReport = {
        link: name,
        from: options.from,
        to: options.to,
        path: { delayMs: path.delayMs, lossPercent: path.loss * 100 },
        recordsSent: sent,
        recordsReceived: seen.size,
        recordsMissing: sent - seen.size,
        recovered: c.recovered,
        unrecoverable: c.unrecoverable,
      };
      source.close();
      for (const l of links.reverse()) await l.close();
      replica.close();
      return report;
    },
  };
}
