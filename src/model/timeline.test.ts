import { describe, expect, it } from 'vitest';
import { hlcAtTime, hlcOf } from './hlc.js';
import { cutAt, mergeTimelines, parseInstant, type TimelineEvent } from './timeline.js';

const T0 = Date.parse('2026-03-02T16:00:00Z');
const at = (ms: number, logical = 0): string => hlcOf(T0 + ms, logical).toString();
const ev = (
  ms: number,
  fields: { readonly type: string; readonly source?: string; readonly [field: string]: unknown },
): TimelineEvent => ({
  source: 'controller',
  ...fields,
  hlc: at(ms),
  wall: T0 + ms,
});

const journal: TimelineEvent[] = [
  ev(0, {
    type: 'run.created',
    runId: 'r1',
    plan: 'evacuate-east',
    state: 'pending',
    tasks: [
      { id: 'web/edge', state: 'pending', stage: 0 },
      { id: 'api/edge', state: 'pending', stage: 0 },
    ],
  }),
  ev(10, { type: 'run.state', runId: 'r1', plan: 'evacuate-east', state: 'running' }),
  ev(20, { type: 'task.state', runId: 'r1', taskId: 'web/edge', state: 'running', stage: 0 }),
  ev(30, { type: 'stage.start', runId: 'r1', taskId: 'web/edge', stage: 0, uses: 'traffic.shift' }),
  ev(40, {
    type: 'shift.step',
    runId: 'r1',
    taskId: 'web/edge',
    layer: 'edge',
    service: 'web',
    datacenter: 'east',
    remaining: 0.5,
  }),
  ev(50, { type: 'health', runId: 'r1', taskId: 'web/edge', check: 'errors', ok: false }),
  ev(60, { type: 'operator', runId: 'r1', action: 'pause', actor: 'alice', reason: 'look' }),
  ev(70, { type: 'health', runId: 'r1', taskId: 'web/edge', check: 'errors', ok: true }),
  ev(80, {
    type: 'shift.step',
    runId: 'r1',
    taskId: 'web/edge',
    layer: 'edge',
    service: 'web',
    datacenter: 'east',
    remaining: 0,
  }),
  ev(90, { type: 'task.state', runId: 'r1', taskId: 'web/edge', state: 'succeeded', stage: 1 }),
];

describe('the cut of the timeline at an instant', () => {
  it('holds every run and task state, weights, last health verdicts and operator actions up to the instant', () => {
    const cut = cutAt(journal, hlcAtTime(T0 + 55));
    expect(cut.at).toBe(new Date(T0 + 55).toISOString());
    expect(cut.runs).toEqual([
      {
        id: 'r1',
        plan: 'evacuate-east',
        state: 'running',
        tasks: [
          { id: 'web/edge', state: 'running', stage: 0 },
          { id: 'api/edge', state: 'pending', stage: 0 },
        ],
      },
    ]);
    expect(cut.weights).toEqual({ web: { edge: { east: 0.5 } } });
    expect(cut.health).toMatchObject([{ check: 'errors', ok: false }]);
    expect(cut.operator).toEqual([]);
    expect(cut.eventCount).toBe(6);

    const later = cutAt(journal, hlcAtTime(T0 + 1000));
    expect(later.runs[0]!.tasks[0]).toEqual({ id: 'web/edge', state: 'succeeded', stage: 1 });
    expect(later.weights).toEqual({ web: { edge: { east: 0 } } });
    expect(later.health).toMatchObject([{ check: 'errors', ok: true }]);
    expect(later.operator).toMatchObject([{ action: 'pause', actor: 'alice', runId: 'r1', reason: 'look' }]);
  });

  it('before anything happened is empty', () => {
    const cut = cutAt(journal, hlcAtTime(T0 - 1));
    expect(cut.runs).toEqual([]);
    expect(cut.eventCount).toBe(0);
  });

  it("takes the fleet's weights from the backend's journal of calls", () => {
    const act = ev(45, {
      source: 'sim',
      type: 'act',
      kind: 'weights.set',
      action: { kind: 'weights.set', layer: 'edge', service: 'web', source: 'nyc', weights: { east: 1, west: 3 } },
    });
    const failed = { ...ev(46, { source: 'sim', type: 'act', action: act.action, error: { code: 'E_TIMEOUT' } }) };
    const cut = cutAt(mergeTimelines(journal, [act, failed]), hlcAtTime(T0 + 50));
    expect(cut.backendWeights).toEqual({ web: { edge: { nyc: { east: 1, west: 3 } } } });
  });

  it('takes the weights in effect from the simulator’s own journal, once propagated, not before', () => {
    const effective = ev(60, {
      source: 'sim',
      type: 'weights.effective',
      layer: 'edge',
      service: 'web',
      from: 'nyc',
      weights: { east: 0, west: 1 },
    });
    expect(cutAt([effective], hlcAtTime(T0 + 59)).effectiveWeights).toEqual({});
    expect(cutAt([effective], hlcAtTime(T0 + 60)).effectiveWeights).toEqual({
      web: { edge: { nyc: { east: 0, west: 1 } } },
    });
  });

  it('merges sources in HLC order, ties by source', () => {
    const a = { ...ev(5, { type: 'x' }), source: 'sim' };
    const b = { ...ev(5, { type: 'y' }), source: 'controller' };
    expect(mergeTimelines([a], [b]).map((e) => e.source)).toEqual(['controller', 'sim']);
  });

  it('reads an instant as a time (the end of its millisecond, or its start) or an HLC, and refuses anything else', () => {
    expect(parseInstant('2026-03-02T16:00:00Z')).toBe(hlcAtTime(T0));
    expect(parseInstant(String(T0), '--from', 'start')).toBe(hlcOf(T0, 0));
    expect(parseInstant(at(5, 3))).toBe(hlcOf(T0 + 5, 3));
    expect(() => parseInstant('yesterday')).toThrow(expect.objectContaining({ code: 'E_BAD_REQUEST' }) as Error);
  });
});
