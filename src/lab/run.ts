/**
 * `maelstrom lab`, end to end: start the lab, put steady load on it, drain the first datacenter with the engine
 * through HAProxy and Prometheus, keep it drained a while, restore it, and report in the drain-test report's shape
 * (docs/lab.md), with `failedRequests` counted by the load generator. Everything started is stopped on the way out,
 * whether the lab succeeded, failed or was interrupted.
 */
import { loadavg } from 'node:os';
import type { RunView } from '../engine/controller.js';
import { formatDuration } from '../model/duration.js';
import { MaelstromError, toMaelstromError } from '../model/errors.js';
import type { Definitions } from '../model/definitions.js';
import type { EngineEvent } from '../model/events.js';
import type { FleetSnapshot } from '../model/readings.js';
import type { ControllerStore } from '../compose/controller.js';
import { startLab, type LabEnvironment } from './environment.js';
import { LAB_SERVICE } from './fleet.js';
import { cpuBetween, LabCpuTracker, type LabPart } from './cpu.js';
import { rateBetween, startLoad, type LoadGenerator, type LoadMark, type LoadResult } from './load.js';
import { startLabControllers } from './controllers.js';
import { createLabSession, labBackend, type LabSession } from './session.js';
import { startReplicationStream, type ReplicationReport, type ReplicationStream } from './replication.js';

export interface LabRunOptions {
  readonly datacenters: number;
  readonly rps: number;
  /** Seconds the datacenter stays drained before the restore. */
  readonly drainedSeconds: number;
  readonly settle?: string;
  readonly store: ControllerStore;
  /**
   * Controllers as processes on a PostgreSQL store of the lab's own instead of one in process (`store` is then
   * unused): the leading one is killed with SIGKILL mid-drain, and a standby must finish the drain.
   */
  readonly controllers?: { readonly count: number; readonly command: readonly string[] };
  readonly log?: (message: string) => void;
  readonly signal?: AbortSignal;
  /** Replicate a stream from the drained datacenter to the next across an emulated long-haul link (--link). */
  readonly link?: boolean;
}

/** A leader killed mid-drain, and how long the standbys took to lead and to resume the run. */
export interface LabKill {
  /** Seconds from the load's start. */
  readonly at: number;
  readonly controller: string;
  readonly epoch: number | null;
  readonly next: string;
  readonly nextEpoch: number | null;
  /** From the kill until a standby said it leads. */
  readonly takeoverSeconds: number;
  /** From the kill until the new leader committed the run's first event. */
  readonly resumedSeconds: number | null;
}

export interface LabStepReport {
  readonly at: number;
  readonly layer: 'edge' | 'cluster';
  readonly step: number;
  readonly remaining: number;
  readonly moved: number;
  readonly decision: string;
  readonly reason?: string;
}

export interface LabReport {
  readonly version: 1;
  readonly scenario: 'lab';
  /** The load's start, ISO 8601: the origin of every time in the report. */
  readonly start: string;
  readonly durationSeconds: number;
  readonly drainedDatacenter: string | null;
  readonly receivers: readonly string[];
  readonly pacing: string;
  readonly backend: string;
  readonly outcome: 'succeeded' | 'failed';
  readonly plans: readonly {
    readonly name: string;
    readonly runId: string | null;
    readonly outcome: string;
    readonly direction: 'drain' | 'restore';
    readonly datacenter: string;
    readonly startedAt: number | null;
    readonly finishedAt: number | null;
    readonly drainSeconds: number | null;
    readonly userFacingDrainSeconds: number | null;
    readonly targetUtilization: number;
    readonly criticalPath: readonly string[];
    readonly error?: string;
    readonly errorCode?: string;
  }[];
  readonly overloadSeconds: number;
  readonly maxUtilization: number | null;
  readonly failedRequests: number;
  /** The lab's one service calls no other: there is no cross-datacenter RPC. */
  readonly crossDatacenterRpcSeconds: number;
  readonly criticalPath: readonly string[];
  readonly health: readonly {
    readonly at: number;
    readonly plan: string;
    readonly task: string;
    readonly check: string;
    readonly ok: boolean | null;
    readonly detail?: string;
  }[];
  readonly tasks: readonly {
    readonly id: string;
    readonly plan: string;
    readonly service: string;
    readonly after: readonly string[];
    readonly state: string;
    readonly startedAt: number | null;
    readonly finishedAt: number | null;
    readonly steps: readonly LabStepReport[];
  }[];
  readonly load: LoadResult & {
    readonly targetRps: number;
    /**
     * The load while the plans ran, from the drain's start to the restore's end (seconds from `start`): the rate
     * the lab sustained through the drain, the leader kill and the restore, without the ramp before them.
     */
    readonly duringPlans: LabLoadWindow | null;
  };
  /** With --controllers N > 1: the controllers and the leader killed mid-drain. */
  readonly controllers?: { readonly count: number; readonly kills: readonly LabKill[] };
  readonly issues: readonly { readonly at: number; readonly message: string }[];
  /** With --link: the replication stream across the emulated link during the drain and restore. */
  readonly replication?: ReplicationReport;
}

function aborted(signal: AbortSignal | undefined): Promise<never> {
  return new Promise((_, reject) => {
    const fail = (): void => reject(new MaelstromError('E_ABORTED', 'lab interrupted'));
    if (signal?.aborted) fail();
    else signal?.addEventListener('abort', fail, { once: true });
  });
}

const WARM_TIMEOUT_MS = 45_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** What the lab drives its plans through: a controller in process, or replicated controller processes. */
interface LabDriver {
  readonly definitions: Definitions;
  readonly issues: { time: number; message: string }[];
  snapshot(): Promise<FleetSnapshot>;
  run(plan: string): Promise<RunView>;
  events(): Promise<readonly EngineEvent[]>;
  readonly kills?: readonly LabKill[];
  close(): Promise<void>;
}

function inProcess(session: LabSession): LabDriver {
  return {
    definitions: session.definitions,
    issues: session.issues,
    snapshot: () => session.snapshot(),
    run: (plan) => session.run(plan),
    events: () => Promise.resolve(session.events),
    close: () => session.close(),
  };
}

/**
 * Replicated controllers: the plans go to the leader's API; the first time a drain has made a step with traffic
 * still to move, the leader is killed with SIGKILL, and the kill records how long a standby took to lead and to
 * resume the run. The lab keeps its own HAProxy backend, reading only, for its utilisation samples.
 */
async function replicatedControllers(
  env: LabEnvironment,
  options: LabRunOptions & { readonly controllers: NonNullable<LabRunOptions['controllers']> },
  log: (message: string) => void,
  t0: () => number,
): Promise<LabDriver> {
  const issues: { time: number; message: string }[] = [];
  const address = {
    datacenters: env.datacenters.length,
    rps: options.rps,
    settle: options.settle,
    socket: env.socket,
    prometheusUrl: env.prometheusUrl,
    mapping: env.mapping,
  };
  const { definitions, backend } = labBackend(address, (message) => {
    issues.push({ time: Date.now(), message });
    log(message);
  });
  await backend.init();
  const controllers = await startLabControllers({
    count: options.controllers.count,
    address,
    command: options.controllers.command,
    log,
  });
  const kills: LabKill[] = [];
  const killMidDrain = async (runId: string, done: () => boolean): Promise<void> => {
    while (!done()) {
      const events = await controllers.events().catch(() => []);
      const stepped = events.some(
        (e) => e.type === 'shift.step' && e.runId === runId && e.remaining > 0 && e.remaining < 0.8,
      );
      if (stepped) break;
      await sleep(100);
    }
    if (done()) return;
    const { controller, health } = await controllers.leader(10_000);
    const killedAt = Date.now();
    controller.kill();
    log(`killed ${controller.name} (${health.controller}, epoch ${health.epoch ?? '?'}) with SIGKILL mid-drain`);
    const next = await controllers.leader(30_000, [controller]);
    const takeoverMs = Date.now() - killedAt;
    let resumedMs: number | null = null;
    const deadline = Date.now() + 30_000;
    while (resumedMs === null && Date.now() < deadline && !done()) {
      const events = await controllers.events().catch(() => []);
      const first = events.find((e) => e.runId === runId && (e.epoch ?? 0) > (health.epoch ?? 0));
      if (first) resumedMs = Math.max(0, first.time - killedAt);
      else await sleep(100);
    }
    log(
      `${next.controller.name} leads (epoch ${next.health.epoch ?? '?'}) ${takeoverMs} ms after the kill` +
        `${resumedMs !== null ? `, resumed the drain after ${resumedMs} ms` : ''}`,
    );
    kills.push({
      at: Math.round((killedAt - t0()) / 100) / 10,
      controller: health.controller,
      epoch: health.epoch,
      next: next.health.controller,
      nextEpoch: next.health.epoch,
      takeoverSeconds: Math.round(takeoverMs / 100) / 10,
      resumedSeconds: resumedMs === null ? null : Math.round(resumedMs / 100) / 10,
    });
  };
  return {
    definitions,
    issues,
    kills,
    snapshot: () => backend.snapshot(),
    async run(plan) {
      const id = await controllers.start(plan);
      const drain = definitions.plans.get(plan)?.spec.direction === 'drain';
      let finished = false;
      const killer = drain && kills.length === 0 ? killMidDrain(id, () => finished) : Promise.resolve();
      try {
        return await controllers.wait(id, options.signal);
      } finally {
        finished = true;
        await killer.catch((e: unknown) => {
          issues.push({ time: Date.now(), message: `killing the leader: ${(e as Error).message}` });
        });
      }
    },
    events: () => controllers.events(),
    async close() {
      await controllers.stop();
      await backend.close();
    },
  };
}

export async function runLab(options: LabRunOptions): Promise<LabReport> {
  const log = options.log ?? (() => undefined);
  const interrupt = aborted(options.signal);
  interrupt.catch(() => undefined);
  const guard = <T>(p: Promise<T>): Promise<T> => Promise.race([p, interrupt]);
  let env: LabEnvironment | undefined;
  let session: LabDriver | undefined;
  let load: LoadGenerator | undefined;
  let sampling = true;
  let sampler: Promise<void> | undefined;
  let t0 = Date.now();
  let replication: ReplicationStream | undefined;
  try {
    env = await guard(startLab({ datacenters: options.datacenters, rps: options.rps, log }));
    const { controllers } = options;
    const starting =
      controllers !== undefined && controllers.count > 1
        ? replicatedControllers(env, { ...options, controllers }, log, () => t0)
        : undefined;
    // Interrupted while the controllers start, they are stopped as soon as they have.
    starting?.catch(() => undefined);
    session =
      starting !== undefined
        ? await guard(starting).catch((e: unknown) => {
            void starting.then((d) => d.close()).catch(() => undefined);
            throw e;
          })
        : inProcess(
            await guard(createLabSession(env, { store: options.store, rps: options.rps, settle: options.settle, log })),
          );
    const s = session;
    t0 = Date.now();
    const at = (ms: number | undefined): number | null => (ms === undefined ? null : Math.round((ms - t0) / 100) / 10);
    load = startLoad(env.url, options.rps);
    // Sampled every second, so that the leader killed mid-drain keeps the CPU it had spent.
    const cpu = new LabCpuTracker();
    log(`load: ${options.rps} rps on ${env.url} (${load.generator})`);
    let maxUtilization: number | null = null;
    let overloadSeconds = 0;
    let warm = false;
    // The highest load Prometheus saw before the steady rate, for the message when it never comes.
    let seen: number | undefined;
    sampler = (async () => {
      while (sampling) {
        cpu.sample();
        const snap = await s.snapshot().catch(() => undefined);
        const dcs = Object.values(snap?.services[LAB_SERVICE]?.datacenters ?? {});
        const total = dcs.reduce((a, r) => a + (r.load ?? 0), 0);
        if (dcs.length > 0 && dcs.every((r) => r.load !== undefined)) {
          seen = Math.max(seen ?? 0, total);
          if (total > options.rps * 0.7) warm = true;
        }
        const us = dcs.map((r) => r.utilization).filter((u): u is number => u !== undefined);
        if (us.length > 0) maxUtilization = Math.max(maxUtilization ?? 0, ...us);
        if (us.some((u) => u > 1)) overloadSeconds += 1;
        await sleep(1000);
      }
    })();
    // Generous: on a busy machine the load generator and Prometheus take a while to reach the steady rate.
    const warmBy = Date.now() + WARM_TIMEOUT_MS;
    while (!warm) {
      if (Date.now() > warmBy)
        throw new MaelstromError(
          'E_TIMEOUT',
          seen === undefined
            ? `Prometheus did not see the load within ${WARM_TIMEOUT_MS / 1000} s`
            : `the load reached ${Math.round(seen)} requests/s at most within ${WARM_TIMEOUT_MS / 1000} s, ` +
                `short of the ${options.rps} asked (70 % of it are needed to start): this machine has too little ` +
                `CPU free for that rate (try a lower --rps)`,
        );
      await guard(sleep(200));
    }
    const plans = [...s.definitions.plans.values()];
    const drainPlan = plans.find((p) => p.spec.direction === 'drain')!;
    const restorePlan = plans.find((p) => p.spec.direction === 'restore')!;
    const views: { plan: string; view?: RunView; error?: string; errorCode?: string }[] = [];
    const runPlan = async (name: string): Promise<RunView | undefined> => {
      log(`starting ${name}`);
      try {
        const view = await guard(s.run(name));
        views.push({ plan: name, view });
        log(`${name}: ${view.state}${view.reason ? ` — ${view.reason}` : ''}`);
        return view;
      } catch (e) {
        if (e instanceof MaelstromError && e.code === 'E_ABORTED') throw e;
        const err = toMaelstromError(e);
        views.push({ plan: name, error: err.message, errorCode: err.code });
        return undefined;
      }
    };
    if (options.link) {
      const [from, to] = [drainPlan.spec.datacenter, env.datacenters.find((d) => d !== drainPlan.spec.datacenter)!];
      replication = await guard(startReplicationStream({ from, to }));
      log(`replicating ${from} → ${to} across an emulated link (25 ms one way, 1 % loss)`);
    }
    const from = windowMark(load, cpu);
    const drained = await runPlan(drainPlan.metadata.name);
    if (drained?.state === 'succeeded') {
      log(`${drainPlan.spec.datacenter} drained; restoring in ${formatDuration(options.drainedSeconds * 1000)}`);
      await guard(sleep(options.drainedSeconds * 1000));
      await runPlan(restorePlan.metadata.name);
    }
    const window = { from, to: windowMark(load, cpu) };
    log(`load while the plans ran: ${rateBetween(window.from.load, window.to.load) ?? '-'} requests/s`);
    // Let the last requests finish before counting.
    await guard(sleep(1000));
    const result = await load.stop();
    load = undefined;
    const replicated = await replication?.stop();
    replication = undefined;
    sampling = false;
    await sampler;
    const report = buildReport({
      datacenters: env.datacenters,
      views,
      events: await s.events(),
      t0,
      at,
      result,
      window,
      rps: options.rps,
      maxUtilization,
      overloadSeconds,
      issues: s.issues,
      planOf: (n) => s.definitions.plans.get(n)!.spec,
      ...(s.kills ? { controllers: { count: controllers!.count, kills: s.kills } } : {}),
    });
    return replicated ? { ...report, replication: replicated } : report;
  } finally {
    await replication?.stop().catch(() => undefined);
    sampling = false;
    await load?.stop().catch(() => undefined);
    await sampler?.catch(() => undefined);
    await session?.close().catch(() => undefined);
    await env?.stop();
  }
}

export interface LabLoadWindow {
  readonly from: number;
  readonly to: number;
  readonly requests: number;
  readonly rps: number | null;
  /**
   * CPU seconds the lab spent meanwhile (this process and every one it started; Linux only, else null), and per
   * request: on a machine others share, what the lab needs, where the rate says what it got.
   */
  readonly cpuSeconds: number | null;
  /** The same by process: the lab's own (autocannon runs there), wrk, HAProxy, the services, Prometheus… */
  readonly cpuSecondsByProcess: Readonly<Record<LabPart, number>> | null;
  readonly cpuMicrosecondsPerRequest: number | null;
  /** The machine's 1-minute load average at the start and the end. */
  readonly loadAverage1m: readonly [number, number];
}

interface WindowMark {
  readonly load: LoadMark;
  readonly cpu: ReturnType<LabCpuTracker['mark']>;
  readonly loadAverage: number;
}

const windowMark = (load: LoadGenerator, cpu: LabCpuTracker): WindowMark => ({
  load: load.mark(),
  cpu: cpu.mark(),
  loadAverage: Math.round(loadavg()[0]! * 10) / 10,
});

interface ReportInput {
  readonly window?: { readonly from: WindowMark; readonly to: WindowMark };
  readonly views: readonly { plan: string; view?: RunView; error?: string; errorCode?: string }[];
  readonly events: readonly EngineEvent[];
  readonly t0: number;
  readonly at: (ms: number | undefined) => number | null;
  readonly result: LoadResult;
  readonly rps: number;
  readonly maxUtilization: number | null;
  readonly overloadSeconds: number;
  readonly issues: readonly { time: number; message: string }[];
  readonly planOf: (name: string) => {
    direction: 'drain' | 'restore';
    datacenter: string;
    pacing: { mode: string; targetUtilization: number };
  };
  readonly datacenters: readonly string[];
  readonly controllers?: { readonly count: number; readonly kills: readonly LabKill[] };
}

function loadWindow(from: WindowMark, to: WindowMark, at: (ms: number) => number | null): LabLoadWindow {
  const requests = to.load.responses - from.load.responses;
  const spent = from.cpu !== undefined && to.cpu !== undefined ? cpuBetween(from.cpu, to.cpu) : undefined;
  const cpu = spent ? Math.round(spent.total * 10) / 10 : null;
  return {
    from: at(from.load.atMs)!,
    to: at(to.load.atMs)!,
    requests,
    rps: rateBetween(from.load, to.load),
    cpuSeconds: cpu,
    cpuSecondsByProcess: spent?.byPart ?? null,
    cpuMicrosecondsPerRequest: cpu !== null && requests > 0 ? Math.round((cpu * 1e6) / requests) : null,
    loadAverage1m: [from.loadAverage, to.loadAverage],
  };
}

function buildReport(r: ReportInput): LabReport {
  const { at } = r;
  const plans = r.views.map(({ plan, view, error, errorCode }) => {
    const spec = r.planOf(plan);
    const started = view?.startedAt ?? view?.createdAt;
    const secs =
      view && started !== undefined && view.finishedAt !== undefined
        ? Math.round((view.finishedAt - started) / 100) / 10
        : null;
    // User-facing traffic is out when the edge step leaves nothing in the datacenter.
    const out =
      spec.direction === 'drain' && view
        ? r.events.find(
            (e): e is Extract<EngineEvent, { type: 'shift.step' }> =>
              e.type === 'shift.step' && e.runId === view.id && e.remaining <= 0.01,
          )
        : undefined;
    return {
      name: plan,
      runId: view?.id ?? null,
      outcome: view?.state ?? 'not-started',
      direction: spec.direction,
      datacenter: spec.datacenter,
      startedAt: at(started),
      finishedAt: at(view?.finishedAt),
      drainSeconds: view?.state === 'succeeded' ? secs : null,
      targetUtilization: spec.pacing.targetUtilization,
      criticalPath: view?.criticalPath ?? [],
      userFacingDrainSeconds: out && started !== undefined ? Math.round((out.time - started) / 100) / 10 : null,
      ...(error ? { error } : view?.reason && view.state !== 'succeeded' ? { error: view.reason } : {}),
      ...(errorCode ? { errorCode } : {}),
    };
  });
  const tasks = r.views.flatMap(({ plan, view }) =>
    (view?.tasks ?? []).map((t) => ({
      id: t.id,
      plan,
      service: t.service,
      after: t.after,
      state: t.state,
      startedAt: at(t.startedAt),
      finishedAt: at(t.finishedAt),
      steps: r.events
        .filter(
          (e): e is Extract<EngineEvent, { type: 'shift.step' }> =>
            e.type === 'shift.step' && e.runId === view!.id && e.taskId === t.id,
        )
        .map((e) => ({
          at: at(e.time)!,
          layer: e.layer,
          step: e.step,
          remaining: e.remaining,
          moved: e.moved,
          decision: e.decision,
          ...(e.reason ? { reason: e.reason } : {}),
        })),
    })),
  );
  const health = r.views.flatMap(({ plan, view }) =>
    r.events
      .filter(
        (e): e is Extract<EngineEvent, { type: 'health' }> =>
          e.type === 'health' && view !== undefined && e.runId === view.id,
      )
      .map((e) => ({
        at: at(e.time)!,
        plan,
        task: e.taskId,
        check: e.check,
        ok: e.ok,
        ...(e.detail ? { detail: e.detail } : {}),
      })),
  );
  const drainPlan = plans.find((p) => p.direction === 'drain');
  // With replicated controllers the lab proves a takeover: a drain whose leader was never killed proves nothing.
  const killed = r.controllers === undefined || r.controllers.kills.length > 0;
  const ok =
    plans.length === 2 && plans.every((p) => p.outcome === 'succeeded') && r.result.failedRequests === 0 && killed;
  return {
    version: 1,
    scenario: 'lab',
    start: new Date(r.t0).toISOString(),
    durationSeconds: at(Date.now())!,
    drainedDatacenter: drainPlan?.datacenter ?? null,
    receivers: r.datacenters.filter((d) => d !== drainPlan?.datacenter),
    pacing: r.views[0] ? r.planOf(r.views[0].plan).pacing.mode : 'closed-loop',
    backend: 'haproxy+prometheus',
    outcome: ok ? 'succeeded' : 'failed',
    plans,
    overloadSeconds: r.overloadSeconds,
    maxUtilization: r.maxUtilization === null ? null : Math.round(r.maxUtilization * 1000) / 1000,
    failedRequests: r.result.failedRequests,
    crossDatacenterRpcSeconds: 0,
    criticalPath: drainPlan?.criticalPath ?? [],
    health,
    tasks,
    load: {
      ...r.result,
      targetRps: r.rps,
      duringPlans: r.window ? loadWindow(r.window.from, r.window.to, at) : null,
    },
    ...(r.controllers ? { controllers: r.controllers } : {}),
    issues: r.issues.map((i) => ({ at: at(i.time)!, message: i.message })),
  };
}
