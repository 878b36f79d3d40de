/**
 * The link's processes on loopback, in this process: datagrams through send → emulate (lossy) → receive all
 * arrive, and the admin endpoint and the settings file change settings at run time.
 */
import { createSocket, type Socket } from 'node:dgram';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAddress, type Address } from '../src/link/address.js';
import { reloadOnHangup, startAdmin, type AdminServer } from '../src/link/admin.js';
import { startEmulate } from '../src/link/emulate.js';
import { parseSettings } from '../src/link/settings.js';
import { startReceive, startSend, type RunningLink } from '../src/link/tunnel.js';
import { eventually } from './integration/programs.js';

async function boundPort(socket: Socket): Promise<number> {
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  return socket.address().port;
}

/** A port that is free now (bound, read, released). */
async function freePort(): Promise<number> {
  const s = createSocket('udp4');
  const port = await boundPort(s);
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const at = (port: number): Address => ({ ...parseAddress('127.0.0.1:1', 'test'), port });

describe('link tunnel on loopback', () => {
  const links: RunningLink[] = [];
  let sink: Socket;
  let source: Socket;
  const received: Buffer[] = [];
  let sendLink: Awaited<ReturnType<typeof startSend>>;
  let receiveLink: Awaited<ReturnType<typeof startReceive>>;
  let emulator: Awaited<ReturnType<typeof startEmulate>>;
  let admin: AdminServer;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'maelstrom-link-'));
    sink = createSocket('udp4');
    sink.on('message', (m) => received.push(m));
    const sinkPort = await boundPort(sink);
    source = createSocket('udp4');
    await boundPort(source);
    const [sendPort, emuPort, recvPort] = [await freePort(), await freePort(), await freePort()];
    const settings = parseSettings({ rate: '8,3', interleave: '1,10,100', flush: '20ms' });
    receiveLink = await startReceive({ listen: at(recvPort), to: at(sinkPort), settings, name: 'test' });
    emulator = await startEmulate({
      listen: at(emuPort),
      to: at(recvPort),
      settings: { delayMs: 5, loss: 0.02, queueMs: 100, seed: 11 },
    });
    sendLink = await startSend({ listen: at(sendPort), to: at(emuPort), settings, name: 'test' });
    links.push(receiveLink, emulator, sendLink);
    admin = await startAdmin(at(0), sendLink, () => undefined);
    // 2,000 datagrams of 100 to 600 bytes at about 4,000 a second: the three processes of a link share this
    // test's one thread, and a faster source (or a busy machine) would fill the emulator's socket buffer, not
    // test the link.
    for (let i = 0; i < 2000; i++) {
      const payload = Buffer.alloc(100 + (i % 501), i & 255);
      payload.writeUInt32BE(i, 0);
      source.send(payload, sendPort, '127.0.0.1');
      if (i % 20 === 19) await new Promise((r) => setTimeout(r, 5));
    }
    await eventually('the datagrams to arrive', () => received.length >= 2000, 20_000);
  });

  afterAll(async () => {
    await admin?.close();
    for (const l of links.reverse()) await l.close();
    sink?.close();
    source?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('delivers every datagram exactly once through a path that loses 2 % of packets', () => {
    const ids = received.map((m) => m.readUInt32BE(0));
    expect(new Set(ids).size).toBe(2000);
    expect(ids.length).toBe(2000);
    for (const m of received) expect(m.length).toBe(100 + (m.readUInt32BE(0) % 501));
    expect(receiveLink.decoder.counters.recovered).toBeGreaterThan(0);
    expect(receiveLink.decoder.counters.unrecoverable).toBe(0);
  });

  it('counts on /metrics what the link did', async () => {
    const text = await (await fetch(`http://127.0.0.1:${admin.address.port}/metrics`)).text();
    expect(text).toContain('maelstrom_link_packets_total{link="test",role="send",kind="data"} 2000');
    expect(text).toMatch(/maelstrom_link_packets_total\{link="test",role="send",kind="repair"\} \d+/);
    const received = receiveLink.metrics();
    expect(received).toMatch(/maelstrom_link_recovered_total\{link="test",role="receive"\} [1-9]\d*/);
    expect(received).toContain('maelstrom_link_unrecoverable_total{link="test",role="receive"} 0');
    expect(received).toContain('maelstrom_link_recovery_delay_seconds_bucket');
    expect(emulator.metrics()).toMatch(
      /maelstrom_link_emulator_packets_total\{link="link",role="emulate",fate="lost_random"\} [1-9]/,
    );
  });

  it('changes the sender\u2019s settings through PUT /settings, and refuses a bad change without applying it', async () => {
    const url = `http://127.0.0.1:${admin.address.port}/settings`;
    const ok = await fetch(url, { method: 'PUT', body: JSON.stringify({ rate: '4,2', interleave: '1,20' }) });
    expect(ok.status).toBe(200);
    expect(sendLink.encoder.settings).toMatchObject({ r: 4, interleaves: [1, 20] });
    const bad = await fetch(url, { method: 'PUT', body: JSON.stringify({ rate: '4,3', interleave: '1,20' }) });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('E_BAD_REQUEST');
    expect(sendLink.encoder.settings).toMatchObject({ r: 4, interleaves: [1, 20] });
  });

  it('re-reads the settings file on SIGHUP, its section for the role over the shared keys', async () => {
    const file = join(dir, 'link.yaml');
    await writeFile(file, 'rate: 8,2\ninterleave: 1,10\nsend:\n  interleave: 1,50\n');
    const stop = reloadOnHangup(file, sendLink, () => undefined);
    try {
      process.emit('SIGHUP');
      await eventually('the file to apply', () => sendLink.encoder.settings.interleaves[1] === 50, 5000);
      expect(sendLink.encoder.settings.r).toBe(8);
      await writeFile(file, 'rate: [oops\n');
      const log: string[] = [];
      stop();
      const stop2 = reloadOnHangup(file, sendLink, (m) => log.push(m));
      process.emit('SIGHUP');
      await eventually('the refusal to be logged', () => log.length > 0, 5000);
      stop2();
      expect(log[0]).toMatch(/settings unchanged/);
      expect(sendLink.encoder.settings.interleaves).toEqual([1, 50]);
    } finally {
      stop();
    }
  });
});
