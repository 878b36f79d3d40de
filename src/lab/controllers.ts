/**
 * The lab's replicated controllers: a PostgreSQL server of the lab's own holding the store, and N controller
 * processes (`maelstrom lab-controller`, each a `serve` replica on the lab's HAProxy and Prometheus) sharing it, one
 * leading and the others standing by. The lab drives them through their API, as an operator would: it starts a plan
 * on the leader, follows the run from whichever controller answers, and kills the leader with SIGKILL when asked.
 *
 * Each controller declares a datacenter other than the one the lab drains (a controller must not live where it
 * drains), so the drain starts where it is asked.
 */
import { randomUUID } from 'node:crypto';
import type { RunView } from '../engine/controller.js';
import type { Health } from '../model/api.js';
import { MaelstromError } from '../model/errors.js';
import type { EngineEvent } from '../model/events.js';
import { isTerminalRun } from '../model/states.js';
import { createPostgresStore, type PostgresStore } from '../store/postgres/postgres-store.js';
import { hashTokenSecret, newTokenSecret } from '../store/tokens.js';
import { labDatacenters } from './fleet.js';
import { startPostgres, type PostgresServer } from './postgres.js';
import { startChild, waitFor, type Child } from './processes.js';
import type { LabAddress } from './session.js';

export interface LabController {
  readonly name: string;
  readonly datacenter: string;
  readonly url: string;
  readonly child: Child;
  /** Its answer of /api/v1/health, or undefined when it does not answer (killed, stopped). */
  health(): Promise<Health | undefined>;
  readonly killed: boolean;
  kill(): void;
}

export interface LabControllers {
  readonly store: PostgresStore;
  readonly all: readonly LabController[];
  /** The one controller that says it leads (waiting up to `timeoutMs`), other than those in `exclude`. */
  leader(
    timeoutMs?: number,
    exclude?: readonly LabController[],
  ): Promise<{ controller: LabController; health: Health }>;
  /** Starts a plan on the leader (following a takeover) and answers the run's id. */
  start(plan: string): Promise<string>;
  /** The run as the first live controller answers it. */
  run(id: string): Promise<RunView | undefined>;
  /** Follows the run until it ends, from whichever controller answers. */
  wait(id: string, signal?: AbortSignal): Promise<RunView>;
  events(): Promise<EngineEvent[]>;
  stop(): Promise<void>;
}

export interface LabControllersOptions {
  readonly count: number;
  readonly address: LabAddress;
  /** The command line that runs this program (`node [flags] ENTRY`), to which `lab-controller …` is appended. */
  readonly command: readonly string[];
  readonly log?: (message: string) => void;
  readonly startTimeoutMs?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function startLabControllers(options: LabControllersOptions): Promise<LabControllers> {
  const log = options.log ?? (() => undefined);
  const timeout = options.startTimeoutMs ?? 90_000;
  const [program, ...prefix] = options.command;
  if (program === undefined) throw new MaelstromError('E_BAD_REQUEST', 'no command to start the lab controllers with');
  let pg: PostgresServer | undefined;
  let store: PostgresStore | undefined;
  const all: LabController[] = [];
  let secret = '';
  const stop = async (): Promise<void> => {
    await Promise.all(all.map((c) => c.child.stop()));
    await store?.close().catch(() => undefined);
    await pg?.stop();
  };
  try {
    pg = await startPostgres();
    const storeUrl = await pg.createDatabase('maelstrom');
    store = createPostgresStore({ url: storeUrl, poolSize: 2 });
    await store.init();
    secret = newTokenSecret();
    await store.createToken({
      id: randomUUID(),
      name: 'lab',
      role: 'operator',
      hash: hashTokenSecret(secret),
      createdAt: Date.now(),
    });
    log(`store: ${storeUrl}`);
    const dcs = labDatacenters(options.address.datacenters);
    const { address } = options;
    for (let i = 0; i < options.count; i++) {
      // Anywhere but the drained datacenter (the first).
      const datacenter = dcs[1 + (i % (dcs.length - 1))]!;
      const name = `controller-${i + 1}`;
      const child = startChild(name, program, [
        ...prefix,
        'lab-controller',
        '--store',
        storeUrl,
        '--socket',
        address.socket,
        '--prometheus',
        address.prometheusUrl,
        '--datacenters',
        String(address.datacenters),
        '--rps',
        String(address.rps),
        ...(address.settle !== undefined ? ['--settle', address.settle] : []),
        '--datacenter',
        datacenter,
      ]);
      let url: string | undefined;
      await waitFor(
        `${name} to serve its API`,
        async () => {
          url = /lab-controller: (http:\/\/\S+)/.exec(child.output())?.[1];
          return url !== undefined;
        },
        timeout,
        child,
      );
      let killed = false;
      const apiUrl = url!;
      all.push({
        name,
        datacenter,
        url: apiUrl,
        child,
        get killed() {
          return killed;
        },
        kill: () => {
          killed = true;
          child.process.kill('SIGKILL');
        },
        health: async () => {
          if (killed) return undefined;
          try {
            const res = await fetch(`${apiUrl}/api/v1/health`, { signal: AbortSignal.timeout(2_000) });
            return (await res.json()) as Health;
          } catch {
            return undefined;
          }
        },
      });
      log(`${name} in ${datacenter}: ${apiUrl}`);
    }
  } catch (e) {
    await stop();
    throw e;
  }
  const live = (): LabController[] => all.filter((c) => !c.killed);
  const call = async <T>(c: LabController, method: 'GET' | 'POST', path: string, body?: unknown) => {
    const res = await fetch(`${c.url}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${secret}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(10_000),
    });
    return { status: res.status, body: (await res.json()) as T };
  };
  const leader: LabControllers['leader'] = async (timeoutMs = 30_000, exclude = []) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const answers = await Promise.all(
        live()
          .filter((c) => !exclude.includes(c))
          .map(async (c) => ({ controller: c, health: await c.health() })),
      );
      const leading = answers.filter((a) => a.health?.state === 'leading');
      if (leading.length === 1) return leading[0] as { controller: LabController; health: Health };
      if (Date.now() > deadline) {
        const states = answers.map((a) => `${a.controller.name} ${a.health?.state ?? 'silent'}`).join(', ');
        throw new MaelstromError('E_TIMEOUT', `no single leading controller after ${timeoutMs} ms: ${states}`);
      }
      await sleep(100);
    }
  };
  const run = async (id: string): Promise<RunView | undefined> => {
    for (const c of live()) {
      try {
        const answer = await call<RunView>(c, 'GET', `/runs/${id}`);
        if (answer.status === 200) return answer.body;
      } catch {
        /* not answering: ask the next */
      }
    }
    return undefined;
  };
  return {
    store: store,
    all,
    leader,
    async start(plan) {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const { controller } = await leader(30_000);
        type Started = { id?: string; error?: { code: string; message: string } };
        const answer = await call<Started>(controller, 'POST', '/runs', { plan }).catch(
          (e: unknown): { status: number; body: Started } => ({
            status: 0,
            body: { error: { code: 'E_UNAVAILABLE', message: String(e) } },
          }),
        );
        if (answer.status === 201 && answer.body.id !== undefined) return answer.body.id;
        // The leader changed under the request: ask the new one.
        if (answer.body.error?.code !== 'E_NOT_LEADER' && answer.status !== 0 && answer.status < 500)
          throw new MaelstromError('E_BAD_REQUEST', `starting ${plan}: ${answer.body.error?.message ?? answer.status}`);
        if (Date.now() > deadline)
          throw new MaelstromError('E_TIMEOUT', `starting ${plan}: ${answer.body.error?.message ?? answer.status}`);
        await sleep(250);
      }
    },
    run,
    async wait(id, signal) {
      for (;;) {
        if (signal?.aborted) throw new MaelstromError('E_ABORTED', 'lab interrupted');
        const view = await run(id);
        if (view && isTerminalRun(view.state)) return view;
        await sleep(250);
      }
    },
    events: async () => [...(await store.listEvents({ limit: 1_000_000 }))],
    stop,
  };
}
