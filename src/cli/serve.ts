/**
 * `maelstrom serve -f PATH… [--store sqlite:FILE | postgres://…]
 * [--backend sim | sim+http://HOST:PORT | haproxy:MAPPING.yaml] [--prometheus URL] [--port P] [--public-url URL]`:
 * the controller as a server: the HTTP API, live events, the dashboard and /metrics, Alertmanager's alerts in and
 * the notifiers' messages out (their links on --public-url). The in-process simulator runs in wall-clock time
 * scaled by --speed.
 */
import { addClockOptions, applyClockOptions, type ClockOffsetOptions } from './clock-offset.js';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { Backend } from '../backends/backend.js';
import { createSimBackend, type SimBackend } from '../backends/sim/backend.js';
import type { RemoteSimBackend } from '../backends/sim/remote.js';
import type { TimelineSources } from '../timeline/sources.js';
import { scaledClock } from '../backends/sim/server.js';
import { createController, type EngineController, type LeasePolicy } from '../compose/controller.js';
import { createPeopleLoop, type PeopleLoop } from '../compose/loop.js';
import { loadOrFail } from '../load/check.js';
import type { Definitions, Fleet, Scenario } from '../model/definitions.js';
import { MaelstromError } from '../model/errors.js';
import { createServerApp } from '../server/app.js';
import { isSeriesSource } from '../server/series.js';
import { listen, packageRoot, type RunningServer } from '../server/start.js';
import type { Store } from '../store/store.js';
import { BACKEND_HELP, externalBackend, parseBackendOption, scenarioFor } from './backend-option.js';
import { planJson } from '../plan/index.js';
import { openStore, STORE_HELP, storeLabel } from './run-options.js';

export interface Serving {
  readonly server: RunningServer;
  readonly controller: EngineController;
  /** The alert intake and the notifiers. */
  readonly loop: PeopleLoop;
  /** Where the dashboard's links point: --public-url, else the address served. */
  readonly publicUrl: string;
  close(): Promise<void>;
}

/**
 * Builds a controller over the backend and store (taking the store's lease as `lease` says: by default it stands
 * by while another controller holds it) and serves it; close() stops everything it started and closes the backend
 * and the store.
 */
export async function startServing(options: {
  readonly definitions: Definitions;
  readonly backend: Backend;
  readonly store: Store;
  readonly port: number;
  readonly host?: string;
  readonly corsOrigins?: readonly string[];
  readonly warn?: (message: string) => void;
  readonly lease?: LeasePolicy;
  /** The dashboard's address as people reach it, for the notifiers' links; by default the address served. */
  readonly publicUrl?: string;
  /** Where notifiers read their URL and secret variables; by default the process's environment. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}): Promise<Serving> {
  const { definitions, backend, store } = options;
  const controller = await createController({
    definitions,
    backend,
    store,
    clock: backend.clock,
    logger: { info: () => undefined, warn: options.warn ?? (() => undefined) },
    lease: { whenHeld: 'wait', ...options.lease },
  });
  let api: ReturnType<typeof createServerApp> | undefined;
  let loop: PeopleLoop | undefined;
  let server: RunningServer;
  let publicUrl = options.publicUrl?.replace(/\/+$/, '') ?? '';
  try {
    await backend.init();
    // Before the controller starts, so that the runs it resumes are followed from their first event.
    loop = await createPeopleLoop({
      definitions,
      controller,
      store,
      clock: backend.clock,
      publicUrl: () => publicUrl,
      ...(options.env ? { env: options.env } : {}),
      log: options.warn ?? (() => undefined),
    });
    for (const w of loop.warnings) options.warn?.(w);
    await controller.start();
    api = createServerApp({
      controller,
      store,
      definitions,
      metrics: backend,
      clock: backend.clock,
      planView: planJson,
      ...(isSeriesSource(backend) ? { series: backend } : {}),
      webRoot: join(packageRoot(), 'web', 'dist'),
      ...(options.corsOrigins ? { corsOrigins: options.corsOrigins } : {}),
      timeline: { store, ...simJournalOf(backend) },
      alerts: loop.alerts,
      notifications: loop.notifications,
    });
    server = await listen(api.app, {
      port: options.port,
      ...(options.host !== undefined ? { host: options.host } : {}),
    });
    if (!publicUrl) publicUrl = server.url;
  } catch (e) {
    // Nothing is served: give the lease up at once rather than leave a standby waiting for it to run out.
    api?.close();
    await loop?.close();
    await controller.close();
    throw e;
  }
  const app = api;
  const people = loop;
  let closing: Promise<void> | undefined;
  return {
    server,
    controller,
    loop: people,
    publicUrl,
    close: () =>
      (closing ??= (async () => {
        app.close();
        await server.close();
        await people.close();
        await controller.close();
        await backend.close().catch(() => undefined);
        await store.close();
      })()),
  };
}

/** `--cors ORIGIN` may be given many times. */
function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function parsePort(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new MaelstromError('E_BAD_REQUEST', `--port must be a whole number from 0 to 65535, got "${text}"`);
  return port;
}

/** `--public-url`: an http(s) URL, kept without a trailing slash. */
export function parsePublicUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new MaelstromError(
      'E_BAD_REQUEST',
      `--public-url must be an http(s) URL such as https://maelstrom.example.com, got "${text}"`,
    );
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.hash)
    throw new MaelstromError(
      'E_BAD_REQUEST',
      `--public-url must be an http(s) URL without a query or fragment, got "${text}"`,
    );
  return url.toString().replace(/\/+$/, '');
}

/** Resolves on SIGINT or SIGTERM. */
export function untilSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

interface ServeOptions extends ClockOffsetOptions {
  readonly file?: string[];
  readonly store?: string;
  readonly backend: string;
  readonly prometheus?: string;
  readonly scenario?: string;
  readonly speed: string;
  readonly port: string;
  readonly host: string;
  readonly cors?: string[];
  readonly publicUrl?: string;
}

/** The fleet a server carries: the scenario's, else the first plan's, else the only one defined. */
function servedFleet(definitions: Definitions, scenario: Scenario | undefined): Fleet {
  const fleetName =
    scenario?.spec.fleet ?? [...definitions.plans.values()][0]?.spec.fleet ?? [...definitions.fleets.keys()][0];
  const fleet = fleetName !== undefined ? definitions.fleets.get(fleetName) : undefined;
  if (!fleet) throw new MaelstromError('E_UNKNOWN_REF', 'the definitions have no fleet');
  return fleet;
}

async function makeBackend(definitions: Definitions, opts: ServeOptions, speed: number): Promise<Backend> {
  const choice = parseBackendOption(opts.backend);
  const scenario = scenarioFor(choice, opts, definitions);
  const fleet = servedFleet(definitions, scenario);
  if (choice.kind !== 'sim') {
    return externalBackend(choice, {
      fleet,
      ...(opts.prometheus !== undefined ? { prometheus: opts.prometheus } : {}),
      warn: (m) => {
        process.stderr.write(`warning: ${m}\n`);
      },
    });
  }
  const clock = scaledClock(scenario ? Date.parse(scenario.spec.start) : Date.now(), speed);
  return createSimBackend({ fleet, ...(scenario ? { scenario } : {}), clock, name: 'sim' });
}

export function registerServe(program: Command): void {
  const command = program.command('serve');
  addClockOptions(command);
  command
    .description('Serve the controller: HTTP API under /api/v1, live events, the dashboard and /metrics.')
    .option('-f, --file <path>', 'definition file or directory (repeatable)', collect)
    .option('--store <store>', STORE_HELP)
    .option('--backend <backend>', `${BACKEND_HELP}; sim runs at wall-clock time times --speed`, 'sim')
    .option('--prometheus <url>', 'with --backend haproxy:…: the Prometheus that health readings come from')
    .option('--scenario <name>', 'with --backend sim: the Scenario the simulated fleet follows')
    .option('--speed <n>', 'with --backend sim: simulated seconds per wall-clock second', '1')
    .option('--port <p>', 'port to listen on (0: any free port)', '8080')
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .option('--cors <origin>', 'allow browser calls from this origin (repeatable; none by default)', collect)
    .option(
      '--public-url <url>',
      "the dashboard's address as people reach it, for the links in notifications (default: the address served)",
    )
    .action(async (opts: ServeOptions) => {
      applyClockOptions(opts);
      const port = parsePort(opts.port);
      const publicUrl = opts.publicUrl !== undefined ? parsePublicUrl(opts.publicUrl) : undefined;
      const speed = Number(opts.speed);
      if (!Number.isFinite(speed) || speed <= 0)
        throw new MaelstromError('E_BAD_REQUEST', `--speed must be a positive number, got "${opts.speed}"`);
      const definitions = await loadOrFail(opts.file?.length ? opts.file : ['.']);
      const backend = await makeBackend(definitions, opts, speed);
      const store = await openStore(opts.store);
      const signalled = untilSignal();
      const stop = new AbortController();
      void signalled.then(() => {
        stop.abort();
      });
      let serving: Serving;
      try {
        serving = await startServing({
          definitions,
          backend,
          store,
          port,
          host: opts.host,
          ...(opts.cors ? { corsOrigins: opts.cors } : {}),
          ...(publicUrl !== undefined ? { publicUrl } : {}),
          warn: (m) => {
            process.stderr.write(`warning: ${m}\n`);
          },
          // A second controller on the store stands by, and takes over when the one driving it stops.
          lease: {
            whenHeld: 'wait',
            signal: stop.signal,
            onStandby: (holder, expiresAt) => {
              const until = new Date(expiresAt).toISOString();
              process.stdout.write(
                `maelstrom serve: standing by: ${holder} drives this store (lease until ${until}); taking over when it stops\n`,
              );
            },
            onTakeover: (previous) => {
              process.stdout.write(`maelstrom serve: taking over from ${previous}\n`);
            },
          },
        });
      } catch (e) {
        if (!(e instanceof MaelstromError && e.code === 'E_ABORTED' && stop.signal.aborted)) throw e;
        await store.close();
        process.stdout.write('maelstrom serve: stopped\n');
        return;
      }
      process.stdout.write(
        `maelstrom serve: ${serving.server.url} (API ${serving.server.url}/api/v1, metrics ${serving.server.url}/metrics); ` +
          `create a token with \`maelstrom token create --role operator` +
          `${opts.store ? ` --store ${storeLabel(opts.store)}` : ''}\`\n`,
      );
      if (definitions.triggers.size > 0)
        process.stdout.write(
          `maelstrom serve: Alertmanager delivers to ${serving.server.url}/api/v1/alerts ` +
            `(webhook_configs, with a token of --role alerts); links in notifications open ${serving.publicUrl}\n`,
        );
      const lost = await Promise.race([signalled.then(() => undefined), serving.controller.lost]);
      await serving.close();
      if (lost !== undefined) {
        // Another controller may act from now on: this one stops rather than act beside it; a supervisor restarts it.
        process.stderr.write(`maelstrom serve: stopped acting: ${lost}\n`);
        process.exitCode = 1;
        return;
      }
      process.stdout.write('maelstrom serve: stopped\n');
    });
}

/** The simulator's journal for the timeline: the in-process one's, or a remote one's over HTTP; none for a fleet. */
function simJournalOf(backend: Backend): Pick<TimelineSources, 'sim'> {
  const b = backend as Partial<Pick<SimBackend, 'stampedJournal'>> & Partial<Pick<RemoteSimBackend, 'journal' | 'url'>>;
  if (typeof b.stampedJournal === 'function') {
    const stamped = b.stampedJournal.bind(backend);
    return { sim: { journal: async () => stamped() } };
  }
  if (typeof b.journal === 'function' && typeof b.url === 'string') {
    const remote = b.journal.bind(backend);
    return { sim: { journal: () => remote() } };
  }
  return {};
}
