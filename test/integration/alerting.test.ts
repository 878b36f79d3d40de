/**
 * Alerts in, for real: a Prometheus with an alert rule and an Alertmanager (Debian's prometheus-alertmanager),
 * both started here, deliver a firing alert to `maelstrom serve`'s webhook, which proposes the trigger's plan; the
 * chat sink gets the Slack message with the deep link; the alert's resolution is recorded on the run; an operator
 * approves it and it starts. Measures the time from the webhook's arrival to the run being `proposed` on the API.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimBackend } from '../../src/backends/sim/backend.js';
import { scaledClock } from '../../src/backends/sim/server.js';
import { startServing, type Serving } from '../../src/cli/serve.js';
import { createToken } from '../../src/cli/token.js';
import { freePort, startChild, waitFor, type Child } from '../../src/lab/processes.js';
import { loadOrFail } from '../../src/load/check.js';
import type { RunView } from '../../src/model/api.js';
import { createSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { ALERTMANAGER_BIN, PROMETHEUS_BIN, eventually, haveAlerting } from './programs.js';

let dir: string;
let serving: Serving;
let chat: Server;
let chatUrl: string;
const messages: { text: string; blocks: { type: string; elements?: { url?: string }[] }[] }[] = [];
const children: Child[] = [];
let prometheusUrl: string;
let operatorToken: string;

const RULES_FIRING = `groups:
  - name: maelstrom
    interval: 1s
    rules:
      - alert: DatacenterErrorRateHigh
        expr: vector(1)
        labels: { datacenter: east, severity: critical }
        annotations: { summary: "east answers 12% errors" }
`;
const RULES_QUIET = RULES_FIRING.replace('expr: vector(1)', 'expr: vector(1) == 0');

async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(`${serving.server.url}/api/v1${path}`, {
    ...init,
    headers: { authorization: `Bearer ${operatorToken}`, 'content-type': 'application/json', ...init.headers },
  });
  const body = (await res.json()) as T;
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${JSON.stringify(body)}`);
  return body;
}

describe.skipIf(!haveAlerting)('alerts from a real Prometheus and Alertmanager', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'maelstrom-alerting-'));
    chat = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        messages.push(JSON.parse(body) as (typeof messages)[number]);
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((r) => chat.listen(0, '127.0.0.1', r));
    chatUrl = `http://127.0.0.1:${(chat.address() as AddressInfo).port}/services/T0/B0/x`;

    const definitions = await loadOrFail(['examples']);
    const store = createSqliteStore({ path: join(dir, 'maelstrom.db') });
    await store.init();
    const alertsToken = await createToken(store, 'alerts', 'alertmanager');
    operatorToken = await createToken(store, 'operator', 'ana');
    // The fleet in the simulator at wall-clock speed: the engine's clock is the wall clock.
    const backend = createSimBackend({ fleet: definitions.fleets.get('example')!, clock: scaledClock(Date.now(), 1) });
    serving = await startServing({
      definitions,
      backend,
      store,
      port: 0,
      env: { MAELSTROM_CHAT_WEBHOOK: chatUrl },
      publicUrl: 'https://maelstrom.example.com/',
    });

    const amPort = await freePort();
    await writeFile(
      join(dir, 'alertmanager.yml'),
      [
        'route:',
        '  receiver: maelstrom',
        '  group_by: [alertname, datacenter]',
        '  group_wait: 0s',
        '  group_interval: 1s',
        '  repeat_interval: 1h',
        'receivers:',
        '  - name: maelstrom',
        '    webhook_configs:',
        `      - url: ${serving.server.url}/api/v1/alerts`,
        '        send_resolved: true',
        `        http_config: { authorization: { type: Bearer, credentials: ${alertsToken} } }`,
        '',
      ].join('\n'),
    );
    const am = startChild('alertmanager', ALERTMANAGER_BIN, [
      `--config.file=${join(dir, 'alertmanager.yml')}`,
      `--storage.path=${join(dir, 'alertmanager-data')}`,
      `--web.listen-address=127.0.0.1:${amPort}`,
      '--cluster.listen-address=',
      '--log.level=warn',
    ]);
    children.push(am);
    await waitFor(
      'Alertmanager to be ready',
      async () => (await fetch(`http://127.0.0.1:${amPort}/-/ready`)).ok,
      20_000,
      am,
    );

    const promPort = await freePort();
    await writeFile(join(dir, 'rules.yml'), RULES_FIRING);
    await writeFile(
      join(dir, 'prometheus.yml'),
      [
        'global: { evaluation_interval: 1s }',
        `rule_files: [${join(dir, 'rules.yml')}]`,
        'alerting:',
        '  alertmanagers:',
        `    - static_configs: [ { targets: ["127.0.0.1:${amPort}"] } ]`,
        '',
      ].join('\n'),
    );
    const prom = startChild('prometheus', PROMETHEUS_BIN, [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'prometheus-data')}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
      '--web.enable-lifecycle',
      // Alerts that fire before Alertmanager is discovered are sent again this soon (by default a minute later).
      '--rules.alert.resend-delay=1s',
      '--log.level=warn',
    ]);
    children.push(prom);
    prometheusUrl = `http://127.0.0.1:${promPort}`;
    await waitFor('Prometheus to be ready', async () => (await fetch(`${prometheusUrl}/-/ready`)).ok, 20_000, prom);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(children.map((c) => c.stop()));
    await serving?.close();
    await new Promise<void>((r) => chat?.close(() => r()));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('a firing alert proposes the evacuation within 1 s of the webhook; chat gets the link; the resolution is recorded; approval starts it', async () => {
    // Poll the API closely (every 10 ms) to see when the run appears.
    let proposed: RunView | undefined;
    let seenAt = 0;
    const deadline = Date.now() + 30_000;
    while (!proposed) {
      if (Date.now() > deadline) throw new Error('timed out after 30 s waiting for the alert to propose a run');
      const { runs } = await api<{ runs: RunView[] }>('/runs?active=true');
      proposed = runs.find((r) => r.state === 'proposed');
      seenAt = Date.now();
      if (!proposed) await new Promise((r) => setTimeout(r, 10));
    }
    const run = proposed;
    expect(run.plan).toBe('evacuate-east-now');
    expect(run.proposal?.trigger).toBe('east-unhealthy');
    expect(run.preflight?.ok).toBe(true);
    const alert = run.proposal!.alerts[0]!;
    expect(alert.labels).toMatchObject({
      alertname: 'DatacenterErrorRateHigh',
      datacenter: 'east',
      severity: 'critical',
    });
    expect(alert.generatorURL).toContain('/graph?g0.expr=vector');
    // `receivedAt` is when the webhook reached the intake (the engine's clock is the wall clock here).
    const latencyMs = seenAt - alert.receivedAt;
    const endToEndMs = seenAt - Date.parse(alert.startsAt);
    process.stdout.write(
      `alert → proposed: ${latencyMs} ms from the webhook's arrival to the run proposed on the API (polled every 10 ms); ` +
        `${endToEndMs} ms from the alert's start in Prometheus\n`,
    );
    expect(latencyMs).toBeLessThan(1000);

    await eventually('the Slack message of the proposal', () => messages.length > 0, 10_000);
    const link = `https://maelstrom.example.com/#run=${run.id}`;
    expect(messages[0]!.text).toContain(link);
    expect(messages[0]!.blocks.find((b) => b.type === 'actions')!.elements![0]!.url).toBe(link);

    // The alert stops firing: Prometheus resolves it, Alertmanager says so, and the run records it.
    await writeFile(join(dir, 'rules.yml'), RULES_QUIET);
    expect((await fetch(`${prometheusUrl}/-/reload`, { method: 'POST' })).ok).toBe(true);
    await eventually(
      'the resolution to be recorded on the run',
      async () => (await api<RunView>(`/runs/${run.id}`)).proposal?.alerts[0]?.status === 'resolved',
      30_000,
    );

    const approved = await api<RunView>(`/runs/${run.id}/approve`, {
      method: 'POST',
      body: JSON.stringify({ reason: 'east errors confirmed on the graphs' }),
    });
    expect(approved.state).toBe('pending');
    await eventually(
      'the run to start',
      async () => (await api<RunView>(`/runs/${run.id}`)).state === 'running',
      10_000,
    );
    await eventually(
      'the Slack message of the start',
      () => messages.some((m) => m.text.startsWith('Started')),
      10_000,
    );
  }, 90_000);
});
