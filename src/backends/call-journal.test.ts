import { describe, expect, it } from 'vitest';
import { MaelstromError } from '../model/errors.js';
import { createHybridClock } from '../model/hlc.js';
import { cutAt } from '../model/timeline.js';
import { callEvents } from '../timeline/sources.js';
import { createCallJournal } from './call-journal.js';

describe('the call journal of an adapter to a program without HLC', () => {
  it('stamps each call as sent and as its answer is read, and keeps failures with their error', async () => {
    let wall = 1_000;
    const clock = createHybridClock({ wall: () => wall });
    const journal = createCallJournal('haproxy', clock);
    const action = { kind: 'weights.set', layer: 'edge', service: 'web', source: 'nyc', weights: { east: 0, west: 1 } };
    const answer = await journal.record(
      'weights.set',
      async () => {
        wall += 5;
        return { changed: true };
      },
      { detail: { action }, origin: { runId: 'r1', taskId: 'web/edge', stage: 1, attempt: 1 } },
    );
    expect(answer).toEqual({ changed: true });
    await expect(
      journal.record('weights.set', async () => {
        throw new MaelstromError('E_BACKEND_UNAVAILABLE', 'the socket is gone');
      }),
    ).rejects.toThrow('the socket is gone');
    const [ok, failed] = journal.calls();
    expect(BigInt(ok!.read.hlc)).toBeGreaterThan(BigInt(ok!.sent.hlc));
    expect(ok!.read.wall - ok!.sent.wall).toBe(5);
    expect(BigInt(failed!.sent.hlc)).toBeGreaterThan(BigInt(ok!.read.hlc));
    expect(failed!.error).toEqual({ code: 'E_BACKEND_UNAVAILABLE', message: 'the socket is gone' });

    // On the timeline an action is an act of the run that sent it, and its weights are the backend's in the cut.
    const events = callEvents(journal.calls());
    expect(events[0]).toMatchObject({ type: 'act', source: 'haproxy', runId: 'r1', taskId: 'web/edge', stage: 1 });
    const cut = cutAt(events, BigInt(events[1]!.hlc));
    expect(cut.backendWeights).toEqual({ web: { edge: { nyc: { east: 0, west: 1 } } } });
  });

  it('keeps the most recent calls only', async () => {
    const journal = createCallJournal('prometheus', createHybridClock(), 3);
    for (let i = 0; i < 5; i++) await journal.record('snapshot', async () => i, { detail: { i } });
    expect(journal.calls().map((c) => c.detail?.i)).toEqual([2, 3, 4]);
  });
});
