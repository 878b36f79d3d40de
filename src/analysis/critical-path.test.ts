import { describe, expect, it } from 'vitest';
import { criticalPath } from './critical-path.js';
import { describeWhatIf, whatIfCandidates } from './what-if.js';

describe('criticalPath', () => {
  // a → b → d is the long chain; c runs beside b and has slack.
  const tasks = [
    {
      id: 'a',
      after: [],
      startedAt: 0,
      finishedAt: 10,
      stages: [{ stage: 0, uses: 'traffic.shift', startedAt: 0, finishedAt: 10 }],
    },
    {
      id: 'b',
      after: ['a'],
      startedAt: 10,
      finishedAt: 40,
      stages: [
        { stage: 0, uses: 'wait.for', startedAt: 10, finishedAt: 15 },
        { stage: 1, uses: 'traffic.shift', startedAt: 15, finishedAt: 40 },
      ],
    },
    { id: 'c', after: ['a'], startedAt: 10, finishedAt: 20 },
    { id: 'd', after: ['b', 'c'], startedAt: 40, finishedAt: 50 },
    { id: 'e', after: [], startedAt: 0 },
  ];

  it('follows the dependency that finished last back from the last task', () => {
    const cp = criticalPath(tasks);
    expect(cp.tasks).toEqual(['a', 'b', 'd']);
    expect(cp.waitingSeconds).toBe(0);
  });

  it('gives each task its slack, zero on the chain', () => {
    const cp = criticalPath(tasks);
    expect(cp.slack).toEqual({ a: 0, b: 0, c: 20, d: 0 });
  });

  it('names the longest stage of each critical task', () => {
    expect(criticalPath(tasks).stages.find((s) => s.task === 'b')).toEqual({
      task: 'b',
      stage: 1,
      uses: 'traffic.shift',
      seconds: 25,
    });
  });

  it('counts the time a critical task waited after its dependency', () => {
    const cp = criticalPath([
      { id: 'a', after: [], startedAt: 0, finishedAt: 10 },
      { id: 'b', after: ['a'], startedAt: 25, finishedAt: 30 },
    ]);
    expect(cp.tasks).toEqual(['a', 'b']);
    expect(cp.waitingSeconds).toBe(15);
  });

  it('is empty when nothing finished', () => {
    expect(criticalPath([{ id: 'a', after: [], startedAt: 0 }]).tasks).toEqual([]);
  });
});

describe('what-ifs', () => {
  it('asks about the longest critical tasks first', () => {
    const q = whatIfCandidates(
      'p',
      ['a', 'b', 'd'],
      new Map([
        ['a', 10],
        ['b', 30],
        ['d', 10],
      ]),
      2,
    );
    expect(q.map((x) => x.task)).toEqual(['b', 'a']);
  });

  it('says how much sooner, as a duration, or that another chain bounds it', () => {
    expect(describeWhatIf({ plan: 'p', task: 'b', factor: 0.5 }, 900, 600).sentence).toBe(
      'if b took half as long, p would end 5m sooner',
    );
    expect(describeWhatIf({ plan: 'p', task: 'b', factor: 0.5 }, 900, 890).sentence).toMatch(
      /about the same time \(10s sooner\)/,
    );
    expect(describeWhatIf({ plan: 'p', task: 'b', factor: 0.5 }, 900, null).savedSeconds).toBeNull();
  });
});
