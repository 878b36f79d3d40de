/**
 * The composition root of a controller: the one place that builds one, for `maelstrom run`, `serve` and `demo`, the
 * drills of `drain-test` and the benchmarks, the lab and the tests. Around the engine it
 *
 * - chooses what the engine is handed: the stage library and the plan compiler, unless the caller gives its own;
 * - takes the store's controller lease before anything is driven, so that one controller at a time acts on a store
 *   whoever builds it: when another holds it, it refuses (naming the holder) or stands by until that one stops;
 *   a lease lost later stops the controller at once;
 * - makes a virtual clock wait for every call of a store that answers over the network (`clockTracked`);
 * - applies the operator requests other processes record in the store, every `requestPollMs`.
 */
import type { Backend } from '../backends/backend.js';
import {
  createEngine,
  type Engine,
  type EngineStore,
  type PlanCompiler,
  type StageActions,
} from '../engine/create-engine.js';
import {
  DEFAULT_LEASE_TTL_MS,
  leaseHeldError,
  leaseHolderName,
  tryAcquireLease,
  type HeldLease,
  type LeaseOptions,
} from '../engine/lease.js';
import type { EngineOptions, Logger } from '../engine/runtime.js';
import type { Clock } from '../model/clock.js';
import type { Definitions } from '../model/definitions.js';
import { MaelstromError, toMaelstromError } from '../model/errors.js';
import { VirtualClock } from '../model/virtual-clock.js';
import type { Pacer } from '../pacing/pacer.js';
import { compilePlan } from '../plan/index.js';
import { stageActions as libraryActions, stages as library, watchers as libraryWatchers } from '../stages/index.js';
import type { StageLibrary, WatchLibrary } from '../stages/stage.js';
import { clockTracked } from '../store/clock-tracked.js';
import type { LeaseStore, Store } from '../store/store.js';

/** What a controller keeps in its store: what the engine needs, and the lease. */
export type ControllerStore = EngineStore & LeaseStore & Pick<Store, 'inProcess'>;

/** How the store's lease is taken. */
export interface LeasePolicy extends Omit<LeaseOptions, 'store'> {
  /**
   * When another controller holds the lease: `refuse` (the default) fails with E_INVALID_STATE naming it, as
   * `maelstrom run` does; `wait` stands by until it stops or its lease runs out, as `maelstrom serve` does.
   */
  readonly whenHeld?: 'refuse' | 'wait';
  /** Stops standing by: createController then fails with E_ABORTED. */
  readonly signal?: AbortSignal;
  /** Told when standing by, once for each holder seen. */
  readonly onStandby?: (holder: string, expiresAt: number) => void;
  /** Told when the lease is taken after standing by. */
  readonly onTakeover?: (previous: string) => void;
  /** How often (wall-clock ms) a standby tries again; by default a fifth of the lease's time to live. */
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
}

/** A controller: the engine, holding its store's lease. */
export interface EngineController extends Engine {
  /** Who holds the lease: this controller, as `host/pid/nonce`. */
  readonly holder: string;
  /**
   * Resolves, with the reason, if the lease is lost (another controller took the store over, or it could not be
   * renewed in time): the controller has then stopped driving. Never resolves otherwise.
   */
  readonly lost: Promise<string>;
  /** Stops driving and polling, and gives the lease up; the store keeps everything. Safe to call more than once. */
  close(): Promise<void>;
}

export const DEFAULT_REQUEST_POLL_MS = 500;

const silent: Logger = { info: () => undefined, warn: () => undefined };

function abortedWhileStandingBy(): MaelstromError {
  return new MaelstromError('E_ABORTED', 'stopped while standing by for the store');
}

/** Takes the lease as the policy says: at once, or by standing by until it is free. */
async function takeLease(store: LeaseStore, policy: LeasePolicy): Promise<HeldLease> {
  const { whenHeld = 'refuse', signal, onStandby, onTakeover, retryMs, ...options } = policy;
  const holder = options.holder ?? leaseHolderName();
  let shown: string | undefined;
  for (;;) {
    if (signal?.aborted) throw abortedWhileStandingBy();
    const attempt = await tryAcquireLease({ ...options, store, holder });
    if (attempt.ok) {
      if (shown !== undefined) onTakeover?.(shown);
      return attempt.lease;
    }
    if (whenHeld === 'refuse') throw leaseHeldError(attempt);
    if (shown !== attempt.holder) {
      onStandby?.(attempt.holder, attempt.expiresAt);
      shown = attempt.holder;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, retryMs ?? (options.ttlMs ?? DEFAULT_LEASE_TTL_MS) / 5);
      function done(): void {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      }
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}

/**
 * Builds a controller over the definitions, backend and store: takes the store's lease first (see `LeasePolicy`),
 * then wires the engine. Nothing is driven until start() (which resumes the store's unfinished runs and begins
 * applying requests) or startRun(). The caller owns the backend and the store: it initialises and closes them.
 */
export async function createController(options: ControllerOptions): Promise<EngineController> {
  const { definitions, backend, store } = options;
  const clock = options.clock ?? backend.clock;
  const logger = options.logger ?? silent;
  const lease = await takeLease(store, options.lease ?? {});

  const engine = createEngine({
    definitions,
    backend,
    // Under virtual time, time must not run ahead while a query is out (the lease lives in wall-clock time).
    store: clock instanceof VirtualClock && store.inProcess !== true ? clockTracked<EngineStore>(store, clock) : store,
    clock,
    stages: options.stages ?? library,
    watchers: options.watchers ?? libraryWatchers,
    stageActions: options.stageActions ?? libraryActions,
    compile: options.compile ?? compilePlan,
    logger,
    ...(options.idGenerator ? { idGenerator: options.idGenerator } : {}),
    ...(options.pacer ? { pacer: options.pacer } : {}),
    ...(options.engine ? { engine: options.engine } : {}),
  });

  const pollMs = options.requestPollMs ?? DEFAULT_REQUEST_POLL_MS;
  let polling: ReturnType<typeof setInterval> | undefined;
  const stopPolling = (): void => {
    if (polling !== undefined) clearInterval(polling);
    polling = undefined;
  };
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      stopPolling();
      try {
        await engine.close();
      } finally {
        await lease.release();
      }
    })());

  void lease.lost.then(async (reason) => {
    // Another controller may act from now on: this one stops at once rather than act beside it.
    logger.warn(`stopped acting: ${reason}`);
    await close();
  });

  return {
    ...engine,
    holder: lease.holder,
    lost: lease.lost,
    start: async () => {
      await engine.start();
      if (pollMs === false || polling !== undefined || closing) return;
      polling = setInterval(() => {
        engine.pollRequests().catch((e: unknown) => {
          logger.warn(`operator requests: ${toMaelstromError(e).message}`);
        });
      }, pollMs);
      polling.unref();
    },
    close,
  };
}
