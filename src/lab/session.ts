/**
 * The engine wired to a lab: the HAProxy backend (actions) with the Prometheus source (readings), a controller on
 * wall time with short polling (the lab's propagation is immediate), and a record of every event and every issue
 * the backends report (a lost runtime socket, absent readings), for the report and for tests.
 */
import { createHaproxyBackend, type HaproxyBackend } from '../backends/haproxy/backend.js';
import { createPrometheusSource } from '../backends/prometheus/source.js';
import { createController, type ControllerStore, type EngineController } from '../compose/controller.js';
import type { RunView } from '../engine/controller.js';
import type { EngineOptions } from '../engine/runtime.js';
import { systemClock } from '../model/clock.js';
import type { Definitions } from '../model/definitions.js';
import type { EngineEvent } from '../model/events.js';
import type { FleetSnapshot } from '../model/readings.js';
import type { LabEnvironment } from './environment.js';
import { labDefinitions } from './fleet.js';

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

export async function createLabSession(env: LabEnvironment, options: LabSessionOptions): Promise<LabSession> {
  const log = options.log ?? (() => undefined);
  const definitions = labDefinitions({ datacenters: env.datacenters.length, rps: options.rps, settle: options.settle });
  const fleet = definitions.fleets.get('lab')!;
  const issues: { time: number; message: string }[] = [];
  const onIssue = (message: string): void => {
    issues.push({ time: Date.now(), message });
    log(message);
  };
  const metrics = createPrometheusSource({ url: env.prometheusUrl, fleet, staleAfterMs: 5_000, window: '3s', onIssue });
  const backend = createHaproxyBackend({ config: env.mapping, metrics, fleet, clock: systemClock, onIssue });
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
