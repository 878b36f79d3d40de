/**
 * The derivations of an execution: for each property it kept, the faults of the search's vocabulary that break one
 * of the supports it rested on (a clause of the lineage strategy's formula). Matching every candidate against every
 * support is the costly part of learning from a run, so it is done where the execution ran (a worker thread, a
 * queue worker on another host), which rebuilds the vocabulary from what defines it; the search's own thread then
 * reads short lists of ids instead of whole lineages. Wherever it runs, the same run gives the same lists.
 */
import type { Lineage, Support, SupportKind } from './lineage.js';
import { PROPERTY_NAMES, type PropertyName } from './properties.js';
import {
  breaks,
  buildVocabulary,
  type Candidate,
  type SearchKind,
  type Vocabulary,
  type VocabularyBase,
} from './vocabulary.js';

/** What a vocabulary is built from: the fault-free run's base and the kinds searched. */
export interface VocabularySpec {
  readonly base: VocabularyBase;
  readonly kinds: readonly SearchKind[];
}

/** Per property, the ids of the vocabulary's faults that break one of its supports, in id order. */
export type Derivations = Readonly<Record<PropertyName, readonly number[]>>;

export function derivationsOf(vocabulary: Vocabulary, lineage: Lineage): Derivations {
  const index = candidateIndexOf(vocabulary);
  const marked = new Uint8Array(vocabulary.candidates.length);
  const out = {} as Record<PropertyName, number[]>;
  for (const p of PROPERTY_NAMES) {
    marked.fill(0);
    for (const s of lineage[p])
      for (const c of candidatesFor(index, s)) if (!marked[c.id] && breaks(c, s)) marked[c.id] = 1;
    const ids: number[] = [];
    for (let id = 0; id < marked.length; id++) if (marked[id]) ids.push(id);
    out[p] = ids;
  }
  return out;
}

/**
 * The vocabulary's faults by what they could break, so that each support is matched only against those: a
 * superset of the faults that break it (`breaks` decides), and so exactly the derivations of matching every fault
 * against every support. Keys are a support's kind and the part of its target that `breaks` compares.
 */
type CandidateIndex = ReadonlyMap<string, readonly Candidate[]>;

const indexes = new WeakMap<Vocabulary, CandidateIndex>();
const keyOf = (kind: SupportKind, target: string): string => `${kind} ${target}`;

function candidateIndexOf(vocabulary: Vocabulary): CandidateIndex {
  let index = indexes.get(vocabulary);
  if (index) return index;
  const map = new Map<string, Candidate[]>();
  const add = (key: string, c: Candidate): void => {
    const list = map.get(key);
    if (list) list.push(c);
    else map.set(key, [c]);
  };
  for (const c of vocabulary.candidates) {
    switch (c.kind) {
      case 'stage-fail':
      case 'stage-hang':
        add(keyOf('stage', c.target), c);
        break;
      case 'controller-crash':
        add(keyOf('controller', ''), c);
        break;
      case 'propagation-slow':
        add(keyOf('propagation', c.target), c);
        break;
      case 'mechanism':
        // Broken by a mechanism support whose target and a space begin the fault's target: one per space in it.
        for (let i = c.target.indexOf(' '); i >= 0; i = c.target.indexOf(' ', i + 1))
          add(keyOf('mechanism', c.target.slice(0, i)), c);
        break;
      case 'metrics-missing': {
        // Broken by a reading of the service (a target that begins with the service and a slash).
        const slash = c.target.indexOf('/');
        if (slash >= 0) add(keyOf('reading', c.target.slice(0, slash)), c);
        break;
      }
      case 'capacity':
      case 'datacenter-lost':
      case 'backbone':
        add(keyOf('receiver', c.target), c);
        break;
    }
  }
  index = map;
  indexes.set(vocabulary, index);
  return index;
}

const NONE: readonly Candidate[] = [];

function candidatesFor(index: CandidateIndex, s: Support): readonly Candidate[] {
  switch (s.kind) {
    case 'controller':
      return index.get(keyOf('controller', '')) ?? NONE;
    case 'reading': {
      const slash = s.target.indexOf('/');
      return slash < 0 ? NONE : (index.get(keyOf('reading', s.target.slice(0, slash))) ?? NONE);
    }
    case 'stage':
    case 'propagation':
    case 'mechanism':
    case 'receiver':
      return index.get(keyOf(s.kind, s.target)) ?? NONE;
  }
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
