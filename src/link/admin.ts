/**
 * Run-time control of a link process: an admin HTTP endpoint (GET /metrics for Prometheus, GET and PUT /settings)
 * and a settings file re-read on SIGHUP. Both go through `RunningLink.reconfigure`, which checks the whole change
 * before applying any of it: a bad change is refused with its error and the link carries on as it was.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { parse } from 'yaml';
import { MaelstromError, errorMapping, toMaelstromError } from '../model/errors.js';
import { formatAddress, type Address } from './address.js';
import type { RunningLink } from './tunnel.js';

const MAX_BODY = 64 * 1024;

async function body(req: IncomingMessage): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new MaelstromError('E_BAD_REQUEST', 'request body over 64 KiB');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function asObject(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new MaelstromError('E_BAD_REQUEST', `${what} must be an object of settings`);
  return v as Record<string, unknown>;
}

export interface AdminServer {
  /** The bound address (the port chosen by the kernel when 0 was asked). */
  readonly address: Address;
  close(): Promise<void>;
}

/** Serves /metrics and /settings for one link process on `listen`. */
export async function startAdmin(listen: Address, link: RunningLink, log: (m: string) => void): Promise<AdminServer> {
  const server: Server = createServer((req, res) => {
    const reply = (status: number, type: string, text: string): void => {
      res.writeHead(status, { 'content-type': type });
      res.end(text);
    };
    const json = (status: number, v: unknown): void => reply(status, 'application/json', `${JSON.stringify(v)}\n`);
    const path = (req.url ?? '/').split('?')[0];
    void (async () => {
      try {
        if (path === '/metrics' && req.method === 'GET')
          return reply(200, 'text/plain; version=0.0.4; charset=utf-8', link.metrics());
        if (path === '/settings' && req.method === 'GET') return json(200, { settings: link.settings() });
        if (path === '/settings' && (req.method === 'PUT' || req.method === 'POST')) {
          let parsed: unknown;
          try {
            parsed = JSON.parse(await body(req));
          } catch (e) {
            throw e instanceof MaelstromError ? e : new MaelstromError('E_BAD_REQUEST', 'the body must be JSON');
          }
          const message = link.reconfigure(asObject(parsed, 'the body'));
          log(`settings changed through the admin endpoint: ${message}`);
          return json(200, { settings: link.settings(), message });
        }
        return json(404, { error: { code: 'E_NOT_FOUND', message: `no ${req.method} ${path}` } });
      } catch (e) {
        const err = toMaelstromError(e);
        return json(errorMapping[err.code].http, { error: { code: err.code, message: err.message } });
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e) =>
      reject(new MaelstromError('E_BAD_REQUEST', `--admin: cannot listen on ${formatAddress(listen)}: ${e.message}`)),
    );
    server.listen(listen.port, listen.host, () => resolve());
  });
  const bound = server.address();
  const port = typeof bound === 'object' && bound ? bound.port : listen.port;
  return {
    address: { ...listen, port },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * The settings a file gives one role: its top-level keys, then those of the section named after the role
 * (`send:`, `receive:`, `emulate:`), so that one file can hold both directions of a site.
 */
export async function readSettingsFile(path: string, role: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new MaelstromError('E_FILE', `cannot read the settings file ${path}: ${(e as Error).message}`, { cause: e });
  }
  let doc: unknown;
  try {
    doc = parse(text) ?? {};
  } catch (e) {
    throw new MaelstromError('E_YAML', `${path}: ${(e as Error).message}`, { cause: e });
  }
  const top = asObject(doc, `${path}`);
  const roles = ['send', 'receive', 'emulate', 'tcp'];
  const own = top[role] === undefined ? {} : asObject(top[role], `${path}: ${role}`);
  const shared = Object.fromEntries(Object.entries(top).filter(([k]) => !roles.includes(k)));
  return { ...shared, ...own };
}

/** Re-reads `path` on every SIGHUP and applies it; returns the function that stops listening. */
export function reloadOnHangup(path: string, link: RunningLink, log: (m: string) => void): () => void {
  const onHup = (): void => {
    void readSettingsFile(path, link.role)
      .then((o) => log(`SIGHUP: ${link.reconfigure(o)}`))
      .catch((e: unknown) => {
        const err = toMaelstromError(e);
        log(`SIGHUP: settings unchanged, ${path} refused: ${err.code}: ${err.message}`);
      });
  };
  process.on('SIGHUP', onHup);
  return () => process.off('SIGHUP', onHup);
}
