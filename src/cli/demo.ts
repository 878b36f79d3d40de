/**
 * `maelstrom demo [--port P] [--speed N]`: the reference fleet (examples/ shipped with the package) in the
 * simulator, the controller on SQLite in a temporary folder, the dashboard, and an admin token: nothing to install
 * or configure. The simulator's clock runs fast enough that evacuate-east takes about two minutes of wall time.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { createSimBackend } from '../backends/sim/backend.js';
import { scaledClock } from '../backends/sim/server.js';
import { loadOrFail } from '../load/check.js';
import { MaelstromError } from '../model/errors.js';
import { compilePlan } from '../plan/index.js';
import { packageRoot } from '../server/start.js';
import { createSqliteStore } from '../store/sqlite/sqlite-store.js';
import { parsePort, startServing, untilSignal, type Serving } from './serve.js';
import { createToken } from './token.js';

/** Wall-clock time a full evacuate-east should take in the demo. */
const TARGET_WALL_MS = 120_000;
const DEMO_PLAN = 'evacuate-east';

export interface Demo {
  readonly serving: Serving;
  readonly url: string;
  readonly token: string;
  /** The dashboard with the token in the fragment (never sent to the server). */
  readonly dashboardUrl: string;
  readonly speed: number;
  close(): Promise<void>;
}

export async function startDemo(
  options: {
    readonly port?: number;
    readonly speed?: number;
    readonly host?: string;
    /** Where the reference notifier reads MAELSTROM_CHAT_WEBHOOK from; by default the process's environment. */
    readonly env?: Readonly<Record<string, string | undefined>>;
  } = {},
): Promise<Demo> {
  const definitions = await loadOrFail([join(packageRoot(), 'examples')]);
  const plan = definitions.plans.get(DEMO_PLAN);
  const fleet = plan ? definitions.fleets.get(plan.spec.fleet) : undefined;
  if (!plan || !fleet)
    throw new MaelstromError(
      'E_FILE',
      `the reference definitions under ${join(packageRoot(), 'examples')} lack plan ${DEMO_PLAN} or its fleet`,
    );
  const speed =
    options.speed ?? Math.max(1, Math.round(compilePlan(definitions, DEMO_PLAN).predictedMs / TARGET_WALL_MS));
  const dir = await mkdtemp(join(tmpdir(), 'maelstrom-demo-'));
  const store = createSqliteStore({ path: join(dir, 'maelstrom.db'), durability: 'process' });
  await store.init();
  const token = await createToken(store, 'admin', 'demo-admin');
  const backend = createSimBackend({ fleet, clock: scaledClock(Date.now(), speed), name: 'sim' });
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
      'Start the reference fleet in the simulator with the controller and the dashboard; prints the URL and an admin token.',
    )
    .option('--port <p>', 'port on 127.0.0.1 (0: any free port)', '8080')
    .option('--speed <n>', 'simulated seconds per wall-clock second (default: evacuate-east takes about two minutes)')
    .action(async (opts: { port: string; speed?: string }) => {
      const speed = opts.speed !== undefined ? Number(opts.speed) : undefined;
      if (speed !== undefined && (!Number.isFinite(speed) || speed <= 0))
        throw new MaelstromError('E_BAD_REQUEST', `--speed must be a positive number, got "${opts.speed}"`);
      const demo = await startDemo({ port: parsePort(opts.port), ...(speed !== undefined ? { speed } : {}) });
      process.stdout.write(
        [
          'maelstrom demo: the reference fleet (datacenters east, west, central) in the simulator',
          `  simulated time runs ${demo.speed}x wall time; the store is a temporary SQLite file`,
          '',
          `  dashboard:   ${demo.dashboardUrl}`,
          `  API:         ${demo.url}/api/v1  (OpenAPI: ${demo.url}/api/v1/openapi.json)`,
          `  admin token: ${demo.token}`,
          '',
          '  Open the dashboard, pick evacuate-east, check the pre-flight table and start it; restore-east brings traffic back.',
          '  Ctrl-C stops the demo.',
          '',
        ].join('\n'),
      );
      await untilSignal();
      process.stdout.write('maelstrom demo: stopping\n');
      await demo.close();
      process.stdout.write('maelstrom demo: stopped\n');
    });
}
