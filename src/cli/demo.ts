/**
 * `maelstrom demo [-f DIR…] [--plan NAME] [--port P] [--speed N]`: a fleet in the simulator — the reference one
 * (examples/ shipped with the package), or one's own definitions with `-f` — the controller on SQLite in a temporary
 * folder, the dashboard, and an admin token: nothing to install or configure. The simulator's clock runs fast enough
 * that the demo's plan (evacuate-east, or the first drain plan of one's own definitions) takes about two minutes of
 * wall time.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { createSimBackend } from '../backends/sim/backend.js';
import { scaledClock } from '../backends/sim/server.js';
import { loadOrFail } from '../load/check.js';
import type { Definitions, Fleet, Plan } from '../model/definitions.js';
import { MaelstromError } from '../model/errors.js';
import { compilePlan } from '../plan/index.js';
import { packageRoot } from '../server/start.js';
import { createSqliteStore } from '../store/sqlite/sqlite-store.js';
import { parsePort, startServing, untilSignal, type Serving } from './serve.js';
import { createToken } from './token.js';
import { collect } from './collect.js';

/** Wall-clock time a full evacuate-east should take in the demo. */
const TARGET_WALL_MS = 120_000;
const DEMO_PLAN = 'evacuate-east';

export interface DemoOptions {
  readonly port?: number;
  readonly speed?: number;
  readonly host?: string;
  /** Definitions to run instead of the reference ones: files or directories. */
  readonly files?: readonly string[];
  /** The plan the speed is set for and the banner names (default: evacuate-east, else the first drain plan). */
  readonly plan?: string;
  /** Where simulated time starts (ms since the epoch); now by default. */
  readonly startMs?: number;
  /** Where the reference notifier reads MAELSTROM_CHAT_WEBHOOK from; by default the process's environment. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** The plan the demo is paced for: the one asked for, else evacuate-east, else the first drain plan by name. */
function demoPlan(definitions: Definitions, asked: string | undefined): Plan | undefined {
  if (asked !== undefined) return definitions.plans.get(asked);
  const drains = [...definitions.plans.values()]
    .filter((p) => p.spec.direction === 'drain')
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  return definitions.plans.get(DEMO_PLAN) ?? drains[0];
}

export interface Demo {
  readonly serving: Serving;
  readonly url: string;
  readonly token: string;
  /** The dashboard with the token in the fragment (never sent to the server). */
  readonly dashboardUrl: string;
  readonly speed: number;
  /** The fleet in the simulator, and the plan the speed is set for. */
  readonly fleet: Fleet;
  readonly plan: Plan;
  readonly definitions: Definitions;
  close(): Promise<void>;
}

export async function startDemo(options: DemoOptions = {}): Promise<Demo> {
  const files = options.files && options.files.length > 0 ? options.files : [join(packageRoot(), 'examples')];
  const definitions = await loadOrFail(files);
  const plan = demoPlan(definitions, options.plan);
  const fleet = plan ? definitions.fleets.get(plan.spec.fleet) : undefined;
  if (!plan || !fleet)
    throw new MaelstromError(
      options.plan !== undefined ? 'E_NOT_FOUND' : 'E_FILE',
      options.plan !== undefined
        ? `no plan ${options.plan} in ${files.join(', ')}`
        : `the definitions in ${files.join(', ')} have no drain plan (with its fleet) for the demo to run`,
    );
  const speed =
    options.speed ?? Math.max(1, Math.round(compilePlan(definitions, plan.metadata.name).estimateMs / TARGET_WALL_MS));
  const dir = await mkdtemp(join(tmpdir(), 'maelstrom-demo-'));
  const store = createSqliteStore({ path: join(dir, 'maelstrom.db'), durability: 'process' });
  await store.init();
  const token = await createToken(store, 'admin', 'demo-admin');
  const backend = createSimBackend({ fleet, clock: scaledClock(options.startMs ?? Date.now(), speed), name: 'sim' });
  const serving = await startServing({
    definitions,
    backend,
    store,
    port: options.port ?? 8080,
    ...(options.host !== undefined ? { host: options.host } : {}),
    ...(options.env ? { env: options.env } : {}),
  });
  const url = serving.server.url;
  return {
    serving,
    url,
    token,
    speed,
    fleet,
    plan,
    definitions,
    dashboardUrl: `${url}/#token=${token}`,
    close: async () => {
      await serving.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      'Start a fleet in the simulator (the reference one, or yours with -f) with the controller and the dashboard; ' +
        'prints the URL and an admin token.',
    )
    .option(
      '-f, --file <path>',
      'your definitions instead of the reference ones: a file or a directory (repeatable)',
      collect,
    )
    .option('--plan <name>', 'the plan to pace the demo for (default: evacuate-east, else the first drain plan)')
    .option('--port <p>', 'port on 127.0.0.1 (0: any free port)', '8080')
    .option('--speed <n>', 'simulated seconds per wall-clock second (default: the plan takes about two minutes)')
    .action(async (opts: { file?: string[]; plan?: string; port: string; speed?: string }) => {
      const speed = opts.speed !== undefined ? Number(opts.speed) : undefined;
      if (speed !== undefined && (!Number.isFinite(speed) || speed <= 0))
        throw new MaelstromError('E_BAD_REQUEST', `--speed must be a positive number, got "${opts.speed}"`);
      const demo = await startDemo({
        port: parsePort(opts.port),
        ...(speed !== undefined ? { speed } : {}),
        ...(opts.file ? { files: opts.file } : {}),
        ...(opts.plan !== undefined ? { plan: opts.plan } : {}),
      });
      const dcs = demo.fleet.spec.datacenters.map((d) => d.name).join(', ');
      const which = opts.file ? `fleet ${demo.fleet.metadata.name}` : 'the reference fleet';
      const name = demo.plan.metadata.name;
      const restore = compilePlan(demo.definitions, name).restorePlan;
      process.stdout.write(
        [
          `maelstrom demo: ${which} (datacenters ${dcs}) in the simulator`,
          `  simulated time runs ${demo.speed}x wall time; the store is a temporary SQLite file`,
          '',
          `  dashboard:   ${demo.dashboardUrl}`,
          `  API:         ${demo.url}/api/v1  (OpenAPI: ${demo.url}/api/v1/openapi.json)`,
          `  admin token: ${demo.token}`,
          '',
          `  Open the dashboard, pick ${name}, check the pre-flight table and start it` +
            (restore !== undefined ? `; ${restore} brings the datacenter back.` : '.'),
          '  Ctrl-C (or SIGTERM) stops the demo.',
          '',
        ].join('\n'),
      );
      await untilSignal();
      process.stdout.write('maelstrom demo: stopping\n');
      await demo.close();
      process.stdout.write('maelstrom demo: stopped\n');
    });
}
