/**
 * The simulator as a Backend, in process. The world steps as the clock moves: through the virtual clock's
 * `onAdvance` hook when it has one, and otherwise up to the clock's time on every call (a wall clock scaled by a
 * speed, when the simulator serves over HTTP).
 */
import type { Clock } from '../../model/clock.js';
import type { Fleet, Scenario } from '../../model/definitions.js';
import { MaelstromError } from '../../model/errors.js';
import type { FleetSnapshot, Layer } from '../../model/readings.js';
import { VirtualClock } from '../../model/virtual-clock.js';
import { processHybridClock, type HybridClock, type Stamp } from '../../model/hlc.js';
import { createSimulation, type SimChange, type Simulation } from '../../sim/simulation.js';
import {
  SIM_COMMAND_KINDS,
  type Series,
  type SeriesMetric,
  type SeriesQuery,
  type SimCounters,
} from '../../sim/types.js';
import type {
  Action,
  ActionKind,
  ActionOrigin,
  ActionResult,
  ActOptions,
  Backend,
  CallOptions,
  Oracle,
  SnapshotOptions,
  WeightTable,
} from '../backend.js';

export interface JournalEntry {
  readonly seq: number;
  /** Simulated time the call was received, ms since the epoch. */
  readonly time: number;
  readonly kind: ActionKind;
  /** What the action is about: `edge/web/nyc`, `messenger/east`, `config:key`… */
  readonly target: string;
  readonly action: Action;
  readonly origin?: ActionOrigin;
  readonly changed: boolean;
  /** The sender's lease epoch (0 when it sent none): along the journal, accepted calls' epochs never decrease. */
  readonly epoch: number;
  /** Set when the call carried an epoch older than one already accepted: it was refused, and changed nothing. */
  readonly refused?: true;
  /** Present when the call failed (an invalid action, a stale epoch, or a mechanism fault). */
  readonly error?: { readonly code: string; readonly message: string };
}

/** A journal entry with the simulator's HLC and wall clock when it received the call (the retrospective timeline). */
export type StampedJournalEntry = JournalEntry & Stamp;

/**
 * A change the simulated world made by itself (a weight change taking effect once propagated, a fault starting or
 * ending), with the simulator's HLC and wall clock when it computed it: the simulator's own journal.
 */
export type StampedSimChange = SimChange & Stamp;

export interface SimBackendOptions {
  readonly fleet: Fleet;
  readonly scenario?: Scenario;
  /** Default: a virtual clock at the scenario's start. */
  readonly clock?: Clock;
  readonly seed?: number;
  readonly seriesResolutionMs?: number;
  readonly name?: string;
  /** The simulator process's hybrid logical clock (by default the process's one), stamping each journal entry. */
  readonly hybridClock?: HybridClock;
}

export interface SimBackend extends Backend {
  readonly oracle: Oracle;
  readonly simulation: Simulation;
  /** Every act() call received, in order. */
  journal(): readonly JournalEntry[];
  /** The same entries, each with the HLC and wall-clock reading of its receipt: what `/journal` serves. */
  stampedJournal(): readonly StampedJournalEntry[];
  /** The world's own changes, stamped, in order: what `/journal/world` serves. */
  worldJournal(): readonly StampedSimChange[];
  readonly hybridClock: HybridClock;
  series(metric: SeriesMetric, query?: SeriesQuery): Series;
  counters(): SimCounters;
}

export function targetOf(action: Action): string {
  switch (action.kind) {
    case 'weights.set':
      return `${action.layer}/${action.service}/${action.source}`;
    case 'sessions.teardown':
    case 'jobs.stop':
    case 'jobs.start':
    case 'jobs.restart':
      return `${action.service}/${action.datacenter}${'cluster' in action && action.cluster ? `/${action.cluster}` : ''}`;
    case 'replication.source':
      return `${action.service}/${action.source}`;
    case 'replication.replica':
      return `${action.service}/${action.datacenter}`;
    case 'stateful.primary':
      return `${action.service}/${action.primary}`;
    case 'shards.place':
      return `${action.service}/${action.from}->${action.to}`;
    case 'config.set':
      return `config:${action.key}`;
    case 'alerts.suppress':
      return `alerts:${action.id}`;
    default:
      return 'unknown';
  }
}

function aborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new MaelstromError('E_ABORTED', 'the call was aborted', { cause: signal.reason });
}

export function createSimBackend(options: SimBackendOptions): SimBackend {
  const startMs = options.clock?.now();
  if (options.scenario && startMs !== undefined && startMs < Date.parse(options.scenario.spec.start)) {
    throw new MaelstromError(
      'E_BAD_REQUEST',
      `the clock (${new Date(startMs).toISOString()}) is before the start of ` +
        `scenario ${options.scenario.metadata.name} (${options.scenario.spec.start})`,
    );
  }
  const sim = createSimulation({
    fleet: options.fleet,
    ...(options.scenario ? { scenario: options.scenario } : {}),
    ...(startMs !== undefined && !options.scenario ? { startMs } : {}),
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(options.seriesResolutionMs !== undefined ? { seriesResolutionMs: options.seriesResolutionMs } : {}),
  });
  // A default virtual clock starts where the world starts.
  const vclock: Clock = options.clock ?? new VirtualClock(sim.startMs);
  if (vclock instanceof VirtualClock) {
    const previous = vclock.onAdvance;
    vclock.onAdvance = (from, to) => {
      previous?.(from, to);
      sim.advanceTo(to);
    };
  }
  const sync = (): void => sim.advanceTo(vclock.now());
  const entries: JournalEntry[] = [];
  // Kept apart from the entries, which stay exactly as replayed by the golden tests.
  const stamps: Stamp[] = [];
  const hybridClock = options.hybridClock ?? processHybridClock();
  const changes: StampedSimChange[] = [];
  sim.onChange((c) => changes.push({ ...c, ...hybridClock.stamp() }));
  /** The highest epoch of an accepted call: a call with a smaller one comes from a controller fenced off. */
  let epochSeen = 0;
  let closed = false;
  const open = (): void => {
    if (closed) throw new MaelstromError('E_BACKEND_UNAVAILABLE', 'the simulator backend is closed');
  };
  const supports = new Set<ActionKind>(SIM_COMMAND_KINDS);

  const oracle: Oracle = {
    truth: async (service) => {
      sync();
      return sim.truth(service);
    },
    propagationMs: (layer) => sim.propagationMs(layer),
  };

  const tables = (list: ReturnType<Simulation['weights']>): WeightTable[] => list.map((t) => ({ ...t }));

  return {
    name: options.name ?? 'sim',
    clock: vclock,
    supports,
    oracle,
    simulation: sim,
    async init(callOptions?: CallOptions) {
      aborted(callOptions?.signal);
      open();
      sync();
    },
    async close() {
      closed = true;
    },
    async snapshot(snapshotOptions?: SnapshotOptions): Promise<FleetSnapshot> {
      aborted(snapshotOptions?.signal);
      open();
      sync();
      const snap = sim.snapshot();
      // The simulator has no Prometheus: every query is answered as absent, which the engine treats as "hold".
      if (snapshotOptions?.queries?.length)
        return { ...snap, queries: Object.fromEntries(snapshotOptions.queries.map((q) => [q, undefined])) };
      return snap;
    },
    async weights(layer: Layer, service: string, callOptions?: CallOptions) {
      aborted(callOptions?.signal);
      open();
      sync();
      return tables(sim.weights(layer, service));
    },
    async baselineWeights(layer: Layer, service: string, callOptions?: CallOptions) {
      aborted(callOptions?.signal);
      open();
      return tables(sim.baselineWeights(layer, service));
    },
    async act(action: Action, actOptions?: ActOptions): Promise<ActionResult> {
      aborted(actOptions?.signal);
      open();
      sync();
      const time = vclock.now();
      stamps.push(hybridClock.stamp());
      const epoch = actOptions?.epoch ?? 0;
      const base = {
        seq: entries.length + 1,
        time,
        kind: action.kind,
        target: targetOf(action),
        action,
        ...(actOptions?.origin ? { origin: actOptions.origin } : {}),
        epoch,
      };
      if (epoch < epochSeen) {
        const error = new MaelstromError(
          'E_FENCED',
          `fenced: the simulator accepted actions of lease epoch ${epochSeen}; this one carries epoch ${epoch}`,
          { details: { epoch, current: epochSeen } },
        );
        entries.push({ ...base, changed: false, refused: true, error: { code: error.code, message: error.message } });
        throw error;
      }
      epochSeen = epoch;
      const fault = sim.faultFor(action, time);
      if (fault) {
        const error =
          fault.mode === 'hang'
            ? new MaelstromError('E_TIMEOUT', `the ${action.kind} mechanism does not answer`, { retryable: true })
            : new MaelstromError('E_BACKEND_UNAVAILABLE', `the ${action.kind} mechanism failed (injected fault)`, {
                retryable: true,
              });
        entries.push({
          ...base,
          changed: false,
          error: { code: error.code, message: fault.mode === 'hang' ? 'hung' : error.message },
        });
        if (fault.mode === 'error') throw error;
        // A hung mechanism never answers: the caller's deadline (its signal) is the only way out.
        return new Promise<ActionResult>((_resolve, reject) => {
          const signal = actOptions?.signal;
          if (!signal) return;
          const onAbort = (): void =>
            reject(
              new MaelstromError('E_ABORTED', `the ${action.kind} call was abandoned`, {
                cause: signal.reason,
                retryable: true,
              }),
            );
          if (signal.aborted) onAbort();
          else signal.addEventListener('abort', onAbort, { once: true });
        });
      }
      try {
        const result = sim.apply(action, time);
        entries.push({ ...base, changed: result.changed });
        return result;
      } catch (e) {
        const err =
          e instanceof MaelstromError
            ? e
            : new MaelstromError('E_INTERNAL', e instanceof Error ? e.message : String(e), { cause: e });
        entries.push({ ...base, changed: false, error: { code: err.code, message: err.message } });
        throw err;
      }
    },
    journal: () => entries.slice(),
    stampedJournal: () => entries.map((e, i) => ({ ...e, ...stamps[i]! })),
    worldJournal: () => {
      sync();
      return changes.slice();
    },
    hybridClock,
    series: (metric, query) => {
      sync();
      return sim.series(metric, query);
    },
    counters: () => {
      sync();
      return sim.counters();
    },
  };
}
