/**
 * `GET /api/v1/events`: the engine's event stream as server-sent events. A client that reconnects sends
 * Last-Event-ID (or `?after=SEQ`) and first receives every stored event after it, then live ones, with no gap and no
 * duplicate: live events are buffered while the catch-up is read, and anything at or below the last sent sequence
 * number is dropped.
 *
 * Each stream is a plain ReadableStream that the server reads straight onto its socket. Hono's SSE helper went
 * through a writer and a transform stream, with promises at each step, which cost so much per event and client that
 * fanning one burst out to 200 clients stalled the server for up to 100 ms.
 */
import type { Context } from 'hono';
import type { Controller } from '../engine/controller.js';
import type { EngineEvent } from '../model/events.js';

const CATCH_UP_PAGE = 1000;
const KEEPALIVE_MS = 15_000;

/**
 * One event is sent to every client: format it once (JSON.stringify never emits a raw newline, so the data fits
 * one `data:` line), not once per client.
 */
const formatted = new WeakMap<EngineEvent, string>();
function sseBlock(e: EngineEvent): string {
  let text = formatted.get(e);
  if (text === undefined) {
    text = `event: engine\n${e.seq !== undefined ? `id: ${e.seq}\n` : ''}data: ${JSON.stringify(e)}\n\n`;
    formatted.set(e, text);
  }
  return text;
}

/**
 * Streams with events to send are woken a few at a time, one batch per turn of the event loop: a burst written to
 * 200 clients at once held up every request that arrived meanwhile by tens of milliseconds, while between batches
 * the server reads and answers them.
 */
const FAN_OUT_BATCH = 16;
const waiting = new Set<() => void>();
let fanOutScheduled = false;
function wakeLater(wake: () => void): void {
  waiting.add(wake);
  if (!fanOutScheduled) {
    fanOutScheduled = true;
    setImmediate(fanOut);
  }
}
function fanOut(): void {
  let n = 0;
  for (const wake of waiting) {
    waiting.delete(wake);
    wake();
    if (++n >= FAN_OUT_BATCH) break;
  }
  if (waiting.size > 0) setImmediate(fanOut);
  else fanOutScheduled = false;
}

/** Where a stream's text goes. `write` resolves once more may be written (the reader has room). */
export interface Sink {
  write(text: string): Promise<void>;
  onClose(listener: () => void): void;
  /** Drops the connection; the client reconnects with Last-Event-ID and catches up from the store. */
  drop(): void;
}

/**
 * Events kept for a client that does not read (a frozen tab, a stalled network): beyond this many its connection is
 * dropped rather than letting them grow without end in the controller's memory.
 */
const MAX_PENDING = 10_000;

const encoder = new TextEncoder();

export function streamEvents(
  c: Context,
  controller: Controller,
  options: { readonly runId?: string; readonly afterSeq?: number },
): Response {
  let closed = false;
  const closeListeners: (() => void)[] = [];
  const close = (): void => {
    if (closed) return;
    closed = true;
    wakeWriter();
    for (const l of closeListeners.splice(0)) l();
  };
  /** Resolves the write waiting for the reader to make room, if any. */
  let room: (() => void) | undefined;
  const wakeWriter = (): void => {
    const r = room;
    room = undefined;
    r?.();
  };
  const body = new ReadableStream<Uint8Array>(
    {
      start(stream) {
        const sink: Sink = {
          write: async (text) => {
            if (closed) return;
            stream.enqueue(encoder.encode(text));
            // A slow client is waited for, not buffered without end: events meanwhile gather into the next write.
            if ((stream.desiredSize ?? 1) <= 0)
              await new Promise<void>((resolve) => {
                room = resolve;
              });
          },
          onClose: (listener) => {
            if (closed) listener();
            else closeListeners.push(listener);
          },
          drop: () => {
            if (closed) return;
            try {
              stream.error(new Error('the client did not keep up'));
            } catch {
              /* already closed */
            }
            close();
          },
        };
        // A failed catch-up read ends the stream; the client reconnects with Last-Event-ID and loses nothing.
        void forwardEvents(sink, controller, options)
          .catch(() => undefined)
          .finally(() => {
            if (!closed) {
              closed = true;
              try {
                stream.close();
              } catch {
                /* already cancelled */
              }
            }
          });
      },
      pull() {
        wakeWriter();
      },
      cancel() {
        close();
      },
    },
    { highWaterMark: 4 },
  );
  return c.body(body, 200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
}

/** Catches up from `afterSeq` if asked, then forwards live events until the client goes away. */
export async function forwardEvents(
  sink: Sink,
  controller: Pick<Controller, 'subscribe' | 'events'>,
  options: { readonly runId?: string; readonly afterSeq?: number; readonly maxPending?: number },
): Promise<void> {
  const maxPending = options.maxPending ?? MAX_PENDING;
  let last = options.afterSeq ?? -1;
  const pending: EngineEvent[] = [];
  let wake: (() => void) | undefined;
  let closed = false;
  const unsubscribe = controller.subscribe((e) => {
    if (options.runId !== undefined && e.runId !== options.runId) return;
    pending.push(e);
    if (pending.length > maxPending) {
      pending.length = 0;
      sink.drop();
      return;
    }
    if (wake) wakeLater(wake);
  });
  sink.onClose(() => {
    closed = true;
    wake?.();
  });
  /** Writes the events not yet sent in one write: a burst of events costs each client one write, not many. */
  const send = async (events: readonly EngineEvent[]): Promise<void> => {
    let text = '';
    for (const e of events) {
      if (e.seq !== undefined) {
        if (e.seq <= last) continue;
        last = e.seq;
      }
      text += sseBlock(e);
    }
    if (text !== '') await sink.write(text);
  };
  try {
    if (options.afterSeq !== undefined) {
      for (;;) {
        const page = await controller.events({
          afterSeq: last,
          limit: CATCH_UP_PAGE,
          ...(options.runId !== undefined ? { runId: options.runId } : {}),
        });
        await send(page);
        if (page.length < CATCH_UP_PAGE || closed) break;
      }
    } else {
      // Tell the client where the stream starts, so that a reconnect can catch up from here.
      await sink.write('event: ready\ndata: {}\n\n');
    }
    while (!closed) {
      while (pending.length > 0 && !closed) await send(pending.splice(0, pending.length));
      if (closed) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, KEEPALIVE_MS);
        const w = (): void => {
          if (wake === w) wake = undefined;
          clearTimeout(timer);
          resolve();
        };
        wake = w;
      });
      if (pending.length === 0 && !closed) await sink.write(': keepalive\n\n');
    }
  } finally {
    unsubscribe();
    if (wake) waiting.delete(wake);
  }
}
