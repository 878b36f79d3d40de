/**
 * HAProxy's runtime API: one command per connection over the stats socket (UNIX path or TCP host:port). A lost
 * socket is a retryable E_BACKEND_UNAVAILABLE, so that the engine holds and tries again rather than crashing.
 */
import { createConnection, type Socket } from 'node:net';
import { MaelstromError } from '../../model/errors.js';

export interface RuntimeApiOptions {
  /** `unix:/path`, `/path`, or `host:port`. */
  readonly socket: string;
  readonly timeoutMs?: number;
}

export interface ServerState {
  readonly backend: string;
  readonly server: string;
  readonly weight: number;
  /** HAProxy's operational state: 0 stopped, 1 starting, 2 running, 3 soft-stopped (drain). */
  readonly opState: number;
  /** HAProxy's administrative state bits: 0x01 forced maintenance, 0x08 forced drain. */
  readonly adminState: number;
}

function connect(socket: string): Socket {
  if (socket.startsWith('unix:')) return createConnection({ path: socket.slice(5) });
  if (socket.startsWith('/')) return createConnection({ path: socket });
  const at = socket.lastIndexOf(':');
  return createConnection({ host: socket.slice(0, at), port: Number(socket.slice(at + 1)) });
}

export class RuntimeApi {
  private readonly socket: string;
  private readonly timeoutMs: number;

  constructor(options: RuntimeApiOptions) {
    this.socket = options.socket;
    this.timeoutMs = options.timeoutMs ?? 3000;
  }

  /** Sends one command and returns HAProxy's whole answer. */
  command(cmd: string, signal?: AbortSignal): Promise<string> {
    if (signal?.aborted)
      return Promise.reject(new MaelstromError('E_ABORTED', `haproxy: "${cmd}" aborted before it was sent`));
    return new Promise((resolve, reject) => {
      const conn = connect(this.socket);
      const chunks: Buffer[] = [];
      let done = false;
      const finish = (err?: MaelstromError): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        conn.destroy();
        if (err) reject(err);
        else resolve(Buffer.concat(chunks).toString('utf8'));
      };
      const onAbort = (): void => finish(new MaelstromError('E_ABORTED', `haproxy: "${cmd}" aborted`));
      const timer = setTimeout(
        () =>
          finish(
            new MaelstromError(
              'E_BACKEND_UNAVAILABLE',
              `haproxy runtime API at ${this.socket} did not answer "${cmd}" within ${this.timeoutMs} ms`,
              { retryable: true, retryAfterMs: 1000 },
            ),
          ),
        this.timeoutMs,
      );
      signal?.addEventListener('abort', onAbort, { once: true });
      conn.on('connect', () => conn.end(`${cmd}\n`));
      conn.on('data', (c: Buffer) => chunks.push(c));
      conn.on('end', () => finish());
      conn.on('close', () => finish());
      conn.on('error', (e: NodeJS.ErrnoException) =>
        finish(
          new MaelstromError(
            'E_BACKEND_UNAVAILABLE',
            `haproxy runtime API at ${this.socket} is unreachable (${e.code ?? e.message})`,
            { retryable: true, retryAfterMs: 1000, cause: e },
          ),
        ),
      );
    });
  }

  /** Runs a command that answers nothing on success; any text back is HAProxy refusing it. */
  async set(cmd: string, signal?: AbortSignal): Promise<void> {
    const answer = (await this.command(cmd, signal)).trim();
    if (answer !== '') throw new MaelstromError('E_BACKEND', `haproxy refused "${cmd}": ${answer.split('\n')[0]}`);
  }

  /** `show servers state`: every server of every backend (or of one backend). */
  async serversState(backend?: string, signal?: AbortSignal): Promise<ServerState[]> {
    const text = await this.command(backend ? `show servers state ${backend}` : 'show servers state', signal);
    const lines = text
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
    if (lines.length > 0 && !/^\d+$/.test(lines[0]!) && !/^\d+ /.test(lines[0]!)) {
      throw new MaelstromError('E_BACKEND', `haproxy: unexpected answer to "show servers state": ${lines[0]}`);
    }
    const out: ServerState[] = [];
    // The first line is the format version (1); then: be_id be_name srv_id srv_name srv_addr srv_op_state
    // srv_admin_state srv_uweight srv_iweight ...
    for (const line of lines.slice(1)) {
      const f = line.split(/\s+/);
      if (f.length < 9) continue;
      out.push({
        backend: f[1]!,
        server: f[3]!,
        opState: Number(f[5]),
        adminState: Number(f[6]),
        weight: Number(f[7]),
      });
    }
    return out;
  }
}
