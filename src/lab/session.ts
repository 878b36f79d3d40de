/**
 * The engine wired to a lab: the HAProxy backend (actions) with the Prometheus source (readings), a controller on
 * wall time with short polling (the lab's propagation is immediate), and a record of every event and every issue
 * the backends report (a lost runtime socket, absent readings), for the report and for tests.
 */
import { createHaproxyBackend, type HaproxyBackend } from '../backends/haproxy/backend.js';
import type { HaproxyConfig } from '../backends/haproxy/config.js';
import { createPrometheusSource } from '../backends/prometheus/source.js';
import { createController, type ControllerStore, type EngineController } from '../compose/controller.js';
import type { RunView } from '../engine/controller.js';
import type { EngineOptions } from '../engine/runtime.js';
import { systemClock } from '../model/clock.js';
import type { Definitions } from '../model/definitions.js';
import type { EngineEvent } from '../model/events.js';
import type { FleetSnapshot } from '../model/readings.js';
import { labMapping, type LabEnvironment } from './environment.js';
import { labDatacenters, labDefinitions } from './fleet.js';

export const LAB_ENGINE_OPTIONS: Partial<EngineOptions> = {
  pollMs: 250,
  healthPollMs: 500,
  preBlockAfterMs: 20_000,
  postTimeoutMs: 20_000,
  retryDelayMs: 500,
  maxRetries: 1000,
};

export interface LabSessionOptions {
  /** The lab's store; the session's controller holds its lease until close(). */
  readonly store: ControllerStore;
  readonly rps: number;
  readonly settle?: string;
  readonly log?: (message: string) => void;
  readonly engine?: Partial<EngineOptions>;
}

export interface LabSession {
  readonly definitions: Definitions;
  readonly backend: HaproxyBackend;
  readonly controller: EngineController;
  readonly events: EngineEvent[];
  /** What the backends reported: lost socket, absent or stale readings, and their recovery. */
  readonly issues: { readonly time: number; readonly message: string }[];
  /** Starts the plan and resolves when its run ends. */
  run(plan: string): Promise<RunView>;
  start(plan: string): Promise<RunView>;
  snapshot(): Promise<FleetSnapshot>;
  close(): Promise<void>;
}

/** Where a lab's controller finds it: enough for a controller in another process to act on the same lab. */
export interface LabAddress {
  readonly datacenters: number;
  readonly rps: number;
  readonly settle?: string | undefined;
  readonly socket: string;
  readonly prometheusUrl: string;
  /** The HAProxy mapping, when already built (by default the lab's, from the socket). */
  readonly mapping?: HaproxyConfig;
}

/** The lab's definitions and a HAProxy backend on its runtime socket, with readings from its Prometheus. */
export function labBackend(
  address: LabAddress,
  onIssue: (message: string) => void,
): { definitions: Definitions; backend: HaproxyBackend } {
  const definitions = labDefinitions({ datacenters: address.datacenters, rps: address.rps, settle: address.settle });
  const fleet = definitions.fleets.get('lab')!;
  const metrics = createPrometheusSource({
    url: address.prometheusUrl,
    fleet,
    staleAfterMs: 5_000,
    window: '3s',
    onIssue,
  });
  const config = address.mapping ?? labMapping(address.socket, labDatacenters(address.datacenters));
  const backend = createHaproxyBackend({ config, metrics, fleet, clock: systemClock, onIssue });
  return { definitions, backend };
}

export async function createLabSession(env: LabEnvironment, options: LabSessionOptions): Promise<LabSession> {
  const log = options.log ?? (() => undefined);
  const issues: { time: number; message: string }[] = [];
  const onIssue = (message: string): void => {
    issues.push({ time: Date.now(), message });
    log(message);
  };
  const { definitions, backend } = labBackend(
    {
      datacenters: env.datacenters.length,
      rps: options.rps,
      settle: options.settle,
      socket: env.socket,
      prometheusUrl: env.prometheusUrl,
      mapping: env.mapping,
    },
    onIssue,
  );
  const controller = await createController({
    definitions,
    backend,
    store: options.store,
    clock: systemClock,
    engine: { ...LAB_ENGINE_OPTIONS, ...options.engine },
    logger: { info: log, warn: (m) => log(`warning: ${m}`) },
  });
  try {
    await backend.init();
  } catch (e) {
    await controller.close();
    throw e;
  }
  const events: EngineEvent[] = [];
  const unsubscribe = controller.subscribe((e) => {
    events.push(e);
    if (e.type === 'shift.step') {
      const left = `${Math.round(e.remaining * 1000) / 10}% left in ${e.datacenter}`;
      log(`${e.taskId}: step ${e.step} ${e.decision}, ${left}${e.reason ? ` (${e.reason})` : ''}`);
    } else if (e.type === 'task.state' || e.type === 'run.state')
      log(`${e.type === 'run.state' ? `run ${e.runId}` : e.taskId}: ${e.state}${e.reason ? ` — ${e.reason}` : ''}`);
    else if (e.type === 'health' && e.ok !== true)
      log(`${e.taskId}: health ${e.check} ${e.ok === null ? 'unknown' : 'failing'}${e.detail ? `: ${e.detail}` : ''}`);
  });
  await controller.start();
  const actor = { name: 'lab', role: 'operator' as const };
  return {
    definitions,
    backend,
    controller,
    events,
    issues,
    start: (plan) => controller.startRun(plan, actor),
    async run(plan) {
      const started = await controller.startRun(plan, actor);
      return controller.wait(started.id);
    },
    snapshot: () => backend.snapshot(),
    async close() {
      unsubscribe();
      await controller.close();
      await backend.close();
    },
  };
}
