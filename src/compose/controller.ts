/**
 * The composition root of a controller: the one place that builds one, for `maelstrom run`, `serve` and `demo`, the
 * drills of `drain-test` and the benchmarks, the lab and the tests. Around the engine it
 *
 * - chooses what the engine is handed: the stage library and the plan compiler, unless the caller gives its own;
 * - takes the store's controller lease before anything is driven, so that one controller at a time acts on a store
 *   whoever builds it: when another holds it, it refuses (naming the holder), waits for a dead holder's lease to run
 *   out (saying so), or stands by until the holder stops; a lease lost to another controller later stops it at once;
 * - fences the engine: its store is the view whose every write checks the lease epoch in the same transaction, and
 *   every backend action first confirms the lease (at once while it surely stands, by asking the store after a
 *   freeze) and carries the epoch, so a controller that froze past its lease commits and sends nothing;
 * - holds the runs when the store fails (it is restarting, read-only, full): driving stops where it is, as after a
 *   crash, nothing is sent (every action follows a committed change), and with a back-off it tries the store again,
 *   retaking the lease if it ran out meanwhile and no other controller took it, then resumes every run from the store;
 * - refuses a drain of its own datacenter (`datacenter`) unless it is an emergency, with the reason recorded;
 * - makes a virtual clock wait for every call of a store that answers over the network (`clockTracked`);
 * - applies the operator requests other processes record in the store, every `requestPollMs`.
 */
import type { ActOptions, Backend } from '../backends/backend.js';
import {
  createEngine,
  type Engine,
  type EngineStore,
  type PlanCompiler,
  type StageActions,
} from '../engine/create-engine.js';
import type { StartOptions } from '../engine/controller.js';
import {
  CONTROLLER_LEASE,
  DEFAULT_LEASE_TTL_MS,
  leaseHeldError,
  leaseHolderName,
  tryAcquireLease,
  type HeldLease,
  type LeaseOptions,
} from '../engine/lease.js';
import type { EngineOptions, Logger } from '../engine/runtime.js';
import type { Clock } from '../model/clock.js';
import type { CompiledPlan } from '../model/compiled.js';
import type { Definitions } from '../model/definitions.js';
import { MaelstromError, toMaelstromError } from '../model/errors.js';
import type { EngineEvent } from '../model/events.js';
import { isTerminalRun } from '../model/states.js';
import { VirtualClock } from '../model/virtual-clock.js';
import type { Pacer } from '../pacing/pacer.js';
import { compilePlan } from '../plan/index.js';
import { stageActions as libraryActions, stages as library, watchers as libraryWatchers } from '../stages/index.js';
import type { StageLibrary, WatchLibrary } from '../stages/stage.js';
import { clockTracked } from '../store/clock-tracked.js';
import { fenceHolds, fencedError } from '../store/lease-rule.js';
import type { Fence, LeaseStore, Store } from '../store/store.js';

/** What a controller keeps in its store: what the engine needs, and the lease; `fenced` gives the engine's view. */
export type ControllerStore = EngineStore & LeaseStore & Pick<Store, 'inProcess' | 'fenced'>;

/** How the store's lease is taken. */
export interface LeasePolicy extends Omit<LeaseOptions, 'store'> {
  /**
   * When another controller holds the lease: `refuse` (the default) fails with E_INVALID_STATE naming it, as
   * `maelstrom run` does, unless the holder stopped renewing (it is dead, or frozen), whose lease it waits out,
   * saying so (`onWaitForStale`); `wait` stands by until it stops or its lease runs out, as `maelstrom serve` does.
   */
  readonly whenHeld?: 'refuse' | 'wait';
  /** Stops standing by: createController then fails with E_ABORTED. */
  readonly signal?: AbortSignal;
  /** Told when standing by, once for each holder seen. */
  readonly onStandby?: (holder: string, expiresAt: number) => void;
  /** Told when `refuse` waits for the lease of a holder that stopped renewing, once for each holder. */
  readonly onWaitForStale?: (holder: string, expiresAt: number) => void;
  /** Told when the lease is taken after standing by. */
  readonly onTakeover?: (previous: string) => void;
  /** How often (wall-clock ms) a standby tries again; by default a twelfth of the lease's time to live (0.5 s). */
  readonly retryMs?: number;
}

export interface ControllerOptions {
  readonly definitions: Definitions;
  readonly backend: Backend;
  readonly store: ControllerStore;
  /** The time the engine lives in; by default the backend's clock (virtual for the in-process simulator). */
  readonly clock?: Clock;
  /** By default the stage library of src/stages; tests and drills substitute or wrap stages. */
  readonly stages?: StageLibrary;
  /** By default the stage library's watchers (what keeps a finished self-regulating shift regulated). */
  readonly watchers?: WatchLibrary;
  /** The backend actions each stage may send; by default those of the stage library. */
  readonly stageActions?: StageActions;
  /** By default the plan compiler; a drill compiles variants (another pacing mode, no order between services). */
  readonly compile?: PlanCompiler;
  readonly lease?: LeasePolicy;
  /**
   * How often (wall-clock ms) operator requests recorded by other processes are applied once started; default 500.
   * `false`: only when pollRequests() is called (a store no other process can reach, a test).
   */
  readonly requestPollMs?: number | false;
  readonly idGenerator?: () => string;
  readonly logger?: Logger;
  readonly pacer?: Pacer;
  readonly engine?: Partial<EngineOptions>;
  /**
   * The datacenter this controller runs in. A drain of it is refused (E_NO_STANDBY) unless started as an emergency:
   * a controller inside the datacenter it drains is a liability (`maelstrom serve` hands its lease to a standby
   * elsewhere instead).
   */
  readonly datacenter?: string;
  /**
   * Test only: commits without the store's epoch check (the epoch is still recorded on events) and actions without
   * confirming the lease first. The HA test runs with it to show that its checks catch a fenced-off controller.
   */
  readonly unfenced?: boolean;
  /** The first back-off (wall-clock ms) of a controller whose store fails; it doubles up to 5 s. Default 250. */
  readonly storeRetryMs?: number;
}

/** `leading`: driving; `held`: the store fails, nothing is driven until it answers; `closed`: done for good. */
export type ControllerState = 'leading' | 'held' | 'closed';

/** A controller: the engine, holding its store's lease. */
export interface EngineController extends Engine {
  /** Who holds the lease: this controller, as `host/pid/nonce`. */
  readonly holder: string;
  /** The lease epoch it drives under (larger after it retook the lease when the store came back). */
  readonly epoch: number;
  readonly state: ControllerState;
  /** The store's error while held. */
  readonly storeError: string | undefined;
  /**
   * Resolves, with the reason, if the lease is lost (another controller took the store over, a write or action
   * was refused as fenced, or the lease was handed over): the controller has then stopped driving. Never resolves
   * otherwise.
   */
  readonly lost: Promise<string>;
  /** Told at every change of state. */
  onStateChange(listener: (state: ControllerState) => void): () => void;
  /** Stops driving, then hands the lease to the standby `to` (which alone may take it before it runs out). */
  handOver(to: string): Promise<boolean>;
  /** Stops driving and polling, and gives the lease up; the store keeps everything. Safe to call more than once. */
  close(): Promise<void>;
}

export const DEFAULT_REQUEST_POLL_MS = 500;
const MAX_STORE_RETRY_MS = 5_000;

const silent: Logger = { info: () => undefined, warn: () => undefined };

function abortedWhileStandingBy(): MaelstromError {
  return new MaelstromError('E_ABORTED', 'stopped while standing by for the store');
}

function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Takes the lease as the policy says: at once, by waiting out a dead holder, or by standing by until it is free. */
export async function takeLease(store: LeaseStore, policy: LeasePolicy): Promise<HeldLease> {
  const { whenHeld = 'refuse', signal, onStandby, onWaitForStale, onTakeover, retryMs, ...options } = policy;
  const holder = options.holder ?? leaseHolderName();
  let shown: string | undefined;
  for (;;) {
    if (signal?.aborted) throw abortedWhileStandingBy();
    const attempt = await tryAcquireLease({ ...options, store, holder });
    if (attempt.ok) {
      if (shown !== undefined) onTakeover?.(shown);
      return attempt.lease;
    }
    if (whenHeld === 'refuse') {
      // A holder that stopped renewing is dead or frozen: its lease is waited out rather than refused.
      if (!attempt.stale) throw leaseHeldError(attempt);
      if (shown !== attempt.holder) onWaitForStale?.(attempt.holder, attempt.expiresAt);
    } else if (shown !== attempt.holder) onStandby?.(attempt.holder, attempt.expiresAt);
    shown = attempt.holder;
    await pause(retryMs ?? (options.ttlMs ?? DEFAULT_LEASE_TTL_MS) / 12, signal);
  }
}

/** The refusal of a drain of the datacenter the controller runs in. */
export function ownDatacenterError(compiled: CompiledPlan, holder: string, remedy: string): MaelstromError {
  return new MaelstromError(
    'E_NO_STANDBY',
    `plan "${compiled.plan}" drains ${compiled.datacenter}, where this controller (${holder}) runs: a controller ` +
      `inside the datacenter it drains may go down with it. ${remedy}`,
    { details: { plan: compiled.plan, datacenter: compiled.datacenter, controller: holder } },
  );
}

/** Whether the plan drains the datacenter `datacenter`. */
export function drainsDatacenter(compiled: CompiledPlan, datacenter: string | undefined): boolean {
  return datacenter !== undefined && compiled.direction === 'drain' && compiled.datacenter === datacenter;
}

/** Asks the store whether `fence` still holds: the check a backend that keeps no epoch makes before each command. */
export function leaseCheck(store: LeaseStore, fence: Fence): () => Promise<void> {
  return async () => {
    const current = await store.getLease(fence.lease);
    if (!fenceHolds(fence, current)) throw fencedError(fence, current);
  };
}

/**
 * The backend as a fenced controller sends to it: every action first confirms the lease and then carries its epoch
 * (and the store check, for a backend that keeps no epoch); an action refused as fenced marks the lease lost.
 */
function fencedBackend(backend: Backend, current: () => HeldLease, store: LeaseStore, unfenced: boolean): Backend {
  const act: Backend['act'] = async (action, o) => {
    const lease = current();
    if (!unfenced) await lease.ensure();
    const options: ActOptions = {
      ...o,
      epoch: lease.epoch,
      ...(unfenced ? {} : { checkLease: leaseCheck(store, lease.fence) }),
    };
    try {
      return await backend.act(action, options);
    } catch (e) {
      if (e instanceof MaelstromError && e.code === 'E_FENCED') lease.lose(e.message);
      throw e;
    }
  };
  return {
    name: backend.name,
    clock: backend.clock,
    // A getter: the remote simulator learns what it supports at init.
    get supports() {
      return backend.supports;
    },
    init: (o) => backend.init(o),
    close: () => backend.close(),
    snapshot: (o) => backend.snapshot(o),
    weights: (layer, service, o) => backend.weights(layer, service, o),
    baselineWeights: (layer, service, o) => backend.baselineWeights(layer, service, o),
    act,
    ...(backend.oracle ? { oracle: backend.oracle } : {}),
  };
}

/** A store view whose failing calls are reported: a fenced write loses the lease, a failing store holds the runs. */
function watched<S extends object>(store: S, onError: (e: MaelstromError) => void): S {
  return new Proxy(store, {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]): unknown => {
        const result: unknown = Reflect.apply(value, target, args);
        if (!(result instanceof Promise)) return result;
        return result.catch((e: unknown) => {
          onError(toMaelstromError(e));
          throw e;
        });
      };
    },
  });
}

/**
 * Builds a controller over the definitions, backend and store: takes the store's lease first (see `LeasePolicy`),
 * then wires the engine. Nothing is driven until start() (which resumes the store's unfinished runs and begins
 * applying requests) or startRun(). The caller owns the backend and the store: it initialises and closes them.
 */
export async function createController(options: ControllerOptions): Promise<EngineController> {
  const lease = await takeLease(options.store, options.lease ?? {});
  return controllerOnLease(lease, options);
}

/** A controller over a lease already taken (`createController` takes it first; a standby takes it when it can). */
export function controllerOnLease(first: HeldLease, options: ControllerOptions): EngineController {
  const { definitions, backend, store } = options;
  const clock = options.clock ?? backend.clock;
  const logger = options.logger ?? silent;
  const unfenced = options.unfenced === true;
  const holder = first.holder;
  const track = <S extends object>(s: S): S =>
    // Under virtual time, time must not run ahead while a query is out (the lease lives in wall-clock time).
    clock instanceof VirtualClock && store.inProcess !== true ? clockTracked<S>(s, clock) : s;

  let lease = first;
  let state: ControllerState = 'leading';
  /** The state as it is now (read through a call: awaits change it behind the compiler's back). */
  const stateNow = (): ControllerState => state;
  let storeError: string | undefined;
  const listeners = new Set<(e: EngineEvent) => void>();
  const stateListeners = new Set<(s: ControllerState) => void>();
  /** Events decided while the store failed: published at once, stored as soon as it answers (none is lost). */
  const unstored: EngineEvent[] = [];
  let markLost!: (reason: string) => void;
  const lost = new Promise<string>((resolve) => {
    markLost = resolve;
  });
  const publish = (events: readonly EngineEvent[]): void => {
    for (const e of events)
      for (const l of listeners) {
        try {
          l(e);
        } catch (err) {
          logger.warn(`event listener: ${toMaelstromError(err).message}`);
        }
      }
  };
  const setState = (next: ControllerState): void => {
    if (state === next) return;
    state = next;
    for (const l of stateListeners) l(next);
  };

  const placement = (compiled: CompiledPlan, start: StartOptions): void => {
    if (!drainsDatacenter(compiled, options.datacenter) || start.emergency !== undefined) return;
    throw ownDatacenterError(
      compiled,
      holder,
      'Start it from a controller in another datacenter (`maelstrom serve --datacenter …` on this store hands the ' +
        'lease to one), or start it here as an emergency with a reason (`--emergency REASON`).',
    );
  };

  const onStoreError = (e: MaelstromError): void => {
    if (e.code === 'E_FENCED') lease.lose(e.message);
    else if (e.code === 'E_STORE' && e.retryable) hold(e);
  };
  const fencedStore = (): EngineStore =>
    watched<EngineStore>(store.fenced(lease.fence, { check: !unfenced }), onStoreError);
  const fencedActs = fencedBackend(backend, () => lease, store, unfenced);
  const build = (s: EngineStore): Engine => {
    const built = createEngine({
      definitions,
      backend: fencedActs,
      store: track(s),
      clock,
      stages: options.stages ?? library,
      watchers: options.watchers ?? libraryWatchers,
      stageActions: options.stageActions ?? libraryActions,
      compile: options.compile ?? compilePlan,
      logger,
      beforeStart: placement,
      ...(options.idGenerator ? { idGenerator: options.idGenerator } : {}),
      ...(options.pacer ? { pacer: options.pacer } : {}),
      ...(options.engine ? { engine: options.engine } : {}),
    });
    built.subscribe((e) => publish([e]));
    return built;
  };
  let writes = fencedStore();
  let engine = build(writes);
  // Reads while the runs are held (or after the end) come from the store as it is, through an engine never started.
  const reader = build(track(store));

  const pollMs = options.requestPollMs ?? DEFAULT_REQUEST_POLL_MS;
  let started = false;
  let polling: ReturnType<typeof setInterval> | undefined;
  const startPolling = (): void => {
    if (pollMs === false || polling !== undefined || state !== 'leading') return;
    polling = setInterval(() => {
      if (state !== 'leading') return;
      engine.pollRequests().catch((e: unknown) => {
        logger.warn(`operator requests: ${toMaelstromError(e).message}`);
      });
    }, pollMs);
    polling.unref();
  };
  const stopPolling = (): void => {
    if (polling !== undefined) clearInterval(polling);
    polling = undefined;
  };
  const recovery = new AbortController();
  /** The lease is no longer this controller's to give up (another took it, or it was handed over). */
  let gone = false;
  let closing: Promise<void> | undefined;
  let stopping: Promise<void> = Promise.resolve();

  /** Ends for good: the lease went to another controller (or was handed over). */
  const finish = (reason: string): void => {
    if (state === 'closed') return;
    logger.warn(`stopped acting: ${reason}`);
    gone = true;
    setState('closed');
    stopPolling();
    recovery.abort();
    stopping = engine.close();
    markLost(reason);
  };

  const watchLease = (l: HeldLease): void => {
    // A renewal the store refused is the first sign of its failure, even before the engine writes.
    l.onRenewError((e) => {
      if (l === lease && e.code === 'E_STORE') hold(e);
    });
    void l.lost.then((reason) => {
      if (l !== lease || state === 'closed') return;
      // Not renewed in time because the store failed: no other controller need have it; hold and try to retake it.
      if (l.lostKind === 'unrenewed') hold(new MaelstromError('E_STORE', reason, { retryable: true }));
      else finish(reason);
    });
  };
  watchLease(first);

  /** Stores the events decided while the store failed; a hold with the error that lasted, when not the first. */
  const storeLater = async (): Promise<void> => {
    if (unstored.length === 0) return;
    const last = storeError;
    await writes.appendEvents(
      unstored.map((e) =>
        e.type === 'controller' && e.change === 'held' && last !== undefined && e.detail !== last
          ? { ...e, detail: `${e.detail ?? ''}; then ${last}` }
          : e,
      ),
    );
    unstored.length = 0;
  };

  /** Stops driving where it is and keeps trying the store, with a back-off, until it answers again. */
  function hold(e: MaelstromError): void {
    if (state !== 'leading') {
      if (state === 'held') storeError = e.message;
      return;
    }
    storeError = e.message;
    const runs = engine.activeRunIds();
    const event: EngineEvent = {
      type: 'controller',
      change: 'held',
      time: clock.now(),
      controller: holder,
      epoch: lease.epoch,
      runs,
      detail: e.message,
    };
    unstored.push(event);
    publish([event]);
    logger.warn(`holding ${runs.length} run(s): ${e.message}`);
    setState('held');
    stopPolling();
    const closed = engine.close();
    stopping = closed;
    void recover(closed, runs);
  }

  async function recover(closed: Promise<void>, runs: readonly string[]): Promise<void> {
    await closed.catch(() => undefined);
    let delay = options.storeRetryMs ?? 250;
    while (state === 'held') {
      await pause(delay, recovery.signal);
      if (state !== 'held') return;
      try {
        if (lease.isLost) {
          // The lease ran out while the store failed: take it again, unless another controller did.
          const attempt = await tryAcquireLease({ ...options.lease, store, holder });
          if (!attempt.ok) {
            finish(`the store's lease went to ${attempt.holder} while the store failed`);
            return;
          }
          lease = attempt.lease;
          watchLease(lease);
          writes = fencedStore();
        }
        // A fenced write: it proves the store takes writes again, under this controller's epoch.
        await storeLater();
        if (stateNow() !== 'held') return;
        engine = build(writes);
        storeError = undefined;
        setState('leading');
        if (started) {
          await engine.start();
          startPolling();
        }
        const resumed: EngineEvent = {
          type: 'controller',
          change: 'resumed',
          time: clock.now(),
          controller: holder,
          epoch: lease.epoch,
          runs,
        };
        publish(await writes.appendEvents([resumed]));
        logger.warn(`the store answers again: resumed ${runs.length} run(s)`);
        return;
      } catch (e) {
        const err = toMaelstromError(e);
        if (err.code === 'E_FENCED') {
          finish(err.message);
          return;
        }
        if (stateNow() === 'leading') return; // held again by the failure itself: that hold carries on
        storeError = err.message;
        delay = Math.min(delay * 2, MAX_STORE_RETRY_MS);
      }
    }
  }

  /** The engine a write goes to: the driving one, or a refusal that says why not. */
  const driving = (): Engine => {
    if (state === 'leading') return engine;
    if (state === 'held')
      throw new MaelstromError(
        'E_STORE',
        `the runs are held while the store fails (${storeError ?? 'unknown error'}); try again once it answers`,
        { retryable: true },
      );
    throw new MaelstromError('E_INVALID_STATE', `this controller (${holder}) no longer drives the store`);
  };
  const reading = (): Engine => (state === 'leading' ? engine : reader);
  const untilLeadingOrClosed = (): Promise<void> =>
    new Promise<void>((resolve) => {
      if (state !== 'held') {
        resolve();
        return;
      }
      const off = (): void => {
        stateListeners.delete(check);
        resolve();
      };
      const check = (s: ControllerState): void => {
        if (s !== 'held') off();
      };
      stateListeners.add(check);
    });

  const close = (): Promise<void> =>
    (closing ??= (async () => {
      setState('closed');
      stopPolling();
      recovery.abort();
      try {
        await stopping.catch(() => undefined);
        await engine.close();
      } finally {
        if (!gone) await lease.release();
      }
    })());

  return {
    get holder() {
      return holder;
    },
    get epoch() {
      return lease.epoch;
    },
    get state() {
      return state;
    },
    get storeError() {
      return storeError;
    },
    lost,
    onStateChange: (listener) => {
      stateListeners.add(listener);
      return () => {
        stateListeners.delete(listener);
      };
    },
    startRun: (plan, actor, startOptions) => driving().startRun(plan, actor, startOptions),
    preview: (plan) => reading().preview(plan),
    getRun: (id) => reading().getRun(id),
    listRuns: (o) => reading().listRuns(o),
    proposeRun: (plan, request, actor) => driving().proposeRun(plan, request, actor),
    recordAlerts: (runId, alerts) => driving().recordAlerts(runId, alerts),
    command: (runId, cmd, actor) => driving().command(runId, cmd, actor),
    halt: (actor, reason) => driving().halt(actor, reason),
    subscribe: (listener) => {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    events: (o) => reading().events(o),
    start: async () => {
      started = true;
      if (state !== 'leading') return;
      await engine.start();
      startPolling();
    },
    pollRequests: () => (state === 'leading' ? engine.pollRequests() : Promise.resolve(0)),
    activeRunIds: () => (state === 'leading' ? engine.activeRunIds() : []),
    wait: async (runId) => {
      for (;;) {
        const current = engine;
        try {
          const view = await current.wait(runId);
          if (isTerminalRun(view.state) || state === 'closed' || (state === 'leading' && current === engine))
            return view;
        } catch (e) {
          if (state !== 'held') throw e;
        }
        // Held while it waited: once the store answers, the new engine drives the run from the store.
        await untilLeadingOrClosed();
        if (stateNow() === 'closed') return reader.getRun(runId);
      }
    },
    handOver: async (to) => {
      if (state === 'closed') return false;
      const event: EngineEvent = {
        type: 'controller',
        change: 'handover',
        time: clock.now(),
        controller: holder,
        epoch: lease.epoch,
        to,
        ...(options.datacenter !== undefined ? { datacenter: options.datacenter } : {}),
      };
      publish(await writes.appendEvents([event]));
      gone = true;
      setState('closed');
      stopPolling();
      recovery.abort();
      // Stop acting before the lease moves: the next holder must not find this one still sending.
      await engine.close();
      const handed = await lease.handOver(to);
      markLost(`handed the lease to ${to}`);
      return handed;
    },
    close,
  };
}

export { CONTROLLER_LEASE };
