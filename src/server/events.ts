/**
 * `GET /api/v1/events`: the engine's event stream as server-sent events. A client that reconnects sends
 * Last-Event-ID (or `?after=SEQ`) and first receives every stored event after it, then live ones, with no gap and no
 * duplicate: live events are buffered while the catch-up is read, and anything at or below the last sent sequence
 * number is dropped.
 */
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
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

export function streamEvents(c: Context, controller: Controller, options: { readonly runId?: string; readonly afterSeq?: number }): Response {
  return streamSSE(c, async (stream) => {
    let last = options.afterSeq ?? -1;
    const pending: EngineEvent[] = [];
    let wake: (() => void) | undefined;
    let closed = false;
    const unsubscribe = controller.subscribe((e) => {
      if (options.runId !== undefined && e.runId !== options.runId) return;
      pending.push(e);
      wake?.();
    });
    stream.onAbort(() => { closed = true; wake?.(); });
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
      if (text !== '') await stream.write(text);
    };
    try {
      if (options.afterSeq !== undefined) {
        for (;;) {
          const page = await controller.events({ afterSeq: last, limit: CATCH_UP_PAGE, ...(options.runId !== undefined ? { runId: options.runId } : {}) });
          await send(page);
          if (page.length < CATCH_UP_PAGE) break;
        }
      } else {
        // Tell the client where the stream starts, so that a reconnect can catch up from here.
        await stream.writeSSE({ event: 'ready', data: '{}' });
      }
      while (!closed) {
        while (pending.length > 0 && !closed) await send(pending.splice(0, pending.length));
        if (closed) break;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, KEEPALIVE_MS);
          wake = () => { clearTimeout(timer); wake = undefined; resolve(); };
        });
        if (pending.length === 0 && !closed) await stream.write(': keepalive\n\n');
      }
    } finally {
      unsubscribe();
    }
  });
}
