/**
 * A plan compiled into a task DAG: what `maelstrom plan` prints and what the engine runs.
 * Everything here is plain data (JSON-serialisable) so that it can be stored with a run and sent over the API.
 */
import { z } from 'zod';
import type { Condition, Direction, Pacing, ParamValue, Stage, TrafficType } from './definitions.js';

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
  /** Expected duration in ms, for the predicted critical path before history exists. */
  readonly expectedMs: number;
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
  /** Predicted critical path (task ids) from expected durations. */
  readonly criticalPath: readonly string[];
  readonly predictedMs: number;
  /** The plan that undoes this one, when the definitions have it. */
  readonly restorePlan?: string;
}
