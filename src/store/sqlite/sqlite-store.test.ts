import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { storeConformance } from '../conformance.js';
import type { Store } from '../store.js';
import { createSqliteStore } from './sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'maelstrom-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const paths = new WeakMap<Store, string>();
let n = 0;

storeConformance(
  'sqlite',
  async () => {
    const path = join(dir, `store-${n++}.db`);
    const store = createSqliteStore({ path });
    await store.init();
    paths.set(store, path);
    return store;
  },
  {
    reopen: async (old) => {
      await old.close();
      const store = createSqliteStore({ path: paths.get(old)! });
      await store.init();
      return store;
    },
  },
);

storeConformance('sqlite in memory', async () => {
  const store = createSqliteStore({ path: ':memory:' });
  await store.init();
  return store;
});
