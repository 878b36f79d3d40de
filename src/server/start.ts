/** Listens on a loopback (or given) address and closes cleanly, ending open event streams. */
import { serve, type ServerType } from '@hono/node-server';
import type { Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { existsSync } from 'node:fs';
import type { Hono } from 'hono';
import type { AuthEnv } from './auth.js';

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export async function listen(
  app: Hono<AuthEnv>,
  options: { readonly port: number; readonly host?: string },
): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const server = await new Promise<ServerType>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: options.port, hostname: host }, () => {
      resolve(s);
    });
    s.once('error', reject);
  });
  const address = (server as Server).address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        (server as Server).closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

/** The package root (where package.json is), found from this file whether run from src/ or dist/. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'examples'))) return dir;
    dir = dirname(dir);
  }
  return process.cwd();
}
