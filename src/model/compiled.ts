/**
 * A plan compiled into a task DAG: what `maelstrom plan` prints and what the engine runs.
 * Everything here is plain data (JSON-serialisable) so that it can be stored with a run and sent over the API.
 */
import { z } from 'zod';
import type { Condition, DependencyKind, Direction, Pacing, ParamValue, Stage, TrafficType } from './definitions.js';

/** One dependency of the fleet: `caller` depends on `callee` (`web → feed rpc`). */
export interface DependencyLink {
  readonly caller: string;
  readonly callee: string;
  readonly kind: DependencyKind;
  readonly weak: boolean;
}

/** Why a task waits for another: a step of its own runbook, or the dependencies between their services. */
export type WaitReason =
  | { readonly kind: 'runbook'; readonly runbook: string }
  | {
      readonly kind: 'dependency';
      /** A chain of links from the earlier task's service to the later one's (several when carried across others). */
      readonly chain: readonly DependencyLink[];
      /** The two services move as one unit with others (a dependency cycle): the link is between its members. */
      readonly unit?: boolean;
    };

/** One task a task waits for, and why. */
export interface TaskWait {
  readonly after: string;
  readonly weak: boolean;
  readonly because: WaitReason;
}

/** A task of a compiled plan, named `<service>/<task>`. */
export interface PlannedTask {
  readonly id: string;
  readonly service: string;
  readonly runbook: string;
  readonly task: string;
  readonly template: string;
  /** Task ids that must be done before this one starts (within the runbook and across services). */
  readonly after: readonly string[];
  /** Of `after`, the ids whose edge comes from a weak dependency (an operator may override these). */
  readonly weakAfter: readonly string[];
  /** The template's parameters, bound (defaults applied, `${{ }}` of the runbook resolved). */
  readonly params: Readonly<Record<string, ParamValue>>;
  /** The template's stages; `with` values may still hold `${{ }}` to be resolved at run time. */
  readonly stages: readonly Stage[];
  readonly health: readonly Condition[];
  readonly pre: readonly Condition[];
  readonly post: readonly Condition[];
  /** Expected duration in ms, for the estimated critical path before history exists. */
  readonly expectedMs: number;
  /** Why the expected duration is shorter than its stages' defaults (e.g. its callers have left first). */
  readonly expectedNote?: string;
  /** For each task of `after`, why this one waits for it (what `maelstrom plan --explain` prints). */
  readonly waits?: readonly TaskWait[];
  /** Priority class among ready tasks: lower runs first (user-facing 0, sticky 1, replication 2, stateful 3, other 4). */
  readonly priority: number;
  readonly trafficType: TrafficType;
  readonly userFacing: boolean;
}

/** One service of a pre-flight check: whether the others absorb its load (a drain) or it carries it again (a restore). */
export const PreflightService = z.strictObject({
  service: z.string(),
  /** Peak load the service carries in the datacenter being drained (requests per second). */
  load: z.number().meta({ description: 'Peak load to move, in requests per second' }),
  /** Capacity of the other datacenters at the target utilisation, less their own peak load. */
  headroom: z
    .number()
    .meta({ description: 'Capacity of the receivers at the target utilisation, less their own load' }),
  /**
   * Utilisation the receivers would reach at peak with the datacenter drained (load spread by headroom); `null`
   * when no other datacenter runs the service, so that there is no receiver to name a figure for.
   */
  utilizationAfter: z
    .number()
    .nullable()
    .meta({ description: 'Peak utilisation of the receivers afterwards; null when no other datacenter runs it' }),
  ok: z.boolean(),
  reason: z.string().optional(),
});
export type PreflightService = z.infer<typeof PreflightService>;

export const Preflight = z.strictObject({
  ok: z.boolean(),
  targetUtilization: z.number(),
  services: z.array(PreflightService),
});
export type Preflight = z.infer<typeof Preflight>;

export interface CompiledPlan {
  readonly plan: string;
  readonly fleet: string;
  readonly direction: Direction;
  readonly datacenter: string;
  readonly concurrency: number;
  readonly pacing: Pacing;
  readonly stuckPercentile: number;
  /** Tasks in a topological order. */
  readonly tasks: readonly PlannedTask[];
  /** Tasks grouped by the earliest wave in which they can run. */
  readonly waves: readonly (readonly string[])[];
  /** Highly connected components (service names). */
  readonly hccs: readonly string[];
  /** The same, grouped: one group per dependency cycle (moved as one unit), one per widely shared service. */
  readonly hccGroups?: readonly (readonly string[])[];
  readonly preflight: Preflight;
  /** Estimated critical path (task ids) from expected durations. */
  readonly criticalPath: readonly string[];
  /**
   * The estimate of how long the plan takes with unlimited concurrency: the length of that path. An estimate, not a
   * bound: a pacer that finds more headroom, or sessions that end before their grace, make a run faster.
   */
  readonly estimateMs: number;
  /** The plan that undoes this one, when the definitions have it. */
  readonly restorePlan?: string;
}
