/** Serves the built dashboard: files under the web root, and index.html for any other path outside /api. */
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import type { Hono } from 'hono';
import type { AuthEnv } from './auth.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

async function fileIn(root: string, path: string): Promise<string | undefined> {
  const full = normalize(join(root, decodeURIComponent(path)));
  if (full !== root && !full.startsWith(root + sep)) return undefined;
  try {
    return (await stat(full)).isFile() ? full : undefined;
  } catch {
    return undefined;
  }
}

export function serveWeb(app: Hono<AuthEnv>, webRoot: string): void {
  const root = normalize(webRoot);
  app.get('*', async (c, next) => {
    if (c.req.path.startsWith('/api/') || c.req.path === '/metrics') return next();
    let file: string | undefined;
    try {
      file = c.req.path === '/' ? undefined : await fileIn(root, c.req.path);
    } catch {
      file = undefined;
    }
    const target = file ?? join(root, 'index.html');
    try {
      const body = await readFile(target);
      const immutable = file !== undefined && c.req.path.startsWith('/assets/');
      return c.body(body, 200, {
        'content-type': TYPES[extname(target)] ?? 'application/octet-stream',
        'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      });
    } catch {
      return c.text('The dashboard is not built: run `npm run build`.', 404);
    }
  });
}
