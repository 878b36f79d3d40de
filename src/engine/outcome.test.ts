import { describe, expect, it } from 'vitest';
import type { Stage } from '../model/definitions.js';
import { MaelstromError, toMaelstromError } from '../model/errors.js';
import { consequenceOf, endOfThrow, nextStage } from './outcome.js';

const stages: Stage[] = [
  { name: 'act', uses: 'config.set', next: { failure: 'recover', timeout: 'end' } },
  { name: 'recover', uses: 'config.set' },
  { name: 'last', uses: 'config.set' },
];

describe('stage outcomes', () => {
  it('routes the world’s outcomes by the runbook’s next, and fails an unrouted failure', () => {
    expect(consequenceOf(stages, 0, 'act', { kind: 'success' })).toEqual({ kind: 'continue', stage: 1 });
    expect(consequenceOf(stages, 0, 'act', { kind: 'failure', detail: 'refused' })).toEqual({
      kind: 'continue',
      stage: 1,
    });
    expect(consequenceOf(stages, 0, 'act', { kind: 'timeout' })).toEqual({ kind: 'continue', stage: 3 });
    expect(consequenceOf(stages, 1, 'recover', { kind: 'failure', detail: 'refused' })).toEqual({
      kind: 'fail',
      system: false,
      reason: 'stage recover ended with failure: refused',
    });
  });

  it('fails a stage’s bug even where next routes failures, and says it is a bug', () => {
    const c = consequenceOf(stages, 0, 'act', { kind: 'internal', detail: 'E_INTERNAL: x is undefined' });
    expect(c).toMatchObject({ kind: 'fail', system: true });
    expect(c.kind === 'fail' && c.reason).toMatch(
      /internal error.*no runbook route applies\): E_INTERNAL: x is undefined/,
    );
  });

  it('tells a bug (any unknown throw) from the world’s failures and from a timeout', () => {
    expect(endOfThrow(toMaelstromError(new TypeError('x is undefined')), false)).toEqual({
      kind: 'internal',
      detail: 'E_INTERNAL: x is undefined',
    });
    expect(endOfThrow(new MaelstromError('E_BACKEND', 'haproxy said no'), false)).toEqual({
      kind: 'failure',
      detail: 'E_BACKEND: haproxy said no',
    });
    expect(endOfThrow(new MaelstromError('E_TIMEOUT', 'stage act timed out'), true)).toEqual({
      kind: 'timeout',
      detail: 'stage act timed out',
    });
  });

  it('sends next: end to the post-conditions and an unknown target nowhere', () => {
    expect(nextStage(stages, 0, 'timeout')).toBe(stages.length);
    expect(nextStage([{ uses: 'config.set', next: { failure: 'nowhere' } }], 0, 'failure')).toBeUndefined();
    expect(nextStage(stages, 2, 'success')).toBe(3);
  });
});
