/**
 * Options shared by `run`, `status` and the operator commands: which store (`sqlite:FILE`, by default
 * `.maelstrom/maelstrom.db` under the current directory) and who is acting.
 */
import { mkdirSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import type { Actor } from '../engine/controller.js';
import { MaelstromError } from '../model/errors.js';
import { createSqliteStore, type SqliteStore } from '../store/sqlite/sqlite-store.js';

export const DEFAULT_STORE = `sqlite:${join('.maelstrom', 'maelstrom.db')}`;

/** Opens (and migrates) the store named by `sqlite:FILE`. */
export async function openStore(spec: string | undefined): Promise<SqliteStore> {
  const s = spec ?? DEFAULT_STORE;
  const m = /^sqlite:(.+)$/.exec(s);
  if (!m) {
    if (s.startsWith('postgres')) throw new MaelstromError('E_BAD_REQUEST', `--store ${s}: this command supports sqlite:FILE stores`);
    throw new MaelstromError('E_BAD_REQUEST', `--store must be sqlite:FILE, got "${s}"`);
  }
  const path = m[1]!;
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const store = createSqliteStore({ path });
  await store.init();
  return store;
}

export function actorOf(name: string | undefined): Actor {
  let who = name;
  if (who === undefined || who.trim() === '') {
    try { who = userInfo().username; } catch { who = 'operator'; }
  }
  return { name: who, role: 'operator' };
}
