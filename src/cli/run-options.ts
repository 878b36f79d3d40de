/**
 * Options shared by `run`, `serve`, `status`, `token` and the operator commands: which store (`sqlite:FILE`, by
 * default `.maelstrom/maelstrom.db` under the current directory, or `postgres://…` to share one between
 * controllers) and who is acting.
 */
import { mkdirSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import type { Actor } from '../engine/controller.js';
import { MaelstromError } from '../model/errors.js';
import { createPostgresStore } from '../store/postgres/postgres-store.js';
import { createSqliteStore } from '../store/sqlite/sqlite-store.js';
import type { JournalOptions } from '../store/journal.js';
import type { Store } from '../store/store.js';

export const DEFAULT_STORE = `sqlite:${join('.maelstrom', 'maelstrom.db')}`;
export const STORE_HELP = `sqlite:FILE (default ${DEFAULT_STORE}) or postgres://USER@HOST:PORT/DATABASE`;

/**
 * Opens (and migrates) the store named by `sqlite:FILE` or `postgres://USER@HOST:PORT/DATABASE`. `journal.source`
 * names this process in the journal of changes (`controller` by default; an operator's command says `cli`).
 */
export async function openStore(spec: string | undefined, journal: JournalOptions = {}): Promise<Store> {
  const s = spec ?? DEFAULT_STORE;
  if (/^postgres(ql)?:\/\//.test(s)) {
    const store = createPostgresStore({ url: s }, undefined, journal);
    await store.init();
    return store;
  }
  const m = /^sqlite:(.+)$/.exec(s);
  if (!m)
    throw new MaelstromError(
      'E_BAD_REQUEST',
      `--store must be sqlite:FILE or postgres://USER@HOST:PORT/DATABASE, got "${s}"`,
    );
  const path = m[1]!;
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const store = createSqliteStore({ path }, undefined, journal);
  await store.init();
  return store;
}

/** The store as it may be printed: a password in a connection string is masked. */
export function storeLabel(spec: string | undefined): string {
  return (spec ?? DEFAULT_STORE).replace(/^(postgres(?:ql)?:\/\/[^:/@]+):[^@/]*@/, '$1:***@');
}

export function actorOf(name: string | undefined): Actor {
  let who = name;
  if (who === undefined || who.trim() === '') {
    try {
      who = userInfo().username;
    } catch {
      who = 'operator';
    }
  }
  return { name: who, role: 'operator' };
}
