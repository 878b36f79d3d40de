/**
 * A controller process on a shared store, as `maelstrom serve` runs it: several replicas on one PostgreSQL store,
 * one leads (holds the lease and drives every run), the others stand by and take over when it stops renewing, is
 * seen dead, or hands the lease over. A replica serves the whole API whichever it is: reads from the store, and
 * writes refused by a standby with E_NOT_LEADER naming the leader (and where its API answers).
 *
 * - Every replica announces itself in the store every heartbeat (its datacenter, its URL, whether it leads), which is
 *   how a leader finds a healthy standby elsewhere and a standby names the leader.
 * - Before a plan drains the leader's own datacenter, the leader hands the lease to a healthy standby in another
 *   datacenter and leaves the start to it (as an operator request in the store, which the new leader applies first);
 *   with no such standby the start is refused (E_NO_STANDBY); an emergency start overrides this, its reason recorded.
 * - `onStatus` tells of every change (leading, standing by, held): what must run only on the leader (drain-test
 *   schedules, notifications) starts and stops with it.
 */
import { randomUUID } from 'node:crypto';
import { createEngine, type Engine } from '../engine/create-engine.js';
import type { Actor, Controller, OperatorCommand, RunView, StartOptions } from '../engine/controller.js';
import { DEFAULT_LEASE_TTL_MS, leaseHolderName, type HeldLease } from '../engine/lease.js';
import { recordRequest } from '../engine/requests.js';
import type { ControllerInfo, Health } from '../model/api.js';
import { MaelstromError, toMaelstromError } from '../model/errors.js';
import type { EngineEvent } from '../model/events.js';
import { compilePlan } from '../plan/index.js';
import { stageActions as libraryActions, stages as library } from '../stages/index.js';
import type { ControllerRecord, ControllerRegistry, RequestStore } from '../store/store.js';
import {
  controllerOnLease,
  drainsDatacenter,
  ownDatacenterError,
  takeLease,
  type ControllerOptions,
  type ControllerStore,
  type EngineController,
  type LeasePolicy,
} from './controller.js';

export type ReplicaState = 'starting' | 'leading' | 'standby' | 'held';

export interface ReplicaStatus {
  readonly state: ReplicaState;
  /** The epoch this replica leads under, or the leader's as last seen. */
  readonly epoch: number | null;
  /** The leader, when another replica leads and is known. */
  readonly leader?: ControllerInfo;
  readonly storeError?: string;
}

export interface ReplicaOptions extends Omit<ControllerOptions, 'lease' | 'store'> {
  readonly store: ControllerStore & ControllerRegistry & RequestStore;
  /** How the lease is waited for (always by standing by). */
  readonly lease?: Omit<LeasePolicy, 'whenHeld' | 'holder'>;
  /** Where this replica's API answers, as others should call it (settable later with setUrl()). */
  readonly url?: string;
  /** How often (wall-clock ms) it announces itself; by default a third of the lease's time to live (2 s). */
  readonly heartbeatMs?: number;
  /** How often (wall-clock ms) a standby relays the events other replicas commit; default 500. */
  readonly eventPollMs?: number;
  /** How long a start handed over with the lease may take to be applied by the new leader; default 30 s. */
  readonly handoverTimeoutMs?: number;
}

export interface Replica extends Controller {
  /** This replica, `host/pid/nonce` (its lease holder name). */
  readonly id: string;
  readonly datacenter: string | undefined;
  status(): ReplicaStatus;
  /** The answer of `/api/v1/health`. */
  health(): Health;
  isLeader(): boolean;
  /** Told at every change of state; returns the way to stop. */
  onStatus(listener: (status: ReplicaStatus) => void): () => void;
  /** The controller while this replica leads (or holds its runs while the store fails). */
  controller(): EngineController | undefined;
  setUrl(url: string): void;
  /** Resolves once the first attempt at the lease is decided (leading, or standing by). */
  ready(): Promise<void>;
  /** Begins: stands by or leads, and announces itself. */
  start(): void;
  /** Stops leading or standing by (the lease is given up), and withdraws from the registry. */
  close(): Promise<void>;
}

/** A standby silent for this many heartbeats is not healthy. */
const HEALTHY_HEARTBEATS = 3;
const EVENT_PAGE = 10_000;

function notLeader(id: string, datacenter: string | undefined, leader: ControllerInfo | undefined): MaelstromError {
  const here = `this controller (${id}${datacenter !== undefined ? `, ${datacenter}` : ''}) stands by`;
  const there = leader
    ? `the leader is ${leader.controller}${leader.datacenter !== undefined ? ` in ${leader.datacenter}` : ''}` +
      `${leader.url !== undefined ? `, whose API answers at ${leader.url}` : ''}: send the request there`
    : 'no leader is known yet (one takes over within seconds): try again shortly';
  return new MaelstromError('E_NOT_LEADER', `${here}; ${there}`, {
    retryable: leader === undefined,
    details: { leader: leader ?? null },
  });
}

/** `E_CODE: message` as the requests table keeps an outcome's error, back to the error. */
function requestError(text: string | undefined): MaelstromError {
  const m = /^([EW]_[A-Z_]+): ([\s\S]*)$/.exec(text ?? '');
  const code = m?.[1] as MaelstromError['code'] | undefined;
  return new MaelstromError(code ?? 'E_INTERNAL', m?.[2] ?? text ?? 'the start failed');
}

export function createReplica(options: ReplicaOptions): Replica {
  const { store, definitions } = options;
  const id = leaseHolderName();
  const ttl = options.lease?.ttlMs ?? DEFAULT_LEASE_TTL_MS;
  const heartbeatMs = options.heartbeatMs ?? ttl / 3;
  const startedAt = Date.now();
  const logger = options.logger ?? { info: () => undefined, warn: () => undefined };
  let url = options.url;
  let state: ReplicaState = 'starting';
  let current: EngineController | undefined;
  let leader: ControllerInfo | undefined;
  let leaderEpoch: number | null = null;
  let storeError: string | undefined;
  let closed = false;
  const stop = new AbortController();
  const statusListeners = new Set<(s: ReplicaStatus) => void>();
  const listeners = new Set<(e: EngineEvent) => void>();
  let lastSeq = 0;
  let readyResolve!: () => void;
  const readyPromise = new Promise<void>((resolve) => {
    readyResolve = resolve;
  });

  // Reads of a standby come from the store through an engine that is never started.
  const reader: Engine = createEngine({
    definitions,
    backend: options.backend,
    store,
    clock: options.clock ?? options.backend.clock,
    stages: options.stages ?? library,
    stageActions: options.stageActions ?? libraryActions,
    compile: options.compile ?? compilePlan,
  });

  const status = (): ReplicaStatus => ({
    state,
    epoch: current ? current.epoch : leaderEpoch,
    ...(leader && state !== 'leading' && state !== 'held' ? { leader } : {}),
    ...(storeError !== undefined ? { storeError } : {}),
  });
  const setState = (next: ReplicaState): void => {
    if (next === state) return;
    state = next;
    if (next !== 'starting') readyResolve();
    const s = status();
    for (const l of statusListeners) {
      try {
        l(s);
      } catch (e) {
        logger.warn(`status listener: ${toMaelstromError(e).message}`);
      }
    }
  };
  const publish = (events: readonly EngineEvent[]): void => {
    for (const e of events) {
      if (e.seq !== undefined) {
        if (e.seq <= lastSeq) continue;
        lastSeq = e.seq;
      }
      for (const l of listeners) {
        try {
          l(e);
        } catch (err) {
          logger.warn(`event listener: ${toMaelstromError(err).message}`);
        }
      }
    }
  };

  const record = (): ControllerRecord => ({
    id,
    ...(options.datacenter !== undefined ? { datacenter: options.datacenter } : {}),
    ...(url !== undefined ? { url } : {}),
    role: state === 'leading' ? 'leader' : state === 'held' ? 'held' : 'standby',
    ...(current ? { epoch: current.epoch } : {}),
    startedAt,
    seenAt: Date.now(),
  });

  /** Announces itself; a standby also looks up who leads. */
  const heartbeat = async (): Promise<void> => {
    try {
      await store.announceController(record());
      if (state !== 'leading' && state !== 'held') {
        const lease = await store.getLease('controller');
        const known = lease ? (await store.listControllers()).find((c) => c.id === lease.holder) : undefined;
        const running = lease !== undefined && lease.expiresAt > Date.now() && lease.holder !== id;
        leader = running
          ? {
              controller: lease.holder,
              ...(known?.datacenter !== undefined ? { datacenter: known.datacenter } : {}),
              ...(known?.url !== undefined ? { url: known.url } : {}),
            }
          : undefined;
        leaderEpoch = lease?.epoch ?? null;
      }
      if (state !== 'held') storeError = undefined;
    } catch (e) {
      storeError = toMaelstromError(e).message;
    }
  };

  /** A standby relays the events the leader commits, so that a dashboard on any replica is live. */
  const relay = async (): Promise<void> => {
    if (state === 'leading' || state === 'held') return;
    try {
      for (;;) {
        const page = await store.listEvents({ afterSeq: lastSeq, limit: EVENT_PAGE });
        publish(page);
        if (page.length < EVENT_PAGE) break;
      }
    } catch {
      /* the store fails: the heartbeat says so */
    }
  };

  const timers: ReturnType<typeof setInterval>[] = [];

  /** Takes the lease when it can, leads until it is lost, and stands by again; until closed. */
  const loop = async (): Promise<void> => {
    let backoff = 250;
    while (!closed) {
      let lease: HeldLease;
      try {
        lease = await takeLease(store, {
          ...options.lease,
          holder: id,
          whenHeld: 'wait',
          signal: stop.signal,
          onStandby: (holder, expiresAt) => {
            leader = { controller: holder };
            setState('standby');
            options.lease?.onStandby?.(holder, expiresAt);
            void heartbeat();
          },
        });
      } catch (e) {
        if (closed) return;
        // The store fails: stand by, and try again with a back-off.
        storeError = toMaelstromError(e).message;
        setState('standby');
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, 5_000);
        continue;
      }
      backoff = 250;
      if (closed) {
        await lease.release();
        return;
      }
      const controller = controllerOnLease(lease, { ...options, lease: { ...options.lease, holder: id } });
      current = controller;
      leader = undefined;
      const offState = controller.onStateChange((s) => {
        if (s === 'held') {
          storeError = controller.storeError;
          setState('held');
        } else if (s === 'leading') {
          storeError = undefined;
          setState('leading');
        }
      });
      const offEvents = controller.subscribe((e) => publish([e]));
      setState('leading');
      void heartbeat();
      logger.info(`leading the store (epoch ${controller.epoch})`);
      try {
        const [saved] = await store.fenced(lease.fence, { check: options.unfenced !== true }).appendEvents([
          {
            type: 'controller',
            change: 'leading',
            time: (options.clock ?? options.backend.clock).now(),
            controller: id,
            epoch: controller.epoch,
            ...(options.datacenter !== undefined ? { datacenter: options.datacenter } : {}),
          },
        ]);
        if (saved) publish([saved]);
        await controller.start();
      } catch (e) {
        logger.warn(`taking the lead: ${toMaelstromError(e).message}`);
      }
      const reason = await Promise.race([
        controller.lost,
        new Promise<undefined>((resolve) => stop.signal.addEventListener('abort', () => resolve(undefined))),
      ]);
      offState();
      offEvents();
      if (reason === undefined) return; // closing: close() gives the lease up
      await controller.close();
      current = undefined;
      logger.warn(`stopped acting: ${reason}; standing by`);
      setState('standby');
      void heartbeat();
    }
  };

  const healthyStandbyElsewhere = async (datacenter: string): Promise<ControllerRecord | undefined> => {
    const seen = await store.listControllers({ seenSince: Date.now() - HEALTHY_HEARTBEATS * heartbeatMs });
    return seen
      .filter((c) => c.id !== id && c.role === 'standby' && c.datacenter !== undefined && c.datacenter !== datacenter)
      .sort((a, b) => b.seenAt - a.seenAt)[0];
  };

  /** A drain of this leader's own datacenter: the lease goes to a standby elsewhere, which starts the run. */
  const handOverAndStart = async (
    controller: EngineController,
    plan: string,
    datacenter: string,
    actor: Actor,
  ): Promise<RunView> => {
    const target = await healthyStandbyElsewhere(datacenter);
    if (!target)
      throw ownDatacenterError(
        await controller.preview(plan),
        id,
        `No healthy standby runs outside ${datacenter} to hand the lease to: start \`maelstrom serve --datacenter ` +
          `<another>\` on this store, or start the plan as an emergency with a reason.`,
      );
    const runId = `run-${randomUUID().slice(0, 8)}`;
    // Stop acting first, then leave the start to the new leader: this controller applies no request any more.
    if (!(await controller.handOver(target.id)))
      throw new MaelstromError('E_FENCED', `the lease was no longer ${id}'s to hand to ${target.id}`);
    const requestId = await recordRequest(store, actor, { kind: 'start', plan, runId }, Date.now());
    const deadline = Date.now() + (options.handoverTimeoutMs ?? 30_000);
    while (Date.now() < deadline) {
      const r = await store.getRequest(requestId);
      if (r?.appliedAt !== undefined) {
        if (r.outcome !== 'ok') throw requestError(r.error);
        return reader.getRun(runId);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new MaelstromError(
      'E_TIMEOUT',
      `the lease went to ${target.id} (${target.datacenter ?? '?'}), which has not started plan "${plan}" yet ` +
        `(request ${requestId}): it will when it takes over`,
      { retryable: true },
    );
  };

  const leading = (): EngineController => {
    if (current && (state === 'leading' || state === 'held')) return current;
    throw notLeader(id, options.datacenter, leader);
  };
  const reading = (): Controller => current ?? reader;

  return {
    id,
    datacenter: options.datacenter,
    status,
    health: () => {
      const s = status();
      return {
        ok: s.state !== 'held' && s.storeError === undefined,
        leader: s.state === 'leading' || s.state === 'held',
        controller: id,
        epoch: s.epoch,
        state: s.state,
        ...(options.datacenter !== undefined ? { datacenter: options.datacenter } : {}),
        ...(s.leader ? { leaderInfo: s.leader } : {}),
        ...(s.storeError !== undefined ? { storeError: s.storeError } : {}),
      };
    },
    isLeader: () => state === 'leading',
    onStatus: (listener) => {
      statusListeners.add(listener);
      return () => {
        statusListeners.delete(listener);
      };
    },
    controller: () => current,
    setUrl: (u) => {
      url = u;
      void heartbeat();
    },
    ready: () => readyPromise,
    start: () => {
      timers.push(
        setInterval(() => {
          void heartbeat();
        }, heartbeatMs),
        setInterval(() => {
          void relay();
        }, options.eventPollMs ?? 500),
      );
      for (const t of timers) t.unref();
      // Live events start from now: a client catches up on older ones from the store.
      void (async () => {
        try {
          for (;;) {
            const page = await store.listEvents({ afterSeq: lastSeq, limit: EVENT_PAGE });
            lastSeq = Math.max(lastSeq, ...page.map((e) => e.seq ?? 0));
            if (page.length < EVENT_PAGE) break;
          }
        } catch {
          /* the store fails: the loop says so */
        }
        await loop();
      })().catch((e: unknown) => {
        logger.warn(`replica: ${toMaelstromError(e).message}`);
      });
    },
    close: async () => {
      closed = true;
      stop.abort();
      for (const t of timers) clearInterval(t);
      readyResolve();
      const c = current;
      current = undefined;
      await c?.close();
      await store.removeController(id).catch(() => undefined);
    },

    startRun: async (plan: string, actor: Actor, startOptions: StartOptions = {}) => {
      const controller = leading();
      if (startOptions.emergency === undefined && options.datacenter !== undefined) {
        const compiled = await controller.preview(plan);
        if (drainsDatacenter(compiled, options.datacenter))
          return handOverAndStart(controller, plan, options.datacenter, actor);
      }
      return controller.startRun(plan, actor, startOptions);
    },
    preview: (plan) => reading().preview(plan),
    getRun: (runId) => reading().getRun(runId),
    listRuns: (o) => reading().listRuns(o),
    proposeRun: (plan, request, actor) => leading().proposeRun(plan, request, actor),
    recordAlerts: (runId, alerts) => leading().recordAlerts(runId, alerts),
    command: (runId: string, cmd: OperatorCommand, actor: Actor) => leading().command(runId, cmd, actor),
    halt: (actor, reason) => leading().halt(actor, reason),
    subscribe: (listener) => {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    events: (o) => reading().events(o),
  };
}
