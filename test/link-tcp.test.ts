/**
 * Kernel TCP (iperf3, CUBIC) between two network namespaces through TUN devices and the link, over an emulated
 * path that loses 1 % of packets each way: the transfer completes, the link rebuilds what the path lost, and TCP
 * sees no loss for most of it. Runs as root with ip, socat and iperf3; skipped elsewhere, never under CI=true.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAddress } from '../src/link/address.js';
import { startEmulate } from '../src/link/emulate.js';
import { parseSettings } from '../src/link/settings.js';
import { startReceive, startSend, type RunningLink } from '../src/link/tunnel.js';
import { canBuildTopology, createTopology, startTunnels, transfer, type Hop, type Topology } from './link-netns.js';

const can = (await canBuildTopology()) || process.env.CI === 'true';
const addr = (h: Hop) => parseAddress(`${h.host}:${h.port}`, 'test');

describe.skipIf(!can)('kernel TCP through the link in network namespaces', () => {
  let t: Topology | undefined;
  const links: RunningLink[] = [];
  const receivers: Awaited<ReturnType<typeof startReceive>>[] = [];

  beforeAll(async () => {
    t = await createTopology();
    await startTunnels(t);
    const settings = parseSettings({ rate: '8,3', interleave: '1,10,100' });
    for (const [from, to, seed] of [
      [t.a, t.b, 1],
      [t.b, t.a, 2],
    ] as const) {
      const [emuIn, recvIn] = [t.hop(0), t.hop(1)];
      const receive = await startReceive({ listen: addr(recvIn), to: addr(to.exit), settings });
      const emulate = await startEmulate({
        listen: addr(emuIn),
        to: addr(recvIn),
        settings: { delayMs: 5, loss: 0.01, queueMs: 100, seed },
      });
      const send = await startSend({ listen: addr(from.entry), to: addr(emuIn), settings });
      receivers.push(receive);
      links.push(send, emulate, receive);
    }
  });

  afterAll(async () => {
    for (const l of links) await l.close();
    await t?.close();
  });

  it('carries a TCP transfer whole across a path losing 1 % each way, rebuilding the lost packets', async () => {
    const result = await transfer(t!, 4 * 1024 * 1024);
    expect(result.received).toBe(result.sent);
    const [ab, ba] = receivers.map((r) => r.decoder.counters);
    expect(ab!.recovered).toBeGreaterThan(10);
    expect(ba!.recovered).toBeGreaterThan(0);
    // Nearly every loss is rebuilt before TCP has to retransmit it.
    expect(ab!.unrecoverable).toBeLessThan(ab!.recovered / 10);
  });
});
