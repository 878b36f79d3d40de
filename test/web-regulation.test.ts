import { describe, expect, it } from 'vitest';
import type { EngineEvent } from '../src/model/events.js';
import { regulationOf } from '../web/src/regulation.js';

const T = Date.UTC(2026, 2, 2, 19, 42, 0);
const base = { runId: 'r1', taskId: 'web/edge', service: 'web', datacenter: 'east', layer: 'edge' as const };

describe("the dashboard's running shift", () => {
  it('reads each resolution as symptom → diagnosis → action → judged effect, newest first', () => {
    const events: EngineEvent[] = [
      {
        type: 'regulation',
        time: T,
        ...base,
        action: 1,
        phase: 'acted',
        symptoms: ['west lost 30.0 % of its capacity', 'west at 117.4 %'],
        diagnosis: 'receivers-lost-capacity',
        resolver: 'move-back',
        detail: 'move 43.0 % of the drain back to east, off west; expects west at or under 85.0 %',
        judgeAt: T + 90_000,
      },
      {
        type: 'regulation',
        time: T + 90_000,
        ...base,
        action: 1,
        phase: 'judged',
        symptoms: [],
        diagnosis: 'receivers-lost-capacity',
        resolver: 'move-back',
        detail: 'west 117.4 % → 83.2 % (expected ≤ 85.0 %)',
        outcome: 'helped',
      },
      {
        type: 'regulation',
        time: T + 100_000,
        ...base,
        action: 2,
        phase: 'acted',
        symptoms: ['central at 89.0 %, above the target 85.0 %'],
        diagnosis: 'step-too-large',
        resolver: 'back-off',
        detail: 'move the last step (11.1 %) back',
        judgeAt: T + 190_000,
      },
    ];
    const lines = regulationOf(events, 'web/edge');
    expect(lines.map((l) => l.text)).toEqual([
      'central at 89.0 %, above the target 85.0 % → step-too-large → back-off #2 (edge): move the last step (11.1 %) ' +
        'back → judged at 19:45:10',
      'west lost 30.0 % of its capacity → receivers-lost-capacity → move-back #1 (edge): move 43.0 % of the drain ' +
        'back to east, off west; expects west at or under 85.0 % → helped: west 117.4 % → 83.2 % (expected ≤ 85.0 %)',
    ]);
    expect(lines[1]?.outcome).toBe('helped');
    expect(regulationOf(events, 'api/edge')).toEqual([]);
  });
});
