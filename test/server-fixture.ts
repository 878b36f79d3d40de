/**
 * The HTTP API's test world: the reference definitions (examples/) on the in-process simulator, an in-memory SQLite
 * store, a started controller built by the composition root, and the server app over them; plus reading an answer
 * and checking an error answer, as the API tests do.
 */
import { expect } from 'vitest';
import { createSimBackend, type SimBackend } from '../src/backends/sim/backend.js';
import { createController, type EngineController } from '../src/compose/controller.js';
import { loadOrFail } from '../src/load/check.js';
import type { Definitions } from '../src/model/definitions.js';
import { planJson } from '../src/plan/index.js';
import { createServerApp, type ServerApp, type ServerOptions } from '../src/server/app.js';
import { createSqliteStore, type SqliteStore } from '../src/store/sqlite/sqlite-store.js';

export interface ServerWorld {
  readonly definitions: Definitions;
  readonly backend: SimBackend;
  readonly store: SqliteStore;
  readonly controller: EngineController;
  readonly server: ServerApp;
  /** Closes the server, the controller, the backend and the store. */
  close(): Promise<void>;
}

/** The world's parts, from which `options` makes the server's options. */
export type ServerParts = Pick<ServerWorld, 'definitions' | 'backend' | 'store' | 'controller'>;

/** Builds the world. The server gets the fleet view, the series and the plan view unless `server` says otherwise. */
export async function startServerWorld(
  options: { readonly server?: (parts: ServerParts) => ServerOptions } = {},
): Promise<ServerWorld> {
  const definitions = await loadOrFail(['examples']);
  const backend = createSimBackend({ fleet: definitions.fleets.get('example')!, name: 'sim' });
  await backend.init();
  const store = createSqliteStore({ path: ':memory:' });
  await store.init();
  const controller = await createController({
    definitions,
    backend,
    store,
    clock: backend.clock,
    requestPollMs: false,
  });
  await controller.start();
  const parts = { definitions, backend, store, controller };
  const server = createServerApp(
    options.server?.(parts) ?? {
      controller,
      store,
      definitions,
      metrics: backend,
      series: backend,
      clock: backend.clock,
      planView: planJson,
    },
  );
  return {
    ...parts,
    server,
    close: async () => {
      server.close();
      await controller.close();
      await backend.close();
      await store.close();
    },
  };
}

// Answers are read field by field in assertions; their shapes are checked by the assertions themselves.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Reply = { status: number; json: any; text: string };

/** The answer's status, its text and, when the text is JSON, its value. */
export async function readReply(res: Response): Promise<Reply> {
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text };
}

/** An error answer: the status, the stable code and a message, never a stack trace. */
export function expectError(r: Reply, status: number, code: string): void {
  expect(r.status, r.text).toBe(status);
  expect(r.json.error.code).toBe(code);
  expect(typeof r.json.error.message).toBe('string');
  expect(r.text).not.toMatch(/\n\s+at |\.ts:\d+/);
}
