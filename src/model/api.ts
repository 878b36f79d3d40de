/**
 * The API's shapes, each written once: the operator commands, the run and task views (with what the current state
 * allows), roles, action kinds and every answer of `/api/v1`. The engine's controller speaks these types, the
 * server parses request bodies with these schemas and generates its OpenAPI document from them, the CLI prints
 * them, and the dashboard imports their types (type-only, so that zod stays out of its bundle).
 *
 * A schema and its type share a name. State and action names come from states.ts, where the rules about them live.
 */
import { z } from 'zod';
import { Preflight } from './compiled.js';
import { Direction, NotifyEvent, ParamValue, TrafficType, TriggerMode } from './definitions.js';
import { ErrorCode } from './errors.js';
import { ServiceReading } from './readings.js';
import { ROLES } from './roles.js';
import {
  CommandAction,
  OperatorAction,
  RunAction,
  RunState,
  TaskAction,
  TaskState,
  TestOutcome,
  TestPhase,
} from './states.js';

// --------------------------------------------------------------------------------------------- names

/** The zod forms of the names in states.ts; their types are states.ts's `RunState`, `TaskAction`… */
export const RunStateSchema = z.enum(RunState).meta({ description: 'The state of a run (see docs: engine states)' });
export const TaskStateSchema = z.enum(TaskState).meta({ description: 'The state of a task of a run' });
export const RunActionSchema = z.enum(RunAction).meta({ description: 'An operator action on a whole run' });
export const TaskActionSchema = z.enum(TaskAction).meta({ description: 'An operator action on one task of a run' });
export const CommandActionSchema = z.enum(CommandAction);
export const OperatorActionSchema = z.enum(OperatorAction);
export const ErrorCodeSchema = z.enum(ErrorCode);

export const Role = z.enum(ROLES).meta({
  description:
    'viewer reads; operator also starts runs and acts on them; admin also reads the audit log; ' +
    'alerts (Alertmanager) delivers alerts and may do nothing else',
});
export type Role = z.infer<typeof Role>;

export const Actor = z.strictObject({
  /** Who acts: a token's name, or the local user for the CLI. */
  name: z.string(),
  role: Role,
});
export type Actor = z.infer<typeof Actor>;

/** A plan's name as a caller gives it: checked before anything looks it up. */
const PlanName = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'letters, digits, ".", "_", ":" and "-" only');
/** A task of a run, `service/task` (a dependency is one too). */
const TaskId = z
  .string()
  .min(1)
  .max(400)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*(\/[A-Za-z0-9][A-Za-z0-9._:-]*)?$/, 'a task id such as "web/edge"');
const Reason = z.string().trim().min(1, 'a reason is required').max(2000);
const OptionalReason = z.string().trim().max(2000).optional();

// ------------------------------------------------------------------------------------------ commands

/** The body of each command as `POST /api/v1/runs/:id/:action` takes it: the command less its `action`. */
export const CommandBodies = {
  pause: z.strictObject({ reason: OptionalReason }),
  resume: z.strictObject({ reason: OptionalReason }),
  abort: z.strictObject({ reason: OptionalReason }),
  retry: z.strictObject({ task: TaskId, reason: OptionalReason }),
  skip: z.strictObject({ task: TaskId, reason: Reason }),
  approve: z.strictObject({
    task: TaskId.optional().meta({ description: 'The task whose approval stage to approve; none: the proposed run' }),
    reason: Reason,
  }),
  'override-condition': z.strictObject({
    task: TaskId,
    condition: z.string().min(1).max(2000).meta({ description: 'The condition by name, or its expression' }),
    reason: Reason,
  }),
  'override-dependency': z.strictObject({ task: TaskId, dependency: TaskId, reason: Reason }),
} as const satisfies Record<CommandAction, z.ZodObject>;

const B = CommandBodies;

/** One operator command on a run. */
export const OperatorCommand = z.discriminatedUnion('action', [
  B.pause.extend({ action: z.literal('pause') }),
  B.resume.extend({ action: z.literal('resume') }),
  B.abort.extend({ action: z.literal('abort') }),
  B.retry.extend({ action: z.literal('retry') }),
  B.skip.extend({ action: z.literal('skip') }),
  B.approve.extend({ action: z.literal('approve') }),
  B['override-condition'].extend({ action: z.literal('override-condition') }),
  B['override-dependency'].extend({ action: z.literal('override-dependency') }),
]);
export type OperatorCommand = z.infer<typeof OperatorCommand>;

/** Compile-time proof that the commands are exactly states.ts's command actions. */
const everyAction: Record<CommandAction, OperatorCommand['action']> = {
  pause: 'pause',
  resume: 'resume',
  abort: 'abort',
  retry: 'retry',
  skip: 'skip',
  approve: 'approve',
  'override-condition': 'override-condition',
  'override-dependency': 'override-dependency',
};
void everyAction;

/** The task a command acts on; none for a command on the whole run (an `approve` of a proposed run among them). */
export function commandTask(command: { readonly action: CommandAction; readonly task?: string }): string | undefined {
  return command.task;
}

/** Whether command `A` must carry a reason; the dashboard's dialogs are typed by it, so they cannot disagree. */
export type ReasonRequired<A extends CommandAction> = undefined extends z.input<(typeof CommandBodies)[A]>['reason']
  ? false
  : true;

// --------------------------------------------------------------------------------------------- views

/** One operator's approval of a task's approval stage. */
export const Approval = z.strictObject({ actor: z.string(), at: z.number(), reason: z.string().optional() });
export type Approval = z.infer<typeof Approval>;

/** An alert as a proposed (or triggered) run keeps it: what Alertmanager sent, and when it came and resolved. */
export const AlertView = z.strictObject({
  fingerprint: z.string(),
  status: z.enum(['firing', 'resolved']),
  labels: z.record(z.string(), z.string()),
  annotations: z.record(z.string(), z.string()),
  /** When the alert began firing, as Alertmanager said (RFC 3339). */
  startsAt: z.string(),
  generatorURL: z.string().optional(),
  /** When the controller first received it firing (its clock, ms). */
  receivedAt: z.number(),
  /** When the controller was told it resolved. */
  resolvedAt: z.number().optional(),
});
export type AlertView = z.infer<typeof AlertView>;

/** Why a run exists when an alert made it: the trigger, its alerts, and (proposed runs) when it lapses. */
export const Proposal = z.strictObject({
  trigger: z.string(),
  mode: TriggerMode,
  /** The alert that proposed it first, then any others matching the same trigger while it was open. */
  alerts: z.array(AlertView),
  /** A proposed run not approved by then ends aborted. */
  expiresAt: z.number().optional(),
  approvedBy: z.string().optional(),
  approvedAt: z.number().optional(),
  approvalReason: z.string().optional(),
});
export type Proposal = z.infer<typeof Proposal>;

export const TaskView = z.strictObject({
  /** `service/task`. */
  id: z.string(),
  service: z.string(),
  template: z.string(),
  state: TaskStateSchema,
  after: z.array(z.string()),
  /** Index of the current stage, while the task executes. */
  stage: z.number().int().optional(),
  stages: z.array(z.string()),
  startedAt: z.number().optional(),
  finishedAt: z.number().optional(),
  /** Progress of the current traffic shift, 0..1, when there is one. */
  progress: z.number().min(0).max(1).optional(),
  reason: z.string().optional(),
  stuck: z.boolean().optional(),
  approved: z.boolean().optional(),
  /** Tasks with an approval stage: how many different operators must approve it (`approvers`, default 1)... */
  approvers: z.number().int().positive().optional(),
  /** ...and who has, so far. */
  approvals: z.array(Approval).optional(),
  allowedActions: z.array(TaskActionSchema).meta({ description: 'What an operator may do to this task now' }),
});
export type TaskView = z.infer<typeof TaskView>;

/** A run a schedule started: which schedule, which of its tests, and which half of the test. */
export const RunOrigin = z.strictObject({
  schedule: z.string(),
  test: z.string(),
  phase: z.enum(['drain', 'restore']),
});
export type RunOrigin = z.infer<typeof RunOrigin>;

export const RunView = z.strictObject({
  id: z.string(),
  plan: z.string(),
  state: RunStateSchema,
  datacenter: z.string(),
  direction: Direction,
  createdAt: z.number(),
  startedAt: z.number().optional(),
  finishedAt: z.number().optional(),
  tasks: z.array(TaskView),
  reason: z.string().optional(),
  /** After the run: the chain of task ids that determined its duration. */
  criticalPath: z.array(z.string()).optional(),
  /** A run an alert's trigger made: the trigger and the alerts. */
  proposal: Proposal.optional(),
  /** A proposed run: its pre-flight check, for the operator deciding whether to approve it. */
  preflight: Preflight.optional(),
  allowedActions: z.array(RunActionSchema).meta({ description: 'What an operator may do to this run now' }),
  /** Set when a schedule started the run (a drain test); absent for a run an operator started. */
  origin: RunOrigin.optional(),
  /** A drain test's run stopped for an incident: the incident's run, which took its datacenter over. */
  handedOverTo: z.string().optional(),
});
export type RunView = z.infer<typeof RunView>;

export const RunList = z.strictObject({ runs: z.array(RunView) });
export type RunList = z.infer<typeof RunList>;

// ----------------------------------------------------------------------------------- other requests

export const StartRunBody = z.strictObject({
  plan: PlanName,
  emergency: z
    .string()
    .trim()
    .min(1, 'an emergency start needs its reason')
    .max(2000)
    .optional()
    .meta({
      description:
        "Start a drain of the leading controller's own datacenter here, without handing the lease to a standby elsewhere; " +
        'the reason is recorded in the audit log and the journal',
    }),
});
export type StartRunBody = z.infer<typeof StartRunBody>;
export const StartedRun = z.strictObject({ id: z.string() });
export type StartedRun = z.infer<typeof StartedRun>;

export const HaltBody = z.strictObject({ reason: Reason });
export type HaltBody = z.infer<typeof HaltBody>;
export const Halted = z.strictObject({ halted: z.literal(true) });
export type Halted = z.infer<typeof Halted>;

export const ValidateBody = z.strictObject({
  documents: z.string().min(1).max(2_000_000).meta({ description: 'YAML text of one or more definition documents' }),
});
export type ValidateBody = z.infer<typeof ValidateBody>;

export const Diagnostic = z.strictObject({
  code: ErrorCodeSchema,
  severity: z.enum(['error', 'warning']),
  message: z.string(),
  file: z.string(),
  /** 1-based. */
  line: z.number().int(),
  column: z.number().int(),
});
export type Diagnostic = z.infer<typeof Diagnostic>;

export const Validation = z.strictObject({ ok: z.boolean(), diagnostics: z.array(Diagnostic) });
export type Validation = z.infer<typeof Validation>;

/** A controller on the store, as the health answer names the leader. */
export const ControllerInfo = z.strictObject({
  /** `host/pid/nonce`. */
  controller: z.string(),
  datacenter: z.string().optional(),
  /** Where its API answers, as it announced it. */
  url: z.string().optional(),
});
export type ControllerInfo = z.infer<typeof ControllerInfo>;

export const Health = z.strictObject({
  /** False while the store fails (the runs are held); a standby is ok. */
  ok: z.boolean(),
  /** Whether this controller leads (holds the store's lease and drives the runs). */
  leader: z.boolean(),
  /** This controller, `host/pid/nonce`. */
  controller: z.string(),
  /** The lease epoch this controller leads under, or the current leader's as last seen; null when none is known. */
  epoch: z.number().int().nullable(),
  state: z.enum(['leading', 'standby', 'held', 'starting']).meta({
    description: 'leading; standing by; held (leading, but the store fails, so the runs wait); starting',
  }),
  datacenter: z.string().optional(),
  /** The leader, when another controller leads and is known. */
  leaderInfo: ControllerInfo.optional(),
  /** The store's last error, while it fails. */
  storeError: z.string().optional(),
});
export type Health = z.infer<typeof Health>;

// ------------------------------------------------------------------------------------------ alerts in

const LabelSet = z.record(z.string().max(1024), z.string().max(64 * 1024));
const Firing = z.enum(['firing', 'resolved']);

/**
 * One alert of Alertmanager's webhook. Keys Alertmanager may add in later versions are ignored, not refused: the
 * payload is another program's, and a firing alert must not bounce because it grew a field.
 */
export const AlertmanagerAlert = z.object({
  status: Firing,
  labels: LabelSet,
  annotations: LabelSet.default({}),
  startsAt: z.iso.datetime({ offset: true }),
  endsAt: z.string().max(64).optional(),
  generatorURL: z.string().max(8192).optional(),
  fingerprint: z.string().min(1).max(256),
});
export type AlertmanagerAlert = z.infer<typeof AlertmanagerAlert>;

/** Prometheus Alertmanager's webhook payload, version 4 (`webhook_configs` with the controller's URL). */
export const AlertmanagerWebhook = z.object({
  version: z.literal('4'),
  groupKey: z.string().max(8192),
  truncatedAlerts: z.number().int().min(0).default(0),
  status: Firing,
  receiver: z.string().max(1024),
  groupLabels: LabelSet.default({}),
  commonLabels: LabelSet.default({}),
  commonAnnotations: LabelSet.default({}),
  externalURL: z.string().max(8192).default(''),
  alerts: z.array(AlertmanagerAlert).min(1).max(1000),
});
export type AlertmanagerWebhook = z.infer<typeof AlertmanagerWebhook>;

/**
 * What became of one alert of a delivery, for each trigger it matched: `proposed` or `started` a run; `recorded`
 * on the open run of its trigger (a repeat, or a second alert); `resolved` recorded on it; `suppressed` by the
 * trigger's minInterval; `refused` (the plan cannot run: the reason says why); `unmatched` by every trigger.
 */
export const AlertOutcome = z.strictObject({
  fingerprint: z.string(),
  alertname: z.string().optional(),
  status: Firing,
  outcome: z.enum(['proposed', 'started', 'recorded', 'resolved', 'suppressed', 'refused', 'unmatched']),
  trigger: z.string().optional(),
  run: z.string().optional(),
  reason: z.string().optional(),
});
export type AlertOutcome = z.infer<typeof AlertOutcome>;

export const AlertsReceived = z.strictObject({ results: z.array(AlertOutcome) });
export type AlertsReceived = z.infer<typeof AlertsReceived>;

// ---------------------------------------------------------------------------------------- messages out

export const DeliveryState = z.enum(['pending', 'delivered', 'failed']);
export type DeliveryState = z.infer<typeof DeliveryState>;

/** One message to one notifier, and how its delivery went. */
export const Delivery = z.strictObject({
  id: z.number().int(),
  notifier: z.string(),
  event: NotifyEvent,
  runId: z.string().optional(),
  taskId: z.string().optional(),
  /** The message in a line. */
  summary: z.string(),
  state: DeliveryState,
  attempts: z.number().int(),
  createdAt: z.number(),
  lastAttemptAt: z.number().optional(),
  deliveredAt: z.number().optional(),
  /** The last failure: the sink's HTTP status and answer, or the network error. */
  error: z.string().optional(),
});
export type Delivery = z.infer<typeof Delivery>;

export const DeliveryList = z.strictObject({
  deliveries: z.array(Delivery),
  /** The notifiers that send (a notifier whose URL variable is unset sends nothing, and is not here). */
  notifiers: z.array(z.string()),
});
export type DeliveryList = z.infer<typeof DeliveryList>;

// ------------------------------------------------------------------------------------------- answers

export const PlanInfo = z.strictObject({
  name: z.string(),
  fleet: z.string(),
  direction: Direction,
  datacenter: z.string(),
});
export type PlanInfo = z.infer<typeof PlanInfo>;

export const DefinitionList = z.strictObject({
  fleets: z.array(z.string()),
  templates: z.array(z.string()),
  runbooks: z.array(z.string()),
  scenarios: z.array(z.string()),
  plans: z.array(PlanInfo),
});
export type DefinitionList = z.infer<typeof DefinitionList>;

/** A compiled plan as `maelstrom plan --json` prints it and the plan preview answers it. */
export const PlanPreview = z.strictObject({
  plan: z.string(),
  tasks: z.array(
    z.strictObject({
      id: z.string(),
      service: z.string(),
      runbook: z.string(),
      task: z.string(),
      template: z.string(),
      after: z.array(z.string()),
      weakAfter: z.array(z.string()),
      priority: z.number().int(),
      expectedMs: z.number(),
      /** Why the expected duration is short (its callers have left first…), when it is. */
      expectedNote: z.string().optional(),
      params: z.record(z.string(), ParamValue),
      /** Each task of `after` and why this one waits for it. */
      waits: z.array(z.strictObject({ after: z.string(), weak: z.boolean(), why: z.string() })),
    }),
  ),
  /** Task ids grouped by the earliest wave in which they can run. */
  waves: z.array(z.array(z.string())),
  hccs: z.array(z.string()),
  preflight: Preflight,
  /** Estimated critical path (task ids) from expected durations. */
  criticalPath: z.array(z.string()),
  fleet: z.string(),
  direction: Direction,
  datacenter: z.string(),
  concurrency: z.number().int(),
  /** The estimate: the length of the critical path with unlimited concurrency (not a bound: runs may beat it). */
  estimateMs: z.number(),
  /** The estimate under its earlier name, kept for scripts that read it. */
  predictedMs: z.number().meta({ deprecated: true }),
  hccGroups: z.array(z.array(z.string())),
  restorePlan: z.string().optional(),
});
export type PlanPreview = z.infer<typeof PlanPreview>;

export const FleetView = z.strictObject({
  fleet: z.string(),
  /** The backend's time of the readings. */
  time: z.number(),
  datacenters: z.array(z.strictObject({ name: z.string(), clusters: z.array(z.string()) })),
  services: z.array(
    z.strictObject({
      name: z.string(),
      type: TrafficType,
      userFacing: z.boolean(),
      reading: ServiceReading.optional(),
    }),
  ),
});
export type FleetView = z.infer<typeof FleetView>;

export const SeriesView = z.strictObject({
  metric: z.string(),
  service: z.string().optional(),
  datacenter: z.string().optional(),
  resolutionMs: z.number(),
  times: z.array(z.number()),
  values: z.array(z.number()),
});
export type SeriesView = z.infer<typeof SeriesView>;

export const HistoryRun = z.strictObject({
  id: z.string(),
  plan: z.string(),
  state: RunStateSchema,
  datacenter: z.string(),
  direction: Direction,
  createdAt: z.number(),
  startedAt: z.number().optional(),
  finishedAt: z.number().optional(),
  reason: z.string().optional(),
  durationMs: z.number().optional(),
  /** How many tasks the run had. */
  tasks: z.number().int(),
  criticalPath: z.array(
    z.strictObject({
      id: z.string(),
      startedAt: z.number().optional(),
      finishedAt: z.number().optional(),
      durationMs: z.number().optional(),
    }),
  ),
});
export type HistoryRun = z.infer<typeof HistoryRun>;

export const HistoryList = z.strictObject({ runs: z.array(HistoryRun) });
export type HistoryList = z.infer<typeof HistoryList>;

export const AuditRecord = z.strictObject({
  id: z.number().int().optional(),
  time: z.number(),
  actor: z.string(),
  action: z.string(),
  target: z.string().optional(),
  reason: z.string().optional(),
  details: z.unknown().optional(),
});
export type AuditRecord = z.infer<typeof AuditRecord>;

export const AuditList = z.strictObject({ entries: z.array(AuditRecord) });
export type AuditList = z.infer<typeof AuditList>;

/** One change of the retrospective timeline (see timeline.ts): its HLC, source and type, and its own fields. */
export const TimelineEventSchema = z.looseObject({
  hlc: z.string().regex(/^\d+$/),
  source: z.string(),
  type: z.string(),
  wall: z.number(),
  runId: z.string().optional(),
});
export const TimelineEvents = z.strictObject({ events: z.array(TimelineEventSchema) });
export type TimelineEvents = z.infer<typeof TimelineEvents>;

const layerTable = <T extends z.ZodType>(value: T) =>
  z.strictObject({ edge: value.optional(), cluster: value.optional() });

/** The consistent cut at an instant: every run and task state, the weights, the last health verdicts, operators. */
export const TimelineCut = z.strictObject({
  at: z.string(),
  hlc: z.string(),
  runs: z.array(
    z.strictObject({
      id: z.string(),
      plan: z.string(),
      state: z.string(),
      tasks: z.array(z.strictObject({ id: z.string(), state: z.string(), stage: z.number().int() })),
    }),
  ),
  weights: z.record(z.string(), layerTable(z.record(z.string(), z.number()))),
  backendWeights: z.record(z.string(), layerTable(z.record(z.string(), z.record(z.string(), z.number())))),
  effectiveWeights: z.record(z.string(), layerTable(z.record(z.string(), z.record(z.string(), z.number())))),
  health: z.array(
    z.strictObject({
      runId: z.string(),
      taskId: z.string(),
      check: z.string(),
      ok: z.boolean().nullable(),
      hlc: z.string(),
      detail: z.string().optional(),
    }),
  ),
  operator: z.array(
    z.strictObject({
      hlc: z.string(),
      source: z.string(),
      action: z.string(),
      actor: z.string(),
      runId: z.string().optional(),
      reason: z.string().optional(),
      target: z.string().optional(),
    }),
  ),
  eventCount: z.number().int(),
  last: TimelineEventSchema.optional(),
});
export type TimelineCut = z.infer<typeof TimelineCut>;

// --------------------------------------------------------------------------------------------- drain tests

export const TestPhaseSchema = z.enum(TestPhase).meta({ description: 'Where a drain test is: drain, hold, restore' });
export const TestOutcomeSchema = z.enum(TestOutcome).meta({ description: 'How a drain test ended' });

/** One drain test of a schedule: its drain run, the hold, its restore run. Times in ms since the epoch. */
export const TestView = z.strictObject({
  id: z.string(),
  schedule: z.string(),
  datacenter: z.string(),
  drain: z.string(),
  restore: z.string(),
  dueAt: z.number(),
  startedAt: z.number(),
  finishedAt: z.number().optional(),
  phase: TestPhaseSchema,
  /** Set once the test's fate is decided (while it restores after being cut short, already). */
  outcome: TestOutcomeSchema.optional(),
  reason: z.string().optional(),
  drainRunId: z.string().optional(),
  restoreRunId: z.string().optional(),
  drainSeconds: z.number().optional(),
  restoreSeconds: z.number().optional(),
  stuckTasks: z.number().int().optional(),
});
export type TestView = z.infer<typeof TestView>;

export const TestSkipView = z.strictObject({
  at: z.number(),
  schedule: z.string(),
  datacenter: z.string().optional(),
  reason: z.string(),
});
export type TestSkipView = z.infer<typeof TestSkipView>;

/** The tests' kill switch as last set. */
export const TestsHaltView = z.strictObject({
  halted: z.boolean(),
  since: z.number(),
  actor: z.string(),
  reason: z.string().optional(),
});
export type TestsHaltView = z.infer<typeof TestsHaltView>;

/** `GET /api/v1/tests` and `maelstrom tests --json`: the drain-test practice at a glance. */
export const TestsView = z.strictObject({
  /** The kill switch, when it was ever set. */
  halt: TestsHaltView.optional(),
  schedules: z.array(z.strictObject({ name: z.string(), cadence: z.string(), timeZone: z.string(), pick: z.string() })),
  /** Per datacenter a schedule tests: its last test and the next one due (if no test or skip intervenes). */
  datacenters: z.array(
    z.strictObject({
      datacenter: z.string(),
      last: TestView.optional(),
      next: z.strictObject({ at: z.number(), schedule: z.string(), drain: z.string() }).optional(),
    }),
  ),
  running: z.array(TestView),
  /** The most recent tests, newest first. */
  recent: z.array(TestView),
  /** Due tests that did not start, newest first, with why. */
  skips: z.array(TestSkipView),
  /** Per drain plan, the drain time of its last succeeded tests, oldest first. */
  trends: z.array(
    z.strictObject({
      plan: z.string(),
      datacenter: z.string(),
      points: z.array(z.strictObject({ at: z.number(), drainSeconds: z.number() })),
    }),
  ),
});
export type TestsView = z.infer<typeof TestsView>;

export const ResumeTestsBody = z.strictObject({ reason: OptionalReason });
export type ResumeTestsBody = z.infer<typeof ResumeTestsBody>;

/** The answer of halting or resuming the tests: the switch, and the running tests being aborted and restored. */
export const TestsSwitched = TestsHaltView.extend({ stopping: z.array(z.string()) });
export type TestsSwitched = z.infer<typeof TestsSwitched>;

export const ErrorAnswer = z.strictObject({
  error: z.strictObject({
    code: ErrorCodeSchema,
    message: z.string(),
    retryable: z.boolean().optional(),
    details: z.unknown().optional(),
  }),
});
export type ErrorAnswer = z.infer<typeof ErrorAnswer>;

/** The schemas the OpenAPI document names (`#/components/schemas/<name>`); the others appear inline. */
export const namedSchemas = {
  Role,
  Actor,
  RunState: RunStateSchema,
  TaskState: TaskStateSchema,
  RunAction: RunActionSchema,
  TaskAction: TaskActionSchema,
  TaskView,
  RunView,
  RunList,
  PlanInfo,
  DefinitionList,
  Diagnostic,
  Validation,
  Preflight,
  PlanPreview,
  ServiceReading,
  FleetView,
  SeriesView,
  HistoryRun,
  HistoryList,
  AuditRecord,
  AuditList,
  TimelineEvents,
  TimelineCut,
  TestView,
  TestsView,
  TestsSwitched,
  Approval,
  AlertView,
  Proposal,
  AlertmanagerWebhook,
  AlertsReceived,
  Delivery,
  DeliveryList,
  Error: ErrorAnswer,
} as const;
