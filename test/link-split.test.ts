/**
 * Split mode on loopback, in this process: TCP ends at each side and crosses a lossy emulated path (2 % each
 * way) in frames; a connection's bytes arrive whole in both directions, what the FEC could not rebuild is sent
 * again, and several connections share the path.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createConnection, createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAddress, type Address } from '../src/link/address.js';
import { startEmulate } from '../src/link/emulate.js';
import { parseSettings } from '../src/link/settings.js';
import { startSplit } from '../src/link/split.js';
import type { RunningLink } from '../src/link/tunnel.js';
import { freeUdpPort } from './link-ports.js';

const local = (port: number): Address => ({ ...parseAddress('127.0.0.1:1', 'test'), port });
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe('link tcp (split mode) on loopback', () => {
  const links: RunningLink[] = [];
  let server: Server;
  let accept: Address;

  beforeAll(async () => {
    // The far end: answers each connection with the SHA-256 of what it received, then 256 KiB of its own.
    server = createServer({ allowHalfOpen: true }, (socket) => {
      const hash = createHash('sha256');
      socket.on('data', (d) => hash.update(d));
      socket.on('end', () => {
        socket.write(`${hash.digest('hex')}\n`);
        socket.end(Buffer.alloc(256 * 1024, 7));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const target = local((server.address() as { port: number }).port);
    const [aIn, bIn, ab, ba] = await Promise.all([freeUdpPort(), freeUdpPort(), freeUdpPort(), freeUdpPort()]);
    const settings = parseSettings({ rate: '8,3', interleave: '1,10,100' });
    const path = (seed: number) => ({ delayMs: 5, loss: 0.02, queueMs: 100, seed });
    links.push(await startEmulate({ listen: local(ab), to: local(bIn), settings: path(1) }));
    links.push(await startEmulate({ listen: local(ba), to: local(aIn), settings: path(2) }));
    const sideB = await startSplit({ listen: local(bIn), to: local(ba), connect: target, settings, bandwidthBps: 2e8 });
    const sideA = await startSplit({
      listen: local(aIn),
      to: local(ab),
      accept: local(0),
      settings,
      bandwidthBps: 2e8,
    });
    links.push(sideA, sideB);
    accept = sideA.tcpAddress!;
  });

  afterAll(async () => {
    for (const l of links) await l.close();
    await new Promise<void>((r) => server?.close(() => r()));
  });

  /** Sends `bytes` over one connection through the split link; returns what came back. */
  function exchange(bytes: Uint8Array): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const socket = createConnection({ host: accept.host, port: accept.port, allowHalfOpen: true });
      const chunks: Buffer[] = [];
      socket.on('data', (d) => chunks.push(d));
      socket.on('end', () => resolve(Buffer.concat(chunks)));
      socket.on('error', reject);
      socket.end(bytes);
    });
  }

  it('carries a connection whole both ways across a path losing 2 % of packets each way', async () => {
    const data = randomBytes(2 * 1024 * 1024);
    const reply = await exchange(data);
    expect(reply.subarray(0, 64).toString()).toBe(sha(data));
    expect(reply.length).toBe(65 + 256 * 1024);
    const metrics = links[2]!.metrics();
    expect(metrics).toMatch(/maelstrom_link_recovered_total\{link="link",role="tcp"\} [1-9]/);
  });

  it('carries several connections at once', async () => {
    const inputs = [1, 2, 3].map((n) => randomBytes(n * 100_000));
    const replies = await Promise.all(inputs.map(exchange));
    replies.forEach((r, i) => expect(r.subarray(0, 64).toString()).toBe(sha(inputs[i]!)));
    expect(links[2]!.metrics()).toMatch(/maelstrom_link_tcp_streams_total\{link="link",role="tcp"\} 4/);
  });

  it('refuses to start with both or neither of accept and connect', async () => {
    const settings = parseSettings({});
    await expect(startSplit({ listen: local(0), to: local(9), settings, bandwidthBps: 1e6 })).rejects.toMatchObject({
      code: 'E_BAD_REQUEST',
    });
  });
});
