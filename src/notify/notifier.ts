/**
 * Messages out. The engine's events go through `observe`, which only looks at the event and queues work: it never
 * waits, throws or does I/O, so a slow or failing receiver cannot slow the engine. Each notice is rendered once and
 * recorded in the store as a pending delivery; each notifier sends its deliveries in order, retrying a failure (a
 * network error, a timeout, 408, 429 or 5xx) with exponential back-off on its own wall clock for `retryForMs` (10
 * minutes), then recording the failure. Another 4xx fails at once: sending the same again would fail the same way.
 * The queue of each notifier is bounded: when full, its oldest delivery is dropped and recorded as failed.
 */
import type { Controller } from '../engine/controller.js';
import type { Delivery, DeliveryList, RunView } from '../model/api.js';
import { systemClock, type Clock } from '../model/clock.js';
import { MaelstromError, toMaelstromError } from '../model/errors.js';
import type { EngineEvent } from '../model/events.js';
import type { DeliveryPatch, DeliveryRecord, NotificationStore } from '../store/store.js';
import { renderNotice, signature } from './message.js';
import { RunStates, classify, noticeOf, type Classified, type Notice } from './notices.js';
import type { Sink } from './sinks.js';

export interface NotifierOptions {
  readonly sinks: readonly Sink[];
  readonly store: NotificationStore;
  /** Where a notice reads its run (plan, datacenter, tasks) from. */
  readonly runs: Pick<Controller, 'getRun'>;
  /** The dashboard's address, for deep links (`serve --public-url`). */
  readonly publicUrl: () => string;
  /** The wall clock deliveries are timed on (never the engine's, which may be virtual); tests pass their own. */
  readonly clock?: Clock;
  readonly fetch?: typeof fetch;
  /** How long a delivery is retried before it is recorded as failed; default 10 minutes. */
  readonly retryForMs?: number;
  /** The first back-off, doubled on each failure up to `maxBackoffMs`; default 1 s and 30 s. */
  readonly firstBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** Deliveries queued per notifier at most; default 500. */
  readonly queueLimit?: number;
  /** How long one attempt may take; default 10 s. */
  readonly attemptTimeoutMs?: number;
  readonly log?: (message: string) => void;
}

export interface Notifications {
  /** The engine's listener: queues the notices an event calls for. Returns at once. */
  observe(event: EngineEvent): void;
  /** Queues a notice that comes from elsewhere than a run's events (a drain test skipped, tests halted). */
  notify(notice: Notice): void;
  /** The latest deliveries, newest first, and the notifiers that send. */
  list(limit?: number): Promise<DeliveryList>;
  /** Resolves once everything observed so far is rendered and recorded (deliveries may still be pending). */
  flushed(): Promise<void>;
  /** Deliveries queued or being sent, over all notifiers. */
  queued(): number;
  /** Picks up the deliveries a previous process left pending (or records them failed, when too old). */
  start(): Promise<void>;
  /** Stops sending; pending deliveries stay pending in the store. */
  close(): Promise<void>;
}

interface Queued {
  readonly id: number;
  readonly record: DeliveryRecord;
}

/** Whether an HTTP status is worth another try. */
function retryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

function toDelivery(id: number, r: DeliveryRecord): Delivery {
  const { body: _b, contentType: _c, id: _i, ...rest } = r;
  return { id, ...rest };
}

export function createNotifications(options: NotifierOptions): Notifications {
  const { sinks, store, runs } = options;
  const clock = options.clock ?? systemClock;
  const send = options.fetch ?? fetch;
  const retryForMs = options.retryForMs ?? 600_000;
  const firstBackoff = options.firstBackoffMs ?? 1000;
  const maxBackoff = options.maxBackoffMs ?? 30_000;
  const limit = options.queueLimit ?? 500;
  const attemptTimeoutMs = options.attemptTimeoutMs ?? 10_000;
  const log = options.log ?? (() => undefined);
  const states = new RunStates();
  const queues = new Map<string, Queued[]>(sinks.map((s) => [s.name, []]));
  const working = new Set<string>();
  const stop = new AbortController();
  let preparing: Promise<void> = Promise.resolve();

  const update = async (id: number, patch: DeliveryPatch): Promise<void> => {
    await store.updateDelivery(id, patch).catch((e: unknown) => {
      log(`delivery ${id}: cannot record its progress: ${toMaelstromError(e).message}`);
    });
  };

  /** One attempt: undefined when delivered, else the failure and whether to try again (and when, at the earliest). */
  const attempt = async (
    sink: Sink,
    q: Queued,
  ): Promise<{ readonly error: string; readonly retry: boolean; readonly afterMs?: number } | undefined> => {
    const headers: Record<string, string> = {
      'content-type': q.record.contentType,
      'user-agent': 'maelstrom-notifier',
      'x-maelstrom-event': q.record.event,
      'x-maelstrom-delivery': String(q.id),
      ...(sink.secret !== undefined ? { 'x-maelstrom-signature': signature(sink.secret, q.record.body) } : {}),
    };
    try {
      const res = await send(sink.url, {
        method: 'POST',
        headers,
        body: q.record.body,
        redirect: 'manual',
        signal: AbortSignal.any([stop.signal, AbortSignal.timeout(attemptTimeoutMs)]),
      });
      const answer = (await res.text().catch(() => '')).slice(0, 200).trim();
      if (res.status >= 200 && res.status < 300) return undefined;
      const after = Number(res.headers.get('retry-after'));
      return {
        error: `HTTP ${res.status}${answer ? `: ${answer}` : ''}`,
        retry: retryableStatus(res.status),
        ...(Number.isFinite(after) && after > 0 ? { afterMs: Math.min(after * 1000, 60_000) } : {}),
      };
    } catch (e) {
      const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
      const why =
        err.name === 'TimeoutError'
          ? `no answer within ${attemptTimeoutMs} ms`
          : (err.cause?.code ?? err.cause?.message ?? err.message ?? String(e));
      return { error: why, retry: true };
    }
  };

  /** Sends one delivery until it is delivered, fails for good, or its time runs out. */
  const deliver = async (sink: Sink, q: Queued): Promise<void> => {
    const deadline = q.record.createdAt + retryForMs;
    let attempts = q.record.attempts;
    let backoff = firstBackoff;
    for (;;) {
      if (stop.signal.aborted) return;
      const failure = await attempt(sink, q);
      attempts++;
      const at = clock.now();
      if (stop.signal.aborted) return;
      if (!failure) {
        await update(q.id, { state: 'delivered', attempts, lastAttemptAt: at, deliveredAt: at, error: undefined });
        return;
      }
      const left = deadline - at;
      if (!failure.retry || left <= 0) {
        const why = failure.retry
          ? `not delivered within ${Math.round(retryForMs / 60_000)} min; last: ${failure.error}`
          : failure.error;
        await update(q.id, { state: 'failed', attempts, lastAttemptAt: at, error: why });
        log(`notifier ${sink.name}: delivery ${q.id} (${q.record.event}) failed: ${why}`);
        return;
      }
      await update(q.id, { attempts, lastAttemptAt: at, error: failure.error });
      const wait = Math.min(Math.max(backoff, failure.afterMs ?? 0), left);
      backoff = Math.min(backoff * 2, maxBackoff);
      try {
        await clock.sleep(wait, stop.signal);
      } catch {
        return;
      }
    }
  };

  /** Works through a notifier's queue, one delivery at a time, in order. */
  const work = (sink: Sink): void => {
    if (working.has(sink.name) || stop.signal.aborted) return;
    working.add(sink.name);
    void (async () => {
      const queue = queues.get(sink.name)!;
      try {
        while (queue.length > 0 && !stop.signal.aborted) {
          await deliver(sink, queue[0]!);
          queue.shift();
        }
      } catch (e) {
        log(`notifier ${sink.name}: ${toMaelstromError(e).message}`);
      } finally {
        working.delete(sink.name);
      }
    })();
  };

  const enqueue = (sink: Sink, q: Queued): void => {
    const queue = queues.get(sink.name)!;
    queue.push(q);
    // The one being sent stays; the oldest waiting one makes room.
    if (queue.length > limit) {
      const [dropped] = queue.splice(1, 1);
      if (dropped)
        void update(dropped.id, { state: 'failed', error: `dropped: ${limit} messages were waiting for ${sink.name}` });
    }
    work(sink);
  };

  const record = async (notice: Notice): Promise<void> => {
    for (const sink of sinks) {
      if (!sink.events.has(notice.event)) continue;
      const rec: DeliveryRecord = {
        notifier: sink.name,
        event: notice.event,
        ...(notice.run ? { runId: notice.run.id } : {}),
        ...(notice.task !== undefined ? { taskId: notice.task } : {}),
        summary: `${notice.title}: ${notice.text}`.slice(0, 500),
        state: 'pending',
        attempts: 0,
        createdAt: clock.now(),
        body: renderNotice(notice, sink.format),
        contentType: 'application/json',
      };
      const id = await store.recordDelivery(rec);
      enqueue(sink, { id, record: rec });
    }
  };

  const prepare = async (c: Classified, time: number): Promise<void> => {
    let run: RunView | undefined;
    try {
      run = await runs.getRun(c.runId);
    } catch {
      run = undefined;
    }
    const notice = noticeOf(c, time, run, options.publicUrl());
    if (notice) await record(notice);
  };

  /** Renders and records in the order events came, off the engine's turn. */
  const later = (task: () => Promise<void>): void => {
    preparing = preparing.then(task).catch((e: unknown) => {
      log(`notifications: ${toMaelstromError(e).message}`);
    });
  };

  const wanted = new Set(sinks.flatMap((s) => [...s.events]));

  return {
    observe: (event) => {
      try {
        const previous = states.advance(event);
        if (sinks.length === 0 || stop.signal.aborted) return;
        const c = classify(event, previous);
        if (!c || !wanted.has(c.event)) return;
        later(() => prepare(c, event.time));
      } catch (e) {
        log(`notifications: ${toMaelstromError(e).message}`);
      }
    },
    notify: (notice) => {
      if (sinks.length === 0 || stop.signal.aborted || !wanted.has(notice.event)) return;
      later(() => record(notice));
    },
    list: async (n = 50) => {
      const found = await store.listDeliveries({ limit: n });
      return { deliveries: found.map((r) => toDelivery(r.id ?? 0, r)), notifiers: sinks.map((s) => s.name) };
    },
    flushed: async () => {
      for (;;) {
        const current = preparing;
        await current;
        if (current === preparing) return;
      }
    },
    queued: () => [...queues.values()].reduce((n, q) => n + q.length, 0),
    start: async () => {
      const now = clock.now();
      const pending = [...(await store.listDeliveries({ state: 'pending' }))].reverse();
      for (const r of pending) {
        const sink = sinks.find((s) => s.name === r.notifier);
        const id = r.id ?? 0;
        if (!sink || now - r.createdAt >= retryForMs) {
          const why = sink
            ? 'the controller stopped before it was delivered'
            : `notifier ${r.notifier} no longer sends`;
          await update(id, { state: 'failed', error: why });
          continue;
        }
        enqueue(sink, { id, record: r });
      }
    },
    close: async () => {
      stop.abort(new MaelstromError('E_ABORTED', 'the notifier is closing'));
      await preparing;
    },
  };
}
