/** Free loopback ports for the link's tests. */
import { createSocket } from 'node:dgram';

/** A UDP port free now on 127.0.0.1 (bound, read, released). */
export async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
