/** UDP sockets with large kernel buffers, so that a pause of the event loop (a GC, a burst) drops nothing. */
import { createSocket, type Socket } from 'node:dgram';
import { MaelstromError } from '../model/errors.js';
import { formatAddress, type Address } from './address.js';

/** Asked of the kernel for SO_RCVBUF and SO_SNDBUF; Linux caps it at net.core.rmem_max / wmem_max. */
export const SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;

export interface LinkSocket {
  readonly socket: Socket;
  /** What the kernel granted (Linux reports twice the bytes asked, its bookkeeping included). */
  readonly recvBufferBytes: number;
  readonly sendBufferBytes: number;
}

/**
 * A socket bound to `bind` (or to an ephemeral port of `family`), with large buffers. Fails with E_BAD_REQUEST
 * naming the flag when the address cannot be bound (in use, not local).
 */
export async function openSocket(
  bind: Address | { readonly family: 4 | 6 },
  flag: string,
  bufferBytes = SOCKET_BUFFER_BYTES,
): Promise<LinkSocket> {
  const socket = createSocket({
    type: bind.family === 6 ? 'udp6' : 'udp4',
    recvBufferSize: bufferBytes,
    sendBufferSize: bufferBytes,
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (e: Error): void => {
      socket.close();
      reject(
        new MaelstromError(
          'E_BAD_REQUEST',
          `${flag}: cannot bind ${'port' in bind ? formatAddress(bind) : 'a port'}: ${e.message}`,
          { cause: e },
        ),
      );
    };
    socket.once('error', onError);
    const done = (): void => {
      socket.off('error', onError);
      resolve();
    };
    if ('port' in bind) socket.bind(bind.port, bind.host, done);
    else socket.bind(0, done);
  });
  return { socket, recvBufferBytes: socket.getRecvBufferSize(), sendBufferBytes: socket.getSendBufferSize() };
}

/** A warning when the kernel granted less than asked, with the sysctl that raises its cap; undefined if not. */
export function bufferWarning(s: LinkSocket, bufferBytes = SOCKET_BUFFER_BYTES): string | undefined {
  const short: string[] = [];
  if (s.recvBufferBytes < bufferBytes) short.push(`net.core.rmem_max=${bufferBytes}`);
  if (s.sendBufferBytes < bufferBytes) short.push(`net.core.wmem_max=${bufferBytes}`);
  return short.length === 0
    ? undefined
    : `socket buffers are ${s.recvBufferBytes} / ${s.sendBufferBytes} bytes (receive / send), less than the ` +
        `${bufferBytes} asked; raise the kernel's cap with sysctl -w ${short.join(' ')}`;
}

/** Connects `s` to `to`, so that each send skips the address lookup and datagrams leave in the order sent. */
export function connectSocket(s: Socket, to: Address): Promise<void> {
  return new Promise((resolve, reject) => {
    s.once('error', reject);
    s.connect(to.port, to.host, () => {
      s.off('error', reject);
      resolve();
    });
  });
}

/**
 * Keeps a socket's errors from stopping the process: a connected socket reports ICMP "port unreachable" from a
 * peer that is not up yet (ECONNREFUSED), which must not end a link that will work once the peer starts.
 */
export function countErrors(s: Socket, onError: (e: Error) => void): void {
  s.on('error', onError);
}

/**
 * The two sockets of a relay: `input` bound to `listen`, `output` on an ephemeral port connected to `to` (`input`
 * is closed again when `output` cannot be opened). Errors on either go to `onError` (see countErrors).
 */
export async function openRelay(
  options: { readonly listen: Address; readonly to: Address; readonly bufferBytes?: number },
  onError: (e: Error) => void,
): Promise<{ readonly input: LinkSocket; readonly output: LinkSocket }> {
  const input = await openSocket(options.listen, '--listen', options.bufferBytes);
  const output = await openSocket({ family: options.to.family }, '--to', options.bufferBytes)
    .then(async (s) => {
      await connectSocket(s.socket, options.to);
      return s;
    })
    .catch(async (e: unknown) => {
      await closeSocket(input.socket);
      throw e;
    });
  for (const s of [input, output]) countErrors(s.socket, onError);
  return { input, output };
}

export function closeSocket(s: Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      s.close(() => resolve());
    } catch {
      resolve(); // already closed
    }
  });
}
