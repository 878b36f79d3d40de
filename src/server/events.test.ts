/** The event forwarding of one stream, with a sink that stands in for a client that stops reading. */
import { describe, expect, it } from 'vitest';
import type { EngineEvent } from '../model/events.js';
import { forwardEvents, type Sink } from './events.js';

function hub() {
  const listeners = new Set<(e: EngineEvent) => void>();
  let seq = 0;
  return {
    subscribe: (l: (e: EngineEvent) => void) => {
      listeners.add(l);
      return () => {
        listeners.delete(l);
      };
    },
    events: () => Promise.resolve([] as EngineEvent[]),
    emit: () => {
      const e = { type: 'run.state', time: 0, runId: 'r', state: 'running', seq: ++seq } as unknown as EngineEvent;
      for (const l of listeners) l(e);
    },
    listeners,
  };
}

/** A client that takes the first write and then never makes room again. */
function stalledSink(): Sink & { texts: string[]; dropped: boolean } {
  const closers: (() => void)[] = [];
  const sink = {
    texts: [] as string[],
    dropped: false,
    write: (text: string) => {
      sink.texts.push(text);
      return sink.texts.length === 1
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            closers.push(resolve);
          });
    },
    onClose: (l: () => void) => {
      closers.push(l);
    },
    drop: () => {
      sink.dropped = true;
      for (const c of closers.splice(0)) c();
    },
  };
  return sink;
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('event forwarding', () => {
  it('drops a client that stops reading once too many events wait for it, and lets go of it', async () => {
    const h = hub();
    const sink = stalledSink();
    const done = forwardEvents(sink, h, { maxPending: 5 });
    await turn();
    h.emit();
    await turn();
    await turn();
    expect(sink.texts.length).toBe(2); // "ready", then the first event, whose write never completes
    for (let i = 0; i < 5; i++) h.emit();
    expect(sink.dropped).toBe(false);
    h.emit();
    expect(sink.dropped).toBe(true);
    await done;
    expect(h.listeners.size).toBe(0);
  });

  it('sends a burst of events to a reading client in one write', async () => {
    const h = hub();
    const texts: string[] = [];
    let closeIt!: () => void;
    const done = forwardEvents(
      {
        write: (t) => {
          texts.push(t);
          return Promise.resolve();
        },
        onClose: (l) => {
          closeIt = l;
        },
        drop: () => undefined,
      },
      h,
      {},
    );
    await turn();
    h.emit();
    h.emit();
    h.emit();
    for (let i = 0; i < 5; i++) await turn();
    expect(texts.length).toBe(2);
    expect(texts[1]!.match(/^id: /gm)).toHaveLength(3);
    closeIt();
    await done;
  });
});
