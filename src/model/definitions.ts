/**
 * The definition format, `apiVersion: maelstrom/v1`: Fleet, TaskTemplate, Runbook, Plan, Scenario and Schedule (drain
 * tests as a practice); Trigger and Notifier (people in the loop: alerts in, messages out).
 * Objects are strict so that a misspelt key is an error at its own line rather than a silent default.
 * Durations stay strings here (see duration.ts); expressions stay strings and are compiled by load/.
 */
import { z } from 'zod';
import { DURATION_PATTERN } from './duration.js';

export const API_VERSION = 'maelstrom/v1';

export const Name = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/, 'a name is lower-case letters, digits, dots and dashes');
export type Name = z.infer<typeof Name>;

export const Duration = z.string().regex(new RegExp(DURATION_PATTERN), 'a duration such as 90s, 5m, 1h30m');
export type Duration = z.infer<typeof Duration>;

/** A CEL expression (without `${{ }}`). */
export const Expr = z.string().min(1);

export const Metadata = z.strictObject({
  name: Name,
  description: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
});
export type Metadata = z.infer<typeof Metadata>;

/** A definitions document of `kind`: the envelope every kind shares (apiVersion, kind, metadata) around its spec. */
function definitionDocument<const K extends string, S extends z.ZodType>(kind: K, spec: S) {
  return z.strictObject({ apiVersion: z.literal(API_VERSION), kind: z.literal(kind), metadata: Metadata, spec });
}

// ---------------------------------------------------------------------------------------------- Fleet

export const TrafficType = z.enum(['stateless', 'sticky', 'replication', 'stateful']);
export type TrafficType = z.infer<typeof TrafficType>;

export const DependencyKind = z.enum(['rpc', 'bootstrap', 'state']);
export type DependencyKind = z.infer<typeof DependencyKind>;

export const Dependency = z.strictObject({
  service: Name,
  kind: DependencyKind,
  /** Calls to the dependency per request served (rpc and state). */
  fanout: z.number().nonnegative().optional(),
  /** A weak dependency only costs latency or capacity when its order is broken; an operator may override it. */
  weak: z.boolean().optional(),
});
export type Dependency = z.infer<typeof Dependency>;

export const Datacenter = z.strictObject({
  name: Name,
  clusters: z.array(Name).min(1),
  description: z.string().optional(),
  /**
   * Capacity of the backbone links into the datacenter (from the PoPs and the other datacenters), in request units
   * per second: what user requests, cross-datacenter calls, replication and shard moves share. By default half the
   * summed capacity of the services it runs.
   */
  backbone: z.number().positive().optional(),
});
export type Datacenter = z.infer<typeof Datacenter>;

export const Pop = z.strictObject({
  name: Name,
  /** Share of global user demand entering here; the shares of all PoPs sum to 1. */
  share: z.number().min(0).max(1),
  /** Default edge weights: how this PoP splits user traffic across datacenters. */
  weights: z.record(Name, z.number().nonnegative()),
});
export type Pop = z.infer<typeof Pop>;

export const Session = z.strictObject({ meanDuration: Duration });
export const Replication = z.strictObject({
  source: Name,
  applyDelay: Duration.optional(),
  /**
   * The long-haul link the replication traffic crosses (`maelstrom link … --name NAME`): its metrics carry
   * `link="NAME"`, so a drain can be read against the link's recovered and unrecoverable packets.
   */
  link: Name.optional(),
});
export const Stateful = z.strictObject({
  primary: Name,
  replicas: z.array(Name),
  catchUp: Duration.optional(),
  writeOutage: Duration.optional(),
  shards: z.number().int().positive().optional(),
});

export const Service = z.strictObject({
  name: Name,
  type: TrafficType,
  userFacing: z.boolean().optional(),
  description: z.string().optional(),
  /** Global peak of user requests per second (user-facing services). */
  demand: z.number().nonnegative().optional(),
  /** Requests per second at 100 % utilisation, per datacenter where the service runs. */
  capacity: z.record(Name, z.number()),
  dependsOn: z.array(Dependency).optional(),
  session: Session.optional(),
  replication: Replication.optional(),
  stateful: Stateful.optional(),
  /** PromQL per catalogue function, overriding the metrics source's default query for this service. */
  queries: z.record(z.string(), z.string()).optional(),
});
export type Service = z.infer<typeof Service>;

export const FleetSpec = z.strictObject({
  datacenters: z.array(Datacenter).min(1),
  pops: z.array(Pop).min(1),
  services: z.array(Service).min(1),
});

export const Fleet = definitionDocument('Fleet', FleetSpec);
export type Fleet = z.infer<typeof Fleet>;

// ------------------------------------------------------------------------------------ TaskTemplate

export const ParamType = z.enum(['string', 'number', 'boolean', 'duration', 'service', 'datacenter', 'cluster', 'pop']);
export type ParamType = z.infer<typeof ParamType>;

export const ParamValue = z.union([z.string(), z.number(), z.boolean()]);
export type ParamValue = z.infer<typeof ParamValue>;

export const ParamSpec = z.strictObject({
  type: ParamType,
  enum: z.array(ParamValue).optional(),
  default: ParamValue.optional(),
  description: z.string().optional(),
});
export type ParamSpec = z.infer<typeof ParamSpec>;

export const Params = z.record(
  z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a parameter name is an identifier'),
  ParamSpec,
);
export type Params = z.infer<typeof Params>;

export const StageKind = z.enum([
  'traffic.shift',
  'sessions.drain',
  'jobs.restart',
  'jobs.stop',
  'jobs.start',
  'replication.repoint',
  'replication.replica',
  'stateful.promote',
  'shards.migrate',
  'config.set',
  'alerts.suppress',
  'wait.until',
  'wait.for',
  'approval',
  'http.call',
  'command.run',
]);
export type StageKind = z.infer<typeof StageKind>;

/** Where a stage goes next for an outcome: another stage's name, or the end of the task. */
export const StageOutcome = z.enum(['success', 'failure', 'timeout']);
export type StageOutcome = z.infer<typeof StageOutcome>;

export const Stage = z.strictObject({
  name: Name.optional(),
  /** Checked against the stage library by lint, so that an unknown stage is reported at its line. */
  uses: z.string(),
  with: z.record(z.string(), z.unknown()).optional(),
  next: z.partialRecord(StageOutcome, z.string()).optional(),
  timeout: Duration.optional(),
  description: z.string().optional(),
});
export type Stage = z.infer<typeof Stage>;

export const Condition = z.strictObject({
  name: z.string().optional(),
  expr: Expr,
  message: z.string().optional(),
});
export type Condition = z.infer<typeof Condition>;

export const TaskTemplate = definitionDocument(
  'TaskTemplate',
  z.strictObject({
    params: Params.optional(),
    stages: z.array(Stage).min(1),
    health: z.array(Condition).optional(),
    pre: z.array(Condition).optional(),
    post: z.array(Condition).optional(),
    /** Used for the estimated critical path before any history exists. */
    expectedDuration: Duration.optional(),
  }),
);
export type TaskTemplate = z.infer<typeof TaskTemplate>;

// ----------------------------------------------------------------------------------------- Runbook

export const Direction = z.enum(['drain', 'restore']);
export type Direction = z.infer<typeof Direction>;

export const RunbookTask = z.strictObject({
  name: Name,
  template: Name,
  with: z.record(z.string(), z.unknown()).optional(),
  after: z.array(Name).optional(),
  description: z.string().optional(),
});
export type RunbookTask = z.infer<typeof RunbookTask>;

export const Runbook = definitionDocument(
  'Runbook',
  z.strictObject({
    direction: Direction,
    params: Params.optional(),
    tasks: z.array(RunbookTask).min(1),
  }),
);
export type Runbook = z.infer<typeof Runbook>;

// -------------------------------------------------------------------------------------------- Plan

/**
 * How traffic shifts are paced: `self-regulating` (the default: the closed loop with a health manager that detects,
 * diagnoses and resolves trouble at the receivers), `closed-loop` (headroom-sized steps, backing off a step when a
 * receiver degrades), `fixed` (the classic schedule) or `oracle` (simulator only: knows the true capacities).
 */
export const PacingMode = z.enum(['self-regulating', 'closed-loop', 'fixed', 'oracle']);
export type PacingMode = z.infer<typeof PacingMode>;

export const Pacing = z.strictObject({
  mode: PacingMode.default('self-regulating'),
  /** Receivers are kept at or below this utilisation. */
  targetUtilization: z.number().gt(0).lte(1).default(0.85),
  /** Observe this long after each step (after propagation) before the next. */
  settle: Duration.default('60s'),
  /** Closed loop: the first step, as a fraction of the traffic to move; deliberately small. */
  firstStep: z.number().gt(0).lte(1).optional(),
  /** Closed loop: never move more than this fraction of the traffic in one step. */
  maxStep: z.number().gt(0).lte(1).optional(),
  /** Fixed: the fraction moved per step (default 0.1) and the interval between steps (default 5m). */
  step: z.number().gt(0).lte(1).optional(),
  interval: Duration.optional(),
  /**
   * Self-regulating: the datacenter is failing (an emergency evacuation). Traffic is never moved back to it, and
   * receivers may run above the target (never past 100 %) rather than leave requests to fail there. Without it the
   * health manager still treats a source whose own readings show it failing the same way.
   */
  emergency: z.boolean().optional(),
});
export type Pacing = z.infer<typeof Pacing>;

export const RunbookRule = z.strictObject({
  match: z.strictObject({
    type: TrafficType.optional(),
    userFacing: z.boolean().optional(),
    service: Name.optional(),
    services: z.array(Name).optional(),
  }),
  runbook: Name,
  with: z.record(z.string(), z.unknown()).optional(),
});
export type RunbookRule = z.infer<typeof RunbookRule>;

export const Plan = definitionDocument(
  'Plan',
  z.strictObject({
    fleet: Name,
    direction: Direction,
    datacenter: Name,
    services: z.union([z.literal('all'), z.array(Name)]).default('all'),
    runbooks: z.array(RunbookRule).min(1),
    concurrency: z.number().int().positive().default(8),
    pacing: Pacing.default({ mode: 'self-regulating', targetUtilization: 0.85, settle: '60s' }),
    stuck: z.strictObject({ percentile: z.number().gt(0).lte(100).default(75) }).optional(),
    /** The plan that undoes this one; by default the plan of the other direction for the same datacenter. */
    restorePlan: Name.optional(),
  }),
);
export type Plan = z.infer<typeof Plan>;

// ---------------------------------------------------------------------------------------- Scenario

export const LoadCurve = z.strictObject({
  curve: z.enum(['diurnal', 'flat']).default('diurnal'),
  /** Local time of day (UTC) of the daily peak, HH:MM. */
  peak: z
    .string()
    .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time of day such as 20:00')
    .default('20:00'),
  /** Demand at the trough as a fraction of the peak. */
  trough: z.number().min(0).max(1).default(0.5),
  /** Relative standard deviation of seeded noise on demand. */
  noise: z.number().min(0).max(1).default(0),
});
export type LoadCurve = z.infer<typeof LoadCurve>;

/**
 * Faults a scenario injects. Most are of the world (the simulator models them); the stage and controller faults
 * (CONTROLLER_FAULT_KINDS) act at the seam between the engine and its stages, or on the controller itself, and a
 * drill injects them.
 */
export const FaultKind = z.enum([
  'datacenter-lost',
  'capacity',
  'backbone',
  'mechanism',
  'metrics-missing',
  'receiver-slow',
  'metrics-lag',
  'cold-cache',
  'stage-fail',
  'stage-hang',
  'controller-crash',
  'propagation-slow',
]);
export type FaultKind = z.infer<typeof FaultKind>;

/** The fault kinds a drill injects itself rather than the simulated world (see src/drill/stage-faults.ts). */
export const CONTROLLER_FAULT_KINDS = [
  'stage-fail',
  'stage-hang',
  'controller-crash',
] as const satisfies readonly FaultKind[];
export type ControllerFaultKind = (typeof CONTROLLER_FAULT_KINDS)[number];

export const Fault = z.strictObject({
  at: Duration,
  kind: FaultKind,
  datacenter: Name.optional(),
  /** receiver-slow: the one cluster of the datacenter that slows down (default: its first). */
  cluster: Name.optional(),
  service: Name.optional(),
  /** capacity, backbone: what is left (default 0.5); receiver-slow: the cluster's capacity left (default 0.5). */
  capacityFraction: z.number().min(0).max(1).optional(),
  /** receiver-slow: the cluster's latency is this many times what its load alone gives (default 3). */
  latencyFactor: z.number().min(1).optional(),
  /** metrics-lag: readings show the world as it was this long ago (default 1m). */
  delay: Duration.optional(),
  /** cold-cache: a cold request costs this many warm ones (the model's cold-cache factor, normally 2; default 4). */
  coldFactor: z.number().min(1).optional(),
  /** cold-cache: the caches' warm-up time constant (normally 60s; default 10m). */
  warmUp: Duration.optional(),
  /** mechanism faults: which mechanism (edge, cluster, sessions, jobs, replication, promote, shards, config). */
  mechanism: z.string().optional(),
  mode: z.enum(['error', 'hang']).optional(),
  /** stage-fail and stage-hang: the task (`service/task`, as in plans and reports) whose stages fail or hang. */
  task: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]*\/[a-z0-9][a-z0-9.-]*$/, 'a task id such as web/edge')
    .optional(),
  /** stage-fail and stage-hang: only the task in this plan (by default in every plan that has it). */
  plan: Name.optional(),
  /** stage-fail and stage-hang: only this stage of the task, by index from 0 (by default any of its stages). */
  stage: z.number().int().nonnegative().optional(),
  /** propagation-slow: the layer whose weight changes propagate slower (by default both). */
  layer: z.enum(['edge', 'cluster']).optional(),
  /** propagation-slow: how many times longer weight changes take to take effect (default 4). */
  factor: z.number().min(1).optional(),
  /**
   * How long the fault lasts; for ever when absent. controller-crash: how long the controller stays down before
   * it is restarted from its store (at once when absent).
   */
  duration: Duration.optional(),
});
export type Fault = z.infer<typeof Fault>;

export const ScenarioRun = z.strictObject({
  at: Duration.optional(),
  after: Name.optional(),
  wait: Duration.optional(),
  plan: Name,
  /**
   * How long the plan may take from its start. Past it the drill halts the run (as an operator ends a drain test
   * that overran its window) and the plan counts as failed. By default the scenario's end is its deadline.
   */
  deadline: Duration.optional(),
});
export type ScenarioRun = z.infer<typeof ScenarioRun>;

export const Scenario = definitionDocument(
  'Scenario',
  z.strictObject({
    fleet: Name,
    seed: z.number().int().default(1),
    start: z.iso.datetime({ offset: true }),
    duration: Duration,
    load: LoadCurve.default({ curve: 'diurnal', peak: '20:00', trough: 0.5, noise: 0 }),
    propagation: z
      .strictObject({ edge: Duration.default('30s'), cluster: Duration.default('10s') })
      .default({ edge: '30s', cluster: '10s' }),
    faults: z.array(Fault).optional(),
    run: z.array(ScenarioRun).optional(),
    /** What a good outcome of the drill allows (the properties a drain-test report checks, docs/report.md). */
    expect: z
      .strictObject({
        /** Failed requests over the whole drill; by default 0.1 % of all requests. */
        failedRequests: z.number().nonnegative().optional(),
      })
      .optional(),
  }),
);
export type Scenario = z.infer<typeof Scenario>;

// ---------------------------------------------------------------------------------------- Schedule

/** One drain test a schedule may pick: the datacenter, the plan that drains it and the plan that restores it. */
export const ScheduleTest = z.strictObject({
  datacenter: Name,
  drain: Name,
  restore: Name,
});
export type ScheduleTest = z.infer<typeof ScheduleTest>;

/**
 * A time when no test may run: a cron start and a duration (every Friday at 16:00 for 64 hours), or a from/to range
 * (a freeze). Lint says when a window is neither or both.
 */
export const BlockedWindow = z.strictObject({
  name: Name,
  /** Cron (minute hour day-of-month month day-of-week), in the schedule's time zone: when the window opens. */
  cron: z.string().min(1).optional(),
  /** How long it stays open after each cron start. */
  duration: Duration.optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  description: z.string().optional(),
});
export type BlockedWindow = z.infer<typeof BlockedWindow>;

/** A named condition of a schedule (a guard, or an abort condition). */
export const NamedCondition = z.strictObject({
  name: Name,
  expr: Expr,
  message: z.string().optional(),
});
export type NamedCondition = z.infer<typeof NamedCondition>;

export const SchedulePick = z.enum(['least-recently-tested', 'in-order']);
export type SchedulePick = z.infer<typeof SchedulePick>;

/**
 * Routine drain tests: on a cron cadence, the datacenter tested least recently (or the next in order) is drained with
 * its drain plan, kept drained for `holdDrained`, then restored, unless a blocked window, a guard, an incident or the
 * tests' kill switch says otherwise.
 */
export const Schedule = definitionDocument(
  'Schedule',
  z.strictObject({
    fleet: Name,
    /** Cron (minute hour day-of-month month day-of-week): when a test is due. */
    cadence: z.string().min(1),
    /** An IANA time zone (`Europe/Paris`) that the cadence and the cron windows are read in. */
    timeZone: z.string().min(1).default('UTC'),
    pick: SchedulePick.default('least-recently-tested'),
    tests: z.array(ScheduleTest).min(1),
    /** How long a drained datacenter stays drained before its restore starts. */
    holdDrained: Duration.default('30m'),
    /** The longest a test may take, drain to restored: one that would not end before a blocked window does not start. */
    maxDuration: Duration.default('4h'),
    blocked: z.array(BlockedWindow).optional(),
    /** All must hold when a test is due (missing data fails a guard); otherwise the test is skipped. */
    guards: z.array(NamedCondition).optional(),
    /** Watched while a test drains and holds: the first to come true aborts the drain and restores the datacenter. */
    abortWhen: z.array(NamedCondition).optional(),
  }),
);
export type Schedule = z.infer<typeof Schedule>;

// ------------------------------------------------------------------------------- Trigger, Notifier

/** An alert label's name, as Prometheus allows it. */
export const LabelName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a label name such as alertname or datacenter');

/**
 * One condition on a firing alert's labels, as Alertmanager writes them: `=` equal, `!=` not equal, `=~` matches,
 * `!~` does not match (regular expressions are anchored at both ends, as Prometheus anchors them). A label the
 * alert lacks is the empty string.
 */
export const LabelMatcher = z.strictObject({
  label: LabelName,
  op: z.enum(['=', '!=', '=~', '!~']).default('='),
  value: z.string(),
});
export type LabelMatcher = z.infer<typeof LabelMatcher>;

export const TriggerMode = z.enum(['propose', 'start']);
export type TriggerMode = z.infer<typeof TriggerMode>;

/** A firing alert whose labels match `when` proposes (or starts) `plan`. */
export const Trigger = definitionDocument(
  'Trigger',
  z.strictObject({
    fleet: Name,
    /** Every matcher must hold for one firing alert. */
    when: z.array(LabelMatcher).min(1),
    plan: Name,
    /** propose: the run waits for an operator's approval; start: it starts at once (if its pre-flight passes). */
    mode: TriggerMode.default('propose'),
    /** No second run from this trigger within this time of the last one. */
    minInterval: Duration.optional(),
    /** A proposal nobody approved lapses after this long. */
    expireAfter: Duration.default('1h'),
  }),
);
export type Trigger = z.infer<typeof Trigger>;

/**
 * What a notifier may be told: a run proposed, started, blocked or finished (succeeded or failed), aborted (or
 * halted, or its proposal lapsed); a task waiting for an approval, or stuck; a scheduled drain test skipped, or
 * every test halted.
 */
export const NotifyEvent = z.enum([
  'run.proposed',
  'run.started',
  'run.blocked',
  'approval.needed',
  'task.stuck',
  'run.finished',
  'run.aborted',
  'test.skipped',
  'tests.halted',
]);
export type NotifyEvent = z.infer<typeof NotifyEvent>;

/** The name of an environment variable. */
export const EnvName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name such as CHAT_URL');

/**
 * Where messages go. Exactly one of `url` and `urlEnv` (webhook URLs are secrets: keep them in the environment);
 * a signing secret is only ever named, never written here.
 */
export const Notifier = definitionDocument(
  'Notifier',
  z.strictObject({
    url: z.url({ protocol: /^https?$/ }).optional(),
    urlEnv: EnvName.optional(),
    /** slack: Slack's incoming-webhook JSON (text and blocks); json: Maelstrom's own notice. */
    format: z.enum(['slack', 'json']).default('json'),
    events: z.array(NotifyEvent).min(1),
    /** The environment variable holding the HMAC-SHA256 key; the signature goes in X-Maelstrom-Signature. */
    signingSecretEnv: EnvName.optional(),
  }),
);
export type Notifier = z.infer<typeof Notifier>;

// ----------------------------------------------------------------------------------------- Any doc

export const Kind = z.enum(['Fleet', 'TaskTemplate', 'Runbook', 'Plan', 'Scenario', 'Schedule', 'Trigger', 'Notifier']);
export type Kind = z.infer<typeof Kind>;

export const documentSchemas = {
  Fleet,
  TaskTemplate,
  Runbook,
  Plan,
  Scenario,
  Schedule,
  Trigger,
  Notifier,
} as const satisfies Record<Kind, z.ZodType>;

export type Document = Fleet | TaskTemplate | Runbook | Plan | Scenario | Schedule | Trigger | Notifier;

/** Where a definition came from, so that later analyses (lint, plan) can point at its line. */
export interface SourceRef {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /**
   * For a document built in code (a `.ts`/`.mjs` module, or a document given to the loader), whose nodes have no
   * line of their own: the document and the path inside it, e.g. `Runbook/web-drain spec.tasks.1.template`.
   * Messages about the node start with it. (The line is the `define…()` call's, when known.)
   */
  readonly pointer?: string;
}

/** Every definition loaded from a set of files, by kind and name. */
export interface Definitions {
  readonly fleets: ReadonlyMap<string, Fleet>;
  readonly templates: ReadonlyMap<string, TaskTemplate>;
  readonly runbooks: ReadonlyMap<string, Runbook>;
  readonly plans: ReadonlyMap<string, Plan>;
  readonly scenarios: ReadonlyMap<string, Scenario>;
  readonly schedules: ReadonlyMap<string, Schedule>;
  readonly triggers: ReadonlyMap<string, Trigger>;
  readonly notifiers: ReadonlyMap<string, Notifier>;
  /**
   * Position of any node by its path from the document, e.g. `Plan/evacuate-east` + `spec.runbooks.0.runbook`.
   * Returns the document's own position when the path is not found.
   */
  locate(kind: Kind, name: string, path?: readonly (string | number)[]): SourceRef | undefined;
  /** Position of the character at `offset` inside the string at `path`, e.g. a mistake inside an expression. */
  locateText?(kind: Kind, name: string, path: readonly (string | number)[], offset: number): SourceRef | undefined;
}
