/**
 * The health manager's contract (Dhalion's detect → diagnose → resolve, for one traffic shift): what it reads, what
 * it remembers between decisions, and what it decides. Pure data: the memory travels in the shift's checkpoint, so
 * a resumed shift decides exactly as the interrupted one would have.
 *
 * detectors.ts turn readings into symptoms, diagnosers.ts symptoms into a cause, resolvers.ts a cause into the
 * resolutions that may help it (ranked by what helped before), and health-manager.ts runs the cycle: judge what
 * settled, detect, diagnose, pick a resolution, record what it expects.
 */
import type { Layer } from '../model/readings.js';
import type {
  DiagnosisKind,
  ResolutionOutcome,
  ResolverKind,
  ResolverStats,
  SymptomKind,
} from '../model/regulation.js';
import type { ReceiverReading } from './reading.js';

export interface HealthInput {
  /** The time of the decision (the run's clock), ms. */
  readonly now: number;
  readonly direction: 'drain' | 'restore';
  readonly layer: Layer;
  readonly service: string;
  /** The datacenter being drained or restored, as read now and before the shift (the reference for "failing"). */
  readonly source?: ReceiverReading;
  readonly sourceBaseline?: ReceiverReading;
  /** The shift reached its target and is kept there (a watch): it never ends by itself. */
  readonly watching: boolean;
  /** Where the moved traffic sits now: the share of it on each receiver (from the tables), summing to 1. */
  readonly movedTo: Readonly<Record<string, number>>;
  /** Requests per second one unit of progress moves now (the load to move scales with demand). */
  readonly volumeNow?: number;
  /** The service's load in every datacenter together, rps (where gradual arrivals are heading, with edge shares). */
  readonly totalLoad?: number;
  /**
   * Every shift this one follows in the plan (its parents) is at its target: it may move traffic on. While one of
   * them has moved traffic back, this one does not grow (callers move again before their callees, as they drained).
   */
  readonly upstreamSettled: boolean;
  /** How moved traffic reaches the receivers: at once, or as its sessions end (a sticky service's new sessions). */
  readonly arrival: 'immediate' | 'gradual';
  /**
   * The source's share of the service's edge traffic (a cluster-layer shift of a user-facing service): while the
   * edge still sends traffic there, what arrives is served at home and the cluster layer does not drain it away.
   */
  readonly sourceEdgeShare?: number;
  /** The plan says the source is failing: traffic never moves back to it. */
  readonly emergency: boolean;
  /** The runbook allows `jobs.start`: more jobs may be started at the receivers. */
  readonly canStartJobs: boolean;
  readonly propagationMs: number;
  readonly settleMs: number;
  /** What earlier runs' judged resolutions say (from the store); empty on a first run. */
  readonly preferences: readonly ResolverStats[];
  /** The manager's memory as the last decision left it; undefined before the first. */
  readonly memory?: HealthMemory;
  /**
   * The services this one calls (directly or through others), read at the same receivers: a caller's step moves its
   * callees' load with its own (callers there call callees there), so a callee over the target there is this
   * shift's to relieve too.
   */
  readonly callees?: readonly CalleeReading[];
  /**
   * Cluster layer: the receivers whose own cluster table (the one that routes what arrives there) the backend has
   * with clusters of the other receivers among its destinations. A route-around may re-weight it: what arrives at a
   * sick receiver (from the edge, from its own callers) then goes on to healthy clusters elsewhere within the cluster
   * propagation, where only the edge (a slower propagation) could move it otherwise.
   */
  readonly divertible?: readonly string[];
  /** Requests per second each receiver's own table sends on to the others (a route-around's), as it set them. */
  readonly diverted?: Readonly<Record<string, number>>;
}

/** A callee of the shift's service, at the shift's receivers. */
export interface CalleeReading {
  readonly service: string;
  /** Its requests per request of the shift's service (the fanouts along the way multiplied). */
  readonly fanout: number;
  readonly receivers: readonly ReceiverReading[];
  /** Its readings at the same receivers before the shift, when they were read. */
  readonly baseline?: readonly ReceiverReading[];
}

export interface Symptom {
  readonly kind: SymptomKind;
  /** The receiver it was seen at (the source for `source-failing`); none for the readings as a whole. */
  readonly at?: string;
  /** How bad, for ordering: utilisation points above the target, or a ratio. */
  readonly severity: number;
  readonly text: string;
  /** A callee's symptom at the receiver (its callers' traffic, this shift's among them, put it there). */
  readonly callee?: {
    readonly service: string;
    readonly fanout: number;
    readonly utilization: number;
    /** Its requests per second (effective) over a margin under the ceiling. */
    readonly excess: number;
  };
}

export interface Diagnosis {
  readonly kind: DiagnosisKind;
  /** The receivers it concerns (the sick ones). */
  readonly receivers: readonly string[];
  /**
   * A receiver is over the target (or heading there, or rising faster than predicted): it must be resolved, and a
   * person is paged when nothing helps. Otherwise (a slow receiver under the target, errors without load) cheap
   * resolutions are tried and the shift otherwise holds, without paging.
   */
  readonly hot: boolean;
  readonly text: string;
  readonly symptoms: readonly Symptom[];
}

/** What a resolution expects once it has propagated and settled: each named receiver at or below a utilisation. */
export interface Expectation {
  readonly below: Readonly<Record<string, number>>;
  /** Utilisation of the same receivers when it acted, to judge a partial improvement. */
  readonly before: Readonly<Record<string, number>>;
  /**
   * Receivers that were failing requests when it acted: the error rate each must be back under (its own before the
   * shift, plus the allowed rise), and what it was. A receiver under the target that still fails requests is not
   * helped.
   */
  readonly errorsBelow?: Readonly<Record<string, number>>;
  readonly errorsBefore?: Readonly<Record<string, number>>;
  /** What a `wait` or `start-jobs` watches instead of utilisation. */
  readonly watch?: 'utilization' | 'capacity' | 'freshness';
  readonly text: string;
}

/**
 * A route-around's traffic, requests per second per receiver datacenter: taken off each sick receiver (`from`), of
 * which `own` through the receiver's own cluster table (what arrives there; the rest is traffic the shift moved there,
 * taken off its own tables), and where it goes (`to`).
 */
export interface Reroute {
  readonly from: Readonly<Record<string, number>>;
  readonly to: Readonly<Record<string, number>>;
  readonly own?: Readonly<Record<string, number>>;
}

/** What a resolution does besides the decision's step, for the stage to carry out (each resolver its own part). */
export interface ResolutionEffects {
  /** route-around: requests per second off each sick receiver and where they go. */
  readonly reroute?: Reroute;
  /** move-back: the receivers to take the weight back from first. */
  readonly takeBackFrom?: readonly string[];
  /** start-jobs: the receivers where jobs start. */
  readonly startJobsAt?: readonly string[];
  /** hold-and-page: the page's message. */
  readonly page?: string;
}

/** A resolution the manager carries out, with what it expects; the decision's step carries the traffic move. */
export interface Resolution extends ResolutionEffects {
  readonly id: number;
  readonly diagnosis: DiagnosisKind;
  readonly resolver: ResolverKind;
  readonly expect: Expectation;
  readonly judgeAt: number;
  /** In words: what it does. */
  readonly text: string;
}

export interface Judgement {
  readonly id: number;
  readonly diagnosis: DiagnosisKind;
  readonly resolver: ResolverKind;
  readonly outcome: ResolutionOutcome;
  readonly text: string;
}

/** A resolution waiting to be judged. */
export interface Pending {
  readonly id: number;
  readonly at: number;
  readonly judgeAt: number;
  readonly diagnosis: DiagnosisKind;
  readonly resolver: ResolverKind;
  readonly expect: Expectation;
}

/** What the manager remembers between decisions (kept in the shift's checkpoint). */
export interface HealthMemory {
  readonly nextId: number;
  readonly pending: readonly Pending[];
  /** Resolvers that did not help, per diagnosis: not tried again for it in this shift. */
  readonly failed: readonly { readonly diagnosis: DiagnosisKind; readonly resolver: ResolverKind }[];
  /** Diagnoses a person was paged about (once each). */
  readonly paged: readonly DiagnosisKind[];
  /**
   * What a moved request costs at the receivers, in warm requests, as measured after the last step (2 until
   * measured: the cold-cache cost the closed loop also assumes).
   */
  readonly cost: number;
  /** Set once a step too large or cold caches were diagnosed: the largest step allowed from then on. */
  readonly stepCap?: number;
  /** The last traffic move: when it was made, and the receivers' utilisation it predicted once arrived. */
  readonly lastMove?: {
    readonly at: number;
    readonly step: number;
    readonly rps: number;
    readonly before: Readonly<Record<string, number>>;
    readonly predicted: Readonly<Record<string, number>>;
    /** Requests per second each receiver was to gain. */
    readonly gain: Readonly<Record<string, number>>;
    readonly sourceLoad?: number;
    /** What it cost has been measured (once, after it arrived). */
    readonly learned?: boolean;
  };
}

export const EMPTY_MEMORY: HealthMemory = { nextId: 1, pending: [], failed: [], paged: [], cost: 2 };

/** What the manager decided, besides the step: for the stage to carry out, record and explain. */
export interface HealthOutcome {
  readonly memory: HealthMemory;
  readonly symptoms: readonly Symptom[];
  readonly diagnosis?: Diagnosis;
  readonly resolution?: Resolution;
  readonly judged: readonly Judgement[];
}

/** The manager's thresholds; the defaults suit the reference fleet and are documented in the pacing README. */
export const HEALTH = {
  /** A receiver rose this many utilisation points above what the last step predicted. */
  risingBy: 0.03,
  /** A receiver's capacity reading this far under its reading before the shift counts as lost capacity. */
  capacityLoss: 0.1,
  /** Readings older than this describe a world the last decision may already have changed. */
  staleMs: 15_000,
  /** Utilisation this much above the target is urgent: act without waiting for a pending judgement. */
  urgentAbove: 0.08,
  /** Over the target by this much counts (less is landing on it, with the readings' noise). */
  overBy: 0.01,
  /**
   * Over the target by this much, with no capacity lost and no step of its own to blame, the receivers are full
   * (demand rose, another shift's traffic arrived): it calls for a resolution too. Less only stops the shift growing.
   */
  fullBy: 0.05,
  /** The source counts as failing with an error rate above this (and above its own before the shift). */
  sourceErrorRate: 0.05,
  /** A receiver's p99 this many times the other receivers' (and 50 ms above) is skewed. */
  skewRatio: 3,
  /** A failing source lets the receivers run up to this utilisation (never past 100 %): fewer requests fail. */
  emergencyCeiling: 0.95,
  /** A resolution lands a sick receiver this far under the target, for noise and rising demand. */
  margin: 0.03,
  /** Partly helped: at least this share of the expected improvement. */
  partly: 0.3,
  /** Judgement tolerance, utilisation points. */
  tolerance: 0.02,
} as const;
