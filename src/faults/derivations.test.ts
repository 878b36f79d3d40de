import { describe, expect, it } from 'vitest';
import { derivationsOf, vocabularyOf } from './derivations.js';
import type { Lineage, Support } from './lineage.js';
import { PROPERTY_NAMES } from './properties.js';
import { breaks, buildVocabulary, type VocabularyBase } from './vocabulary.js';

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

  it('are exactly the faults that break some support, matching every fault against every support', () => {
    const vocabulary = buildVocabulary({ ...base, services: ['web', 'db'] });
    const supports: Support[] = [
      { kind: 'stage', target: 'evacuate-east:web/edge', from: 250, to: 500 },
      { kind: 'controller', target: 'controller', from: 300, to: 900 },
      { kind: 'propagation', target: 'edge', from: 400, to: 460 },
      { kind: 'mechanism', target: 'edge', from: 300, to: 700 },
      { kind: 'mechanism', target: 'edge error', from: 300, to: 700 },
      { kind: 'reading', target: 'web/east', from: 300, to: 1020 },
      { kind: 'reading', target: 'db/west', from: 800, to: 900 },
      { kind: 'reading', target: 'web', from: 300, to: 1020 },
      { kind: 'receiver', target: 'west', from: 600, to: 1020 },
    ];
    const l = lineage({
      'plans-succeeded': supports,
      'no-overload': supports.slice(4),
      'holds-announced': [supports[1]!],
    });
    const d = derivationsOf(vocabulary, l);
    for (const p of PROPERTY_NAMES) {
      const all = vocabulary.candidates.filter((c) => l[p].some((s) => breaks(c, s))).map((c) => c.id);
      expect(d[p]).toEqual(all);
    }
    expect(d['plans-succeeded'].length).toBeGreaterThan(20);
  });

  it('rebuilds the same vocabulary from its spec wherever it runs, once per spec', () => {
    const spec = { base, kinds: ['stage-fail', 'capacity'] as const };
    const v = vocabularyOf(spec);
    expect(v.candidates.map((c) => c.key)).toEqual(buildVocabulary(base, spec.kinds).candidates.map((c) => c.key));
    expect(vocabularyOf({ ...spec })).toBe(v);
  });
});
