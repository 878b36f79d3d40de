/**
 * The vocabulary of self-regulating drains (Dhalion's detect → diagnose → resolve): the symptoms the health manager
 * detects, the causes it diagnoses, the resolutions it tries, and how each was judged. The pacing layer decides with
 * them, the stages carry the decisions out, the store keeps the judgements so that later runs prefer what worked,
 * and the report and the dashboard explain every decision with them.
 */

/** What a detector sees, at one receiver (or the source, or the readings themselves). */
export const SYMPTOMS = [
  'over-target',
  'overloaded',
  'rising-faster',
  'capacity-down',
  'errors-up',
  'latency-up',
  'skewed',
  'errors-without-load',
  'stale',
  'missing',
  'no-response',
  'reconnect-storm',
  'source-failing',
] as const;
export type SymptomKind = (typeof SYMPTOMS)[number];

/** A cause a diagnoser names for a set of symptoms. */
export const DIAGNOSES = [
  'receivers-lost-capacity',
  'receivers-full',
  'slow-receiver',
  'step-too-large',
  'cold-caches',
  'metric-lag',
  'backbone-saturated',
  'reconnect-storm',
] as const;
export type DiagnosisKind = (typeof DIAGNOSES)[number];

/**
 * What a resolver does about a diagnosis:
 * - `back-off`: move the last step back; `shrink-step`: smaller steps from now on;
 * - `move-back`: move traffic back to the source (healthy, in a routine drain) off the receivers that cannot take it;
 * - `route-around`: re-weight traffic away from a sick receiver toward the others, within their headroom;
 * - `wait`: hold while the cause passes by itself (caches warming, readings catching up);
 * - `slow-teardown`: tear sessions down more slowly (fewer reconnects at once);
 * - `start-jobs`: start more jobs at the receivers (only where the runbook allows `jobs.start`);
 * - `hold-and-page`: stop moving and page a person: nothing else is left to try.
 */
export const RESOLVERS = [
  'back-off',
  'shrink-step',
  'move-back',
  'route-around',
  'wait',
  'slow-teardown',
  'start-jobs',
  'hold-and-page',
] as const;
export type ResolverKind = (typeof RESOLVERS)[number];

/** How a resolution was judged once its effect had propagated and settled. */
export const OUTCOMES = ['helped', 'partly', 'not-helped'] as const;
export type ResolutionOutcome = (typeof OUTCOMES)[number];

/** One judged resolution, as the store keeps it. */
export interface ResolverRecord {
  /** When it was judged, ms since the epoch (the run's clock). */
  readonly time: number;
  readonly runId: string;
  readonly taskId: string;
  readonly service: string;
  /** The datacenter being drained or restored. */
  readonly datacenter: string;
  readonly diagnosis: DiagnosisKind;
  readonly resolver: ResolverKind;
  readonly outcome: ResolutionOutcome;
  /** What was expected and what was measured, in words. */
  readonly detail?: string;
}

/** How often a resolver was tried for a diagnosis, and how often it helped, over the records kept. */
export interface ResolverStats {
  readonly diagnosis: DiagnosisKind;
  readonly resolver: ResolverKind;
  readonly tried: number;
  readonly helped: number;
  /** Of `tried`, judged `partly`. */
  readonly partly: number;
}

/** Where resolver records are kept (the store); stages reach it through their context. */
export interface ResolverRecords {
  record(record: ResolverRecord): Promise<void>;
  /** Statistics over every run's records (optionally one service's), to rank resolvers by what worked. */
  stats(options?: { readonly service?: string }): Promise<readonly ResolverStats[]>;
}
