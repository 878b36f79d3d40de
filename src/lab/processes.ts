/**
 * Child processes of the lab: started with their output captured (for a clear error when one exits early), and
 * stopped with SIGTERM, then SIGKILL if they linger. Waiting for a condition polls it against a deadline.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { createServer } from 'node:net';
import { MaelstromError } from '../model/errors.js';

export interface Child {
  readonly name: string;
  readonly process: ChildProcess;
  /** The last lines of its output. */
  output(): string;
  readonly exited: Promise<number | null>;
  stop(): Promise<void>;
}

export function startChild(name: string, command: string, args: readonly string[], env?: NodeJS.ProcessEnv): Child {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let out = '';
  const keep = (c: Buffer): void => {
    out = (out + c.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code) => resolve(code));
    child.on('error', (e) => {
      keep(Buffer.from(`${e.message}\n`));
      resolve(-1);
    });
  });
  let stopping: Promise<void> | undefined;
  return {
    name,
    process: child,
    exited,
    output: () => out,
    stop() {
      stopping ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(timer);
      })();
      return stopping;
    },
  };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Polls `check` until it returns true, failing with a clear error at the deadline or when `child` exits. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  child?: Child,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exitCode: number | null | undefined;
  void child?.exited.then((c) => {
    exitCode = c;
  });
  for (;;) {
    if (exitCode !== undefined)
      throw new MaelstromError(
        'E_BACKEND_UNAVAILABLE',
        `${child!.name} exited (code ${exitCode}) before ${what}:\n${child!.output().trim()}`,
      );
    try {
      if (await check()) return;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline)
      throw new MaelstromError(
        'E_TIMEOUT',
        `timed out after ${timeoutMs} ms waiting for ${what}${child ? `; ${child.name} said:\n${child.output().trim()}` : ''}`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function executable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
