/**
 * A simulator running as its own process (`maelstrom sim`), driven over HTTP exactly as a real fleet would be.
 * Its clock is the server's: time and speed are fetched at init, and from then on derived from the wall clock.
 */
import { wallSleep, type Clock } from '../../model/clock.js';
import { ErrorCode, MaelstromError } from '../../model/errors.js';
import { HLC_HEADER, processHybridClock, type HybridClock } from '../../model/hlc.js';
import type { FleetSnapshot, Layer } from '../../model/readings.js';
import {
  SIM_COMMAND_KINDS,
  type Series,
  type SeriesMetric,
  type SeriesQuery,
  type SimCounters,
} from '../../sim/types.js';
import type { ActionKind, ActionResult, Backend, CallOptions, Oracle, WeightTable } from '../backend.js';
import type { StampedJournalEntry, StampedSimChange } from './backend.js';

export interface RemoteSimBackend extends Backend {
  readonly oracle: Oracle;
  readonly url: string;
  /** The simulator's journal, each entry with the simulator's HLC of its receipt. */
  journal(options?: CallOptions): Promise<readonly StampedJournalEntry[]>;
  /** The simulated world's own changes (weights taking effect, faults), each with the simulator's HLC. */
  worldJournal(options?: CallOptions): Promise<readonly StampedSimChange[]>;
  series(metric: SeriesMetric, query?: SeriesQuery, options?: CallOptions): Promise<Series>;
  counters(options?: CallOptions): Promise<SimCounters>;
}

/** `sim+http://127.0.0.1:7070` (or a plain `http://` address) → the server's base URL. */
export function parseSimUrl(url: string): string {
  const m = /^(?:sim\+)?(https?:\/\/[^/\s]+)\/?$/.exec(url.trim());
  if (!m) throw new MaelstromError('E_BAD_REQUEST', `not a simulator address: ${url} (expected sim+http://HOST:PORT)`);
  return m[1]!;
}

/**
 * `hybridClock`: this process's clock (by default the process's one). Each request carries it (a send) and each
 * answer's is absorbed (a receive); an answer from a simulator whose clock is too far ahead fails with E_CLOCK_SKEW.
 */
export function createRemoteSimBackend(url: string, hybridClock: HybridClock = processHybridClock()): RemoteSimBackend {
  const base = parseSimUrl(url);
  let speed = 1;
  let simAtInit = Date.now();
  let wallAtInit = Date.now();
  let propagation: Record<Layer, number> = { edge: 30_000, cluster: 10_000 };
  let supports = new Set<ActionKind>(SIM_COMMAND_KINDS);

  const clock: Clock = {
    now: () => simAtInit + Math.floor((Date.now() - wallAtInit) * speed),
    sleep: (ms, signal) => wallSleep(ms / speed, signal),
  };

  async function call<T>(
    method: 'GET' | 'POST',
    path: string,
    options: { body?: unknown; signal?: AbortSignal | undefined } = {},
  ): Promise<T> {
    let res: Response;
    try {
      const sent = hybridClock.now().toString();
      res = await fetch(`${base}${path}`, {
        method,
        ...(options.body === undefined
          ? { headers: { [HLC_HEADER]: sent } }
          : {
              body: JSON.stringify(options.body),
              headers: { 'content-type': 'application/json', [HLC_HEADER]: sent },
            }),
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } catch (e) {
      if (options.signal?.aborted)
        throw new MaelstromError('E_ABORTED', `${method} ${path} was aborted`, { cause: e, retryable: true });
      throw new MaelstromError(
        'E_BACKEND_UNAVAILABLE',
        `the simulator at ${base} does not answer: ${e instanceof Error ? e.message : String(e)}`,
        { cause: e, retryable: true },
      );
    }
    const text = await res.text();
    const remote = res.headers.get(HLC_HEADER);
    if (remote !== null) {
      try {
        hybridClock.update(remote);
      } catch (e) {
        if (e instanceof MaelstromError && e.code === 'E_CLOCK_SKEW')
          throw new MaelstromError('E_CLOCK_SKEW', `the simulator at ${base}: ${e.message}`, { details: e.details });
        throw e;
      }
    }
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      throw new MaelstromError(
        'E_BACKEND',
        `the simulator answered ${method} ${path} with something that is not JSON (HTTP ${res.status})`,
      );
    }
    if (!res.ok) {
      const err = (
        json as { error?: { code?: string; message?: string; retryable?: boolean; retryAfterMs?: number } } | undefined
      )?.error;
      const code = (ErrorCode as readonly string[]).includes(err?.code ?? '') ? (err!.code as ErrorCode) : 'E_BACKEND';
      throw new MaelstromError(code, err?.message ?? `HTTP ${res.status} from the simulator`, {
        retryable: err?.retryable ?? res.status >= 500,
        ...(err?.retryAfterMs !== undefined ? { retryAfterMs: err.retryAfterMs } : {}),
      });
    }
    return json as T;
  }

  const enc = encodeURIComponent;
  const oracle: Oracle = {
    truth: (service) => call('GET', `/oracle/${enc(service)}`),
    propagationMs: (layer) => propagation[layer],
  };

  return {
    name: `sim+${base}`,
    url: base,
    clock,
    get supports() {
      return supports;
    },
    oracle,
    async init(options?: CallOptions) {
      const wallBefore = Date.now();
      const info = await call<{
        supports: ActionKind[];
        propagation: Record<Layer, number>;
        clock: { now: number; speed: number };
      }>('GET', '/info', { signal: options?.signal });
      // The server's time was read somewhere within the round trip: take its middle.
      wallAtInit = Math.round((wallBefore + Date.now()) / 2);
      simAtInit = info.clock.now;
      speed = info.clock.speed;
      propagation = info.propagation;
      supports = new Set(info.supports);
    },
    async close() {
      /* nothing held open: every call is its own request */
    },
    snapshot: (options) =>
      call<FleetSnapshot>('POST', '/snapshot', {
        body: options?.queries ? { queries: options.queries } : {},
        signal: options?.signal,
      }),
    weights: (layer, service, options) =>
      call<WeightTable[]>('GET', `/weights/${enc(layer)}/${enc(service)}`, { signal: options?.signal }),
    baselineWeights: (layer, service, options) =>
      call<WeightTable[]>('GET', `/baseline/${enc(layer)}/${enc(service)}`, { signal: options?.signal }),
    act: (action, options) =>
      call<ActionResult>('POST', '/act', {
        body: {
          action,
          ...(options?.origin ? { origin: options.origin } : {}),
          ...(options?.epoch !== undefined ? { epoch: options.epoch } : {}),
        },
        signal: options?.signal,
      }),
    journal: (options) => call<StampedJournalEntry[]>('GET', '/journal', { signal: options?.signal }),
    worldJournal: (options) => call<StampedSimChange[]>('GET', '/journal/world', { signal: options?.signal }),
    counters: (options) => call<SimCounters>('GET', '/counters', { signal: options?.signal }),
    series: (metric, query = {}, options) => {
      const qs = new URLSearchParams();
      for (const [k, v] of Object.entries(query)) if (v !== undefined) qs.set(k, String(v));
      return call<Series>('GET', `/series/${enc(metric)}?${qs.toString()}`, { signal: options?.signal });
    },
  };
}
