/**
 * The lab's processes on loopback: one service process serving every datacenter, HAProxy in front of it (runtime
 * socket enabled), Prometheus scraping each datacenter every second. Everything lives in a temp dir removed on
 * stop; stop() ends every process started, and is safe to call more than once and after a partial start.
 */
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HaproxyConfig } from '../backends/haproxy/config.js';
import { RuntimeApi } from '../backends/haproxy/runtime-api.js';
import { MaelstromError } from '../model/errors.js';
import { LAB_POP, LAB_SERVICE, labCapacity, labDatacenters } from './fleet.js';
import { executable, freePort, startChild, waitFor, type Child } from './processes.js';
import { SERVICE_SCRIPT } from './service-script.js';

export const HAPROXY_BIN = process.env.MAELSTROM_HAPROXY ?? '/usr/sbin/haproxy';
export const PROMETHEUS_BIN = process.env.MAELSTROM_PROMETHEUS ?? '/usr/bin/prometheus';

export interface LabEnvironmentOptions {
  readonly datacenters: number;
  readonly rps: number;
  readonly log?: (message: string) => void;
  readonly startTimeoutMs?: number;
}

export interface LabService {
  readonly datacenter: string;
  /** Its port on 127.0.0.1: metrics, health, `/admin/slow`. */
  readonly port: number;
  /** Its Unix socket, where HAProxy sends the load. */
  readonly socket: string;
}

export interface LabEnvironment {
  readonly dir: string;
  readonly datacenters: readonly string[];
  /** The frontend users' requests go to. */
  readonly url: string;
  readonly socket: string;
  readonly prometheusUrl: string;
  readonly mapping: HaproxyConfig;
  readonly services: readonly LabService[];
  /** The processes' ids (for their CPU time: bench/lab-path.bench.ts). */
  readonly pids: { readonly services: number; readonly haproxy: number; readonly prometheus: number };
  /** Adds latency to every request of the datacenter's service. */
  slow(datacenter: string, ms: number): Promise<void>;
  /** Moves the runtime socket away (HAProxy keeps serving), or back. */
  hideSocket(hidden: boolean): Promise<void>;
  stopPrometheus(): Promise<void>;
  stop(): Promise<void>;
}

export async function labPrograms(): Promise<{ haproxy: boolean; prometheus: boolean }> {
  return { haproxy: await executable(HAPROXY_BIN), prometheus: await executable(PROMETHEUS_BIN) };
}

function haproxyCfg(
  socket: string,
  port: number,
  servers: readonly { name: string; port: number; socket?: string }[],
): string {
  return [
    'global',
    `  stats socket ${socket} mode 600 level admin`,
    '  maxconn 4096',
    // One thread: at 10,000 requests/s HAProxy needs under half a core, and two threads cost no less a request
    // (48–52 against 50–54 µs at 6,000/s, alternated runs).
    '  nbthread 1',
    'defaults',
    '  mode http',
    '  timeout connect 1s',
    '  timeout client 30s',
    '  timeout server 30s',
    // Retries only where no request reached a server (a refused connection): never hides an error answer.
    '  retries 2',
    '  option redispatch',
    'frontend users',
    `  bind 127.0.0.1:${port}`,
    `  default_backend ${LAB_SERVICE}_${LAB_POP}`,
    `backend ${LAB_SERVICE}_${LAB_POP}`,
    '  balance roundrobin',
    // Keep-alive on both sides (HAProxy's default) and any idle server connection reused for any request.
    '  http-reuse always',
    ...servers.map((s) => `  server ${s.name} ${s.socket ?? `127.0.0.1:${s.port}`} weight 100`),
    '',
  ].join('\n');
}

function prometheusYml(services: readonly LabService[]): string {
  return [
    'global: { scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s }',
    'scrape_configs:',
    '  - job_name: lab',
    '    static_configs:',
    ...services.map(
      (s) =>
        `      - { targets: ["127.0.0.1:${s.port}"], labels: { service: ${LAB_SERVICE}, datacenter: ${s.datacenter} } }`,
    ),
    '',
  ].join('\n');
}

/**
 * HAProxy alone, in the foreground, with the runtime socket in `dir`: a frontend on a free port and one backend
 * (`web_lab`) with a server per entry of `servers`, each at weight 100. Resolves once the runtime API answers.
 */
export async function startHaproxy(
  dir: string,
  servers: readonly { name: string; port: number; socket?: string }[],
  timeoutMs = 20_000,
): Promise<{ socket: string; port: number; child: Child }> {
  const socket = join(dir, 'haproxy.sock');
  const port = await freePort();
  await writeFile(join(dir, 'haproxy.cfg'), haproxyCfg(socket, port, servers));
  const child = startChild('haproxy', HAPROXY_BIN, ['-db', '-f', join(dir, 'haproxy.cfg')]);
  const api = new RuntimeApi({ socket });
  try {
    await waitFor(
      'the HAProxy runtime socket',
      async () => (await api.command('show info')).includes('Name:'),
      timeoutMs,
      child,
    );
  } catch (e) {
    await child.stop();
    throw e;
  }
  return { socket, port, child };
}

export function labMapping(socket: string, datacenters: readonly string[]): HaproxyConfig {
  return HaproxyConfig.parse({
    apiVersion: 'maelstrom/v1',
    kind: 'HaproxyMapping',
    metadata: { name: 'lab' },
    spec: {
      socket,
      timeout: 2000,
      services: [
        {
          service: LAB_SERVICE,
          edge: [
            {
              pop: LAB_POP,
              backend: `${LAB_SERVICE}_${LAB_POP}`,
              servers: Object.fromEntries(datacenters.map((d) => [d, d])),
            },
          ],
          sessions: {
            backend: `${LAB_SERVICE}_${LAB_POP}`,
            servers: Object.fromEntries(datacenters.map((d) => [d, d])),
          },
        },
      ],
    },
  });
}

export async function startLab(options: LabEnvironmentOptions): Promise<LabEnvironment> {
  if (!Number.isInteger(options.datacenters) || options.datacenters < 2)
    throw new MaelstromError(
      'E_BAD_REQUEST',
      `--datacenters must be an integer of at least 2, got ${options.datacenters}`,
    );
  if (!(options.rps > 0)) throw new MaelstromError('E_BAD_REQUEST', `--rps must be positive, got ${options.rps}`);
  const programs = await labPrograms();
  if (!programs.haproxy)
    throw new MaelstromError(
      'E_BAD_REQUEST',
      `the lab needs HAProxy at ${HAPROXY_BIN} (Debian: apt-get install haproxy; or set MAELSTROM_HAPROXY)`,
    );
  if (!programs.prometheus)
    throw new MaelstromError(
      'E_BAD_REQUEST',
      `the lab needs Prometheus at ${PROMETHEUS_BIN} (Debian: apt-get install prometheus; or set MAELSTROM_PROMETHEUS)`,
    );
  const log = options.log ?? (() => undefined);
  const timeout = options.startTimeoutMs ?? 20_000;
  const dir = await mkdtemp(join(tmpdir(), 'maelstrom-lab-'));
  const children: Child[] = [];
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      await Promise.all(children.map((c) => c.stop()));
      await rm(dir, { recursive: true, force: true });
    })();
    return stopped;
  };
  try {
    const datacenters = labDatacenters(options.datacenters);
    const capacity = labCapacity(options.datacenters, options.rps);
    const script = join(dir, 'service.mjs');
    await writeFile(script, SERVICE_SCRIPT);
    // One process serves every datacenter, each on a port of its own (Prometheus scrapes it, the lab slows it)
    // and a Unix socket (HAProxy's traffic): cheaper than a process and a loopback TCP hop each (docs/lab.md).
    const services: LabService[] = [];
    for (const dc of datacenters)
      services.push({ datacenter: dc, port: await freePort(), socket: join(dir, `${dc}.sock`) });
    const child = startChild('services', process.execPath, [script], {
      LAB_SERVICES: JSON.stringify(services.map((s) => ({ ...s, capacity }))),
    });
    children.push(child);
    await Promise.all(
      services.map((s) =>
        waitFor(
          `service ${s.datacenter} on port ${s.port}`,
          async () => (await fetch(`http://127.0.0.1:${s.port}/health`)).ok,
          timeout,
          child,
        ),
      ),
    );
    log(`services: ${services.map((s) => `${s.datacenter}@${s.port}`).join(', ')} (capacity ${capacity} rps each)`);

    const {
      socket,
      port,
      child: haproxy,
    } = await startHaproxy(
      dir,
      services.map((s) => ({ name: s.datacenter, port: s.port, socket: s.socket })),
      timeout,
    );
    children.push(haproxy);
    log(`haproxy: http://127.0.0.1:${port}, runtime socket ${socket}`);

    const promPort = await freePort();
    await writeFile(join(dir, 'prometheus.yml'), prometheusYml(services));
    const prometheus = startChild('prometheus', PROMETHEUS_BIN, [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'prometheus-data')}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
      '--log.level=warn',
    ]);
    children.push(prometheus);
    const prometheusUrl = `http://127.0.0.1:${promPort}`;
    await waitFor(
      'Prometheus to scrape every service',
      async () => {
        const r = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent('count(up == 1)')}`);
        const body = (await r.json()) as { data?: { result?: { value: [number, string] }[] } };
        return Number(body.data?.result?.[0]?.value[1] ?? 0) === services.length;
      },
      timeout,
      prometheus,
    );
    log(`prometheus: ${prometheusUrl}`);

    const mapping = labMapping(socket, datacenters);
    return {
      dir,
      datacenters,
      url: `http://127.0.0.1:${port}/`,
      socket,
      prometheusUrl,
      mapping,
      services,
      pids: {
        services: child.process.pid ?? 0,
        haproxy: haproxy.process.pid ?? 0,
        prometheus: prometheus.process.pid ?? 0,
      },
      async slow(datacenter, ms) {
        const s = services.find((x) => x.datacenter === datacenter);
        if (!s) throw new MaelstromError('E_NOT_FOUND', `no datacenter ${datacenter} in the lab`);
        await fetch(`http://127.0.0.1:${s.port}/admin/slow?ms=${ms}`, { method: 'POST' });
      },
      async hideSocket(hidden) {
        await (hidden ? rename(socket, `${socket}.away`) : rename(`${socket}.away`, socket));
      },
      stopPrometheus: () => prometheus.stop(),
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
