import { describe, expect, it } from 'vitest';
import { derivationsOf, vocabularyOf } from './derivations.js';
import type { Lineage, Support } from './lineage.js';
import { buildVocabulary, type VocabularyBase } from './vocabulary.js';

const base: VocabularyBase = {
  datacenters: ['east', 'west'],
  services: ['web'],
  plans: [{ plan: 'evacuate-east', datacenter: 'east', tasks: ['web/edge'], mechanisms: ['edge'] }],
  spanFrom: 300,
  spanTo: 1020,
};

const none: Support[] = [];
const lineage = (supports: Partial<Record<keyof Lineage, Support[]>>): Lineage => ({
  'plans-succeeded': none,
  'datacenter-drained': none,
  'no-overload': none,
  'failed-requests': none,
  'dependency-order': none,
  'holds-announced': none,
  ...supports,
});

describe('derivations', () => {
  it('lists, per property, the ids of the faults that break one of its supports, in id order', () => {
    const vocabulary = buildVocabulary(base, ['stage-fail', 'capacity']);
    const stage: Support = { kind: 'stage', target: 'evacuate-east:web/edge', from: 300, to: 400 };
    const receiver: Support = { kind: 'receiver', target: 'west', from: 300, to: 1020 };
    const d = derivationsOf(vocabulary, lineage({ 'plans-succeeded': [receiver, stage], 'no-overload': [receiver] }));
    const keys = (ids: readonly number[]) => ids.map((id) => vocabulary.candidates[id]!.key);
    expect(d['plans-succeeded']).toEqual([...d['plans-succeeded']].sort((a, b) => a - b));
    expect(keys(d['plans-succeeded']).some((k) => k.startsWith('stage-fail evacuate-east:web/edge'))).toBe(true);
    expect(keys(d['no-overload']).every((k) => k.startsWith('capacity west'))).toBe(true);
    expect(d['no-overload'].length).toBeGreaterThan(0);
    expect(d['dependency-order']).toEqual([]);
  });

  it('rebuilds the same vocabulary from its spec wherever it runs, once per spec', () => {
    const spec = { base, kinds: ['stage-fail', 'capacity'] as const };
    const v = vocabularyOf(spec);
    expect(v.candidates.map((c) => c.key)).toEqual(buildVocabulary(base, spec.kinds).candidates.map((c) => c.key));
    expect(vocabularyOf({ ...spec })).toBe(v);
  });
});
