/**
 * `maelstrom serve -f PATH… [--store sqlite:FILE | postgres://…]
 * [--backend sim | sim+http://HOST:PORT | haproxy:MAPPING.yaml] [--prometheus URL] [--port P] [--public-url URL]
 * [--datacenter DC] [--advertise URL]`: the controller as a server: the HTTP API, live events, the dashboard and
 * /metrics, Alertmanager's alerts in and the notifiers' messages out (their links on --public-url). The in-process
 * simulator runs in wall-clock time scaled by --speed.
 *
 * Several `serve` on one PostgreSQL store: one leads, the others stand by, serving reads and refusing writes with
 * E_NOT_LEADER naming the leader; a standby takes over within seconds when the leader stops, and a leader that loses
 * its lease stands by again rather than exit (see src/compose/replica.ts).
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { Backend } from '../backends/backend.js';
import { createSimBackend } from '../backends/sim/backend.js';
import { scaledClock } from '../backends/sim/server.js';
import type { ControllerOptions, LeasePolicy } from '../compose/controller.js';
import { createPeopleLoop, type PeopleLoop } from '../compose/loop.js';
import { createReplica, type Replica } from '../compose/replica.js';
import { loadOrFail } from '../load/check.js';
import type { Definitions, Fleet, Scenario } from '../model/definitions.js';
import { MaelstromError } from '../model/errors.js';
import { createServerApp } from '../server/app.js';
import { isSeriesSource } from '../server/series.js';
import { listen, packageRoot, type RunningServer } from '../server/start.js';
import type { Store } from '../store/store.js';
import { BACKEND_HELP, externalBackend, parseBackendOption, scenarioFor } from './backend-option.js';
import { skipNotice, switchNotice } from '../notify/notices.js';
import { planJson } from '../plan/index.js';
import { DEFAULT_TEST_POLL_MS } from '../schedule/deps.js';
import { createScheduleRunner, type ScheduleRunner, type TestsControl } from '../schedule/runner.js';
import { openStore, STORE_HELP, storeLabel } from './run-options.js';

export interface Serving {
  readonly server: RunningServer;
  /** The controller process: leading or standing by (`replica.onStatus` tells of every change). */
  readonly replica: Replica;
  /** The schedules' drain tests, run while this controller leads (holds the store's lease). */
  readonly schedules: TestsControl;
  /** The alert intake and the notifiers. */
  readonly loop: PeopleLoop;
  /** Where the dashboard's links point: --public-url, else the address served. */
  readonly publicUrl: string;
  close(): Promise<void>;
}

/** Set to 1 by the HA test only: commits unchecked by the lease epoch, to show that the test's checks can fail. */
export const UNFENCED_FOR_TESTS = 'MAELSTROM_UNFENCED_FOR_TESTS';

/**
 * Serves a replica over the backend and store: it leads when it can take the store's lease and stands by
 * otherwise, answering the API either way (a standby's writes are refused with E_NOT_LEADER). Listening begins once
 * the first attempt at the lease is decided, so a lone controller answers as the leader from the first request;
 * close() stops everything it started and closes the backend and the store.
 */
export async function startServing(options: {
  readonly definitions: Definitions;
  readonly backend: Backend;
  readonly store: Store;
  readonly port: number;
  readonly host?: string;
  readonly corsOrigins?: readonly string[];
  readonly warn?: (message: string) => void;
  readonly info?: (message: string) => void;
  readonly lease?: Omit<LeasePolicy, 'whenHeld' | 'holder'>;
  /** The datacenter this controller runs in: a drain of it is handed to a standby elsewhere first. */
  readonly datacenter?: string;
  /** The URL other controllers and clients reach this one's API at; by default the one it listens on. */
  readonly advertise?: string;
  readonly unfenced?: boolean;
  /** Engine tuning (the lab's controllers poll faster than a fleet's). */
  readonly engine?: ControllerOptions['engine'];
  /** The dashboard's address as people reach it, for the notifiers' links; by default the address served. */
  readonly publicUrl?: string;
  /** Where notifiers read their URL and secret variables; by default the process's environment. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}): Promise<Serving> {
  const { definitions, backend, store } = options;
  await backend.init();
  const replica = createReplica({
    definitions,
    backend,
    store,
    clock: backend.clock,
    logger: { info: options.info ?? (() => undefined), warn: options.warn ?? (() => undefined) },
    ...(options.lease ? { lease: options.lease } : {}),
    ...(options.datacenter !== undefined ? { datacenter: options.datacenter } : {}),
    ...(options.unfenced ? { unfenced: true } : {}),
    ...(options.engine ? { engine: options.engine } : {}),
  });
  let api: ReturnType<typeof createServerApp> | undefined;
  let loop: PeopleLoop | undefined;
  let server: RunningServer;
  // The schedules run on the controller, so only while it leads, in the time the fleet lives in. A runner stops for
  // good when closed: each time this replica takes the lead, a new one picks the running tests up from the store.
  const newRunner = (): ScheduleRunner =>
    createScheduleRunner({
      definitions,
      controller: replica,
      store,
      readings: backend,
      clock: backend.clock,
      logger: { info: () => undefined, warn: options.warn ?? (() => undefined) },
      pollMs: DEFAULT_TEST_POLL_MS,
      newId: () => `test-${randomUUID().slice(0, 8)}`,
      // Told by the leader only: a standby's runner is closed, and the leader tells a switch another process threw.
      onSkip: (skip) => {
        if (replica.isLeader()) loop?.notifications.notify(skipNotice(skip, backend.clock.now(), publicUrl));
      },
      onSwitch: (halt, running) => {
        if (replica.isLeader()) loop?.notifications.notify(switchNotice({ ...halt, stopping: running }, publicUrl));
      },
    });
  let runner: ScheduleRunner = newRunner();
  let runnerLive = false;
  let runnerChange: Promise<void> = Promise.resolve();
  const followLead = (leading: boolean): void => {
    runnerChange = runnerChange.then(async () => {
      if (leading && !runnerLive) {
        runner = newRunner();
        runnerLive = true;
        await runner.start();
      } else if (!leading && runnerLive) {
        runnerLive = false;
        await runner.close();
      }
    });
    runnerChange = runnerChange.catch((e: unknown) => {
      options.warn?.(`schedules: ${e instanceof Error ? e.message : String(e)}`);
    });
  };
  const stopFollowing = replica.onStatus((status) => {
    followLead(status.state === 'leading');
  });
  const closeSchedules = async (): Promise<void> => {
    stopFollowing();
    followLead(false);
    await runnerChange;
  };
  const schedules: TestsControl = {
    view: () => runner.view(),
    halt: (actor, reason) => runner.halt(actor, reason),
    resume: (actor, reason) => runner.resume(actor, reason),
  };
  let publicUrl = options.publicUrl?.replace(/\/+$/, '') ?? '';
  try {
    // Before the replica starts, so that the runs it resumes are followed from their first event. The notifiers
    // follow only what this replica does while it leads: a standby relays others' events, which their leader tells.
    loop = await createPeopleLoop({
      definitions,
      controller: {
        proposeRun: (plan, request, actor) => replica.proposeRun(plan, request, actor),
        recordAlerts: (runId, alerts) => replica.recordAlerts(runId, alerts),
        listRuns: (o) => replica.listRuns(o),
        getRun: (runId) => replica.getRun(runId),
        subscribe: (listener) =>
          replica.subscribe((e) => {
            if (replica.isLeader()) listener(e);
          }),
      },
      store,
      clock: backend.clock,
      publicUrl: () => publicUrl,
      ...(options.env ? { env: options.env } : {}),
      log: options.warn ?? (() => undefined),
    });
    for (const w of loop.warnings) options.warn?.(w);
    replica.start();
    await replica.ready();
    api = createServerApp({
      controller: replica,
      tests: schedules,
      store,
      definitions,
      metrics: backend,
      clock: backend.clock,
      planView: planJson,
      health: () => replica.health(),
      ...(isSeriesSource(backend) ? { series: backend } : {}),
      webRoot: join(packageRoot(), 'web', 'dist'),
      ...(options.corsOrigins ? { corsOrigins: options.corsOrigins } : {}),
      alerts: loop.alerts,
      notifications: loop.notifications,
    });
    server = await listen(api.app, {
      port: options.port,
      ...(options.host !== undefined ? { host: options.host } : {}),
    });
    replica.setUrl(options.advertise ?? server.url);
    if (!publicUrl) publicUrl = server.url;
  } catch (e) {
    // Nothing is served: give the lease up at once rather than leave a standby waiting for it to run out.
    api?.close();
    await closeSchedules();
    await loop?.close();
    await replica.close();
    throw e;
  }
  const app = api;
  const people = loop;
  let closing: Promise<void> | undefined;
  return {
    server,
    replica,
    schedules,
    loop: people,
    publicUrl,
    close: () =>
      (closing ??= (async () => {
        app.close();
        await server.close();
        await closeSchedules();
        await people.close();
        await replica.close();
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

/** How often a process started by npm checks that npm's shell is still its parent. */
const PARENT_POLL_MS = 1_000;
/**
 * The parent as it was when this module loaded, long before a server is up: read when untilSignal is called, it
 * could already be init, had the parent gone while the server was starting.
 */
const STARTED_BY = process.ppid;

export interface UntilSignalOptions {
  /**
   * Also resolve once the process that started this one has gone. By default on when npm started it (npx, npm exec,
   * npm run: `npm_command` is set): npm passes SIGTERM to the shell it runs the command in, and that shell ends
   * without passing it on, which would leave a server running with nobody to stop it.
   */
  readonly watchParent?: boolean;
  readonly pollMs?: number;
}

/** Resolves on SIGINT or SIGTERM, or when the parent has gone (see UntilSignalOptions.watchParent). */
export function untilSignal(options: UntilSignalOptions = {}): Promise<void> {
  const watchParent = options.watchParent ?? process.env['npm_command'] !== undefined;
  return new Promise<void>((resolve) => {
    // An orphan is adopted by init or a subreaper: its parent id changes.
    const timer = watchParent
      ? setInterval(() => {
          if (process.ppid !== STARTED_BY) stop();
        }, options.pollMs ?? PARENT_POLL_MS).unref()
      : undefined;
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      if (timer) clearInterval(timer);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

interface ServeOptions {
  readonly file?: string[];
  readonly store?: string;
  readonly backend: string;
  readonly prometheus?: string;
  readonly scenario?: string;
  readonly speed: string;
  readonly port: string;
  readonly host: string;
  readonly cors?: string[];
  readonly datacenter?: string;
  readonly advertise?: string;
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
  program
    .command('serve')
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
      '--datacenter <dc>',
      'the datacenter this controller runs in: before a plan drains it, the lease goes to a standby elsewhere',
    )
    .option('--advertise <url>', 'the URL other controllers name for this one (default: the address it listens on)')
    .option(
      '--public-url <url>',
      "the dashboard's address as people reach it, for the links in notifications (default: the address served)",
    )
    .action(async (opts: ServeOptions) => {
      const port = parsePort(opts.port);
      const publicUrl = opts.publicUrl !== undefined ? parsePublicUrl(opts.publicUrl) : undefined;
      const speed = Number(opts.speed);
      if (!Number.isFinite(speed) || speed <= 0)
        throw new MaelstromError('E_BAD_REQUEST', `--speed must be a positive number, got "${opts.speed}"`);
      const definitions = await loadOrFail(opts.file?.length ? opts.file : ['.']);
      const backend = await makeBackend(definitions, opts, speed);
      const store = await openStore(opts.store);
      const signalled = untilSignal();
      const unfenced = process.env[UNFENCED_FOR_TESTS] === '1';
      if (unfenced)
        process.stderr.write(
          `warning: ${UNFENCED_FOR_TESTS}=1: commits are not fenced by the lease epoch; for tests only, never in use\n`,
        );
      const say = (m: string): void => {
        process.stdout.write(`maelstrom serve: ${m}\n`);
      };
      const serving = await startServing({
        definitions,
        backend,
        store,
        port,
        host: opts.host,
        ...(opts.cors ? { corsOrigins: opts.cors } : {}),
        ...(publicUrl !== undefined ? { publicUrl } : {}),
        ...(opts.datacenter !== undefined ? { datacenter: opts.datacenter } : {}),
        ...(opts.advertise !== undefined ? { advertise: opts.advertise } : {}),
        ...(unfenced ? { unfenced } : {}),
        warn: (m) => {
          process.stderr.write(`warning: ${m}\n`);
        },
        // A second controller on the store stands by, and takes over when the one driving it stops.
        lease: {
          onStandby: (holder, expiresAt) => {
            const until = new Date(expiresAt).toISOString();
            say(`standing by: ${holder} drives this store (lease until ${until}); taking over when it stops`);
          },
          onTakeover: (previous) => {
            say(`taking over from ${previous}`);
          },
        },
      });
      const { replica } = serving;
      say(`controller ${replica.id}${opts.datacenter !== undefined ? ` in ${opts.datacenter}` : ''}`);
      replica.onStatus((s) => {
        if (s.state === 'leading') say(`leading (epoch ${s.epoch ?? '?'})`);
        else if (s.state === 'held') say(`holding the runs: ${s.storeError ?? 'the store fails'}`);
        else if (s.state === 'standby') say('standing by');
      });
      if (replica.isLeader()) say(`leading (epoch ${replica.status().epoch ?? '?'})`);
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
      await signalled;
      await serving.close();
      say('stopped');
    });
}
