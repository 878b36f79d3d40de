/**
 * The search's vocabulary: every single fault it may inject, for a scenario. Built from the fleet, the plans of the
 * schedule and the span of the fault-free run (execution 0), never from its lineage, so that the lineage and the
 * random strategies draw from the same set. Time is cut into windows: the span of the fault-free run from its
 * first plan's start to its last plan's end, in WINDOWS equal windows of whole minutes; each fault lasts one
 * window (a controller crash happens in its middle and keeps the controller down for CRASH_DOWN_S).
 */
import type { Fault, FaultKind } from '../model/definitions.js';
import { formatDuration } from '../model/duration.js';
import type { Support } from './lineage.js';

export const WINDOWS = 12;
export const CRASH_DOWN_S = 30;
/** The factor of a propagation-slow fault in the vocabulary. */
export const PROPAGATION_FACTOR = 4;
/** What a receiver keeps of its capacity under a capacity fault, and the links under a backbone fault. */
export const CAPACITY_FRACTION = 0.7;
export const BACKBONE_FRACTION = 0.5;

/** The fault kinds the search knows how to aim, in the order the vocabulary lists them. */
export const SEARCH_KINDS = [
  'stage-fail',
  'stage-hang',
  'controller-crash',
  'propagation-slow',
  'mechanism',
  'metrics-missing',
  'capacity',
  'datacenter-lost',
  'backbone',
] as const satisfies readonly FaultKind[];
export type SearchKind = (typeof SEARCH_KINDS)[number];

/**
 * The order the lineage strategy tries faults in, among hypotheses of one size: first those against the world the
 * runbook must route around (a stage that fails, a mechanism that errs or hangs, a receiver that loses capacity or
 * vanishes, a cut link), then those the engine is built to absorb — a stage that hangs (its timeout), a slow
 * propagation (pacing waits for it), missing metrics (a hold until they return), a controller crash (the store and a
 * restart). Both kinds are tried before any larger hypothesis; the order only says which come first.
 */
export const KIND_TIER: Readonly<Record<SearchKind, number>> = {
  'stage-fail': 0,
  mechanism: 0,
  capacity: 0,
  'datacenter-lost': 0,
  backbone: 0,
  'stage-hang': 1,
  'propagation-slow': 1,
  'metrics-missing': 1,
  'controller-crash': 1,
};
export const KIND_TIERS = 2;

/** What the vocabulary is built from: the fleet's names, the plans of the schedule, the fault-free span. */
export interface VocabularyBase {
  readonly datacenters: readonly string[];
  readonly services: readonly string[];
  readonly plans: readonly {
    readonly plan: string;
    readonly datacenter: string;
    readonly tasks: readonly string[];
    /** Mechanisms the plan's stages act through. */
    readonly mechanisms: readonly string[];
  }[];
  /** Seconds from the scenario's start. */
  readonly spanFrom: number;
  readonly spanTo: number;
}

/** One fault of the vocabulary, and where it strikes (seconds from the scenario's start). */
export interface Candidate {
  readonly id: number;
  /** Stable text, e.g. `stage-fail evacuate-east:web/edge @20m`. */
  readonly key: string;
  readonly fault: Fault;
  readonly kind: SearchKind;
  readonly target: string;
  readonly from: number;
  readonly to: number;
}

export interface Vocabulary {
  readonly kinds: readonly SearchKind[];
  readonly windowSeconds: number;
  readonly candidates: readonly Candidate[];
}

const overlaps = (c: Candidate, s: Support): boolean => c.from <= s.to && s.from < c.to;

/** Whether the fault could break the support: the same thing, at a time the outcome rested on it. */
export function breaks(c: Candidate, s: Support): boolean {
  switch (c.kind) {
    case 'stage-fail':
    case 'stage-hang':
      return s.kind === 'stage' && s.target === c.target && overlaps(c, s);
    case 'controller-crash':
      return s.kind === 'controller' && s.from <= c.from && c.from < s.to;
    case 'propagation-slow':
      return s.kind === 'propagation' && s.target === c.target && overlaps(c, s);
    case 'mechanism':
      return s.kind === 'mechanism' && c.target.startsWith(`${s.target} `) && overlaps(c, s);
    case 'metrics-missing': {
      if (s.kind !== 'reading' || !overlaps(c, s)) return false;
      const [svc, dc] = c.target.split('/');
      return s.target.startsWith(`${svc}/`) && (dc === '*' || s.target === c.target);
    }
    case 'capacity':
    case 'datacenter-lost':
    case 'backbone':
      return s.kind === 'receiver' && s.target === c.target && overlaps(c, s);
  }
}

/** Every fault of the given kinds for the scenario; ids are their index. */
export function buildVocabulary(base: VocabularyBase, kinds: readonly SearchKind[] = SEARCH_KINDS): Vocabulary {
  const span = Math.max(60, base.spanTo - base.spanFrom);
  const windowSeconds = Math.max(60, Math.ceil(span / WINDOWS / 60) * 60);
  const windows: number[] = [];
  for (let at = base.spanFrom; at < base.spanTo || windows.length === 0; at += windowSeconds) windows.push(at);
  const out: Omit<Candidate, 'id'>[] = [];
  const add = (
    kind: SearchKind,
    target: string,
    from: number,
    fault: Omit<Fault, 'at' | 'kind'>,
    to = from + windowSeconds,
  ): void => {
    out.push({
      key: `${kind} ${target} @${formatDuration(from * 1000)}`,
      kind,
      target,
      from,
      to,
      fault: { at: formatDuration(from * 1000), kind, ...fault },
    });
  };
  const duration = formatDuration(windowSeconds * 1000);
  const mechanisms = [...new Set(base.plans.flatMap((p) => p.mechanisms))].sort();
  for (const kind of SEARCH_KINDS) {
    if (!kinds.includes(kind)) continue;
    for (const w of windows) {
      switch (kind) {
        case 'stage-fail':
        case 'stage-hang':
          for (const p of base.plans)
            for (const task of p.tasks) add(kind, `${p.plan}:${task}`, w, { plan: p.plan, task, duration });
          break;
        case 'controller-crash': {
          const at = w + Math.floor(windowSeconds / 2);
          add(kind, 'controller', at, { duration: formatDuration(CRASH_DOWN_S * 1000) }, at + CRASH_DOWN_S);
          break;
        }
        case 'propagation-slow':
          for (const layer of ['edge', 'cluster'] as const)
            add(kind, layer, w, { layer, factor: PROPAGATION_FACTOR, duration });
          break;
        case 'mechanism':
          for (const m of mechanisms)
            for (const mode of ['error', 'hang'] as const)
              add(kind, `${m} ${mode}`, w, { mechanism: m, mode, duration });
          break;
        case 'metrics-missing':
          for (const svc of base.services) {
            add(kind, `${svc}/*`, w, { service: svc, duration });
            for (const dc of base.datacenters) add(kind, `${svc}/${dc}`, w, { service: svc, datacenter: dc, duration });
          }
          break;
        case 'capacity':
          for (const dc of base.datacenters)
            add(kind, dc, w, { datacenter: dc, capacityFraction: CAPACITY_FRACTION, duration });
          break;
        case 'datacenter-lost':
          for (const dc of base.datacenters) add(kind, dc, w, { datacenter: dc, duration });
          break;
        case 'backbone':
          for (const dc of base.datacenters)
            add(kind, dc, w, { datacenter: dc, capacityFraction: BACKBONE_FRACTION, duration });
          break;
      }
    }
  }
  return {
    kinds: SEARCH_KINDS.filter((k) => kinds.includes(k)),
    windowSeconds,
    candidates: out.map((c, id) => ({ ...c, id })),
  };
}

/** The kinds of `--faults a,b,c`; unknown names are refused by the caller with the list of known ones. */
export function parseKinds(text: string | undefined): { kinds: SearchKind[]; unknown: string[] } {
  if (text === undefined || text.trim() === '' || text.trim() === 'all')
    return { kinds: [...SEARCH_KINDS], unknown: [] };
  const names = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const known = new Set<string>(SEARCH_KINDS);
  return {
    kinds: SEARCH_KINDS.filter((k) => names.includes(k)),
    unknown: names.filter((n) => !known.has(n)),
  };
}
