/**
 * The derivations of an execution: for each property it kept, the faults of the search's vocabulary that break one
 * of the supports it rested on (a clause of the lineage strategy's formula). Matching every candidate against every
 * support is the costly part of learning from a run, so it is done where the execution ran (a worker thread, a
 * queue worker on another host), which rebuilds the vocabulary from what defines it; the search's own thread then
 * reads short lists of ids instead of whole lineages. Wherever it runs, the same run gives the same lists.
 */
import type { Lineage } from './lineage.js';
import { PROPERTY_NAMES, type PropertyName } from './properties.js';
import { breaks, buildVocabulary, type SearchKind, type Vocabulary, type VocabularyBase } from './vocabulary.js';

/** What a vocabulary is built from: the fault-free run's base and the kinds searched. */
export interface VocabularySpec {
  readonly base: VocabularyBase;
  readonly kinds: readonly SearchKind[];
}

/** Per property, the ids of the vocabulary's faults that break one of its supports, in id order. */
export type Derivations = Readonly<Record<PropertyName, readonly number[]>>;

export function derivationsOf(vocabulary: Vocabulary, lineage: Lineage): Derivations {
  const out = {} as Record<PropertyName, number[]>;
  for (const p of PROPERTY_NAMES) {
    const supports = lineage[p];
    out[p] = vocabulary.candidates.filter((c) => supports.some((s) => breaks(c, s))).map((c) => c.id);
  }
  return out;
}

const built = new Map<string, Vocabulary>();

/** The spec's vocabulary, built once per process or thread (every job of a search carries the same spec). */
export function vocabularyOf(spec: VocabularySpec): Vocabulary {
  const key = JSON.stringify(spec);
  let v = built.get(key);
  if (!v) {
    v = buildVocabulary(spec.base, spec.kinds);
    if (built.size > 8) built.clear();
    built.set(key, v);
  }
  return v;
}
