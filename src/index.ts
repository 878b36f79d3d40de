/**
 * The package's TypeScript API, `import { … } from 'maelstrom'`: write definitions in code, load and check them as
 * `maelstrom validate` does, compile a plan, and drive it with a controller (on the simulator, for a rehearsal).
 * Everything a signature here names is exported too, and the published declarations reach no type package but
 * `@types/node` and those of our own dependencies.
 */

// Definitions in code: each helper gives the document a YAML file would hold, typed.
export {
  defineFleet,
  definePlan,
  defineRunbook,
  defineScenario,
  defineSchedule,
  defineTemplate,
  type DefineInput,
  type DefinitionDocument,
  type FleetDocument,
  type PlanDocument,
  type RunbookDocument,
  type ScenarioDocument,
  type ScheduleDocument,
  type TaskTemplateDocument,
} from './model/define.js';

// Loading: paths (YAML files, directories, `.ts`/`.mjs` modules) and documents, with every problem lint finds —
// `loadDefinitions` here is the loader and lint together, what every command runs.
export { loadAndLint as loadDefinitions } from './load/check.js';
export type { DefinitionSource, LoadResult } from './load/load.js';
export { formatDiagnostic, type Diagnostic, type Severity } from './load/diagnostic.js';

// The definitions as parsed (defaults applied), as the loader gives them.
export type {
  BlockedWindow,
  Condition,
  Datacenter,
  Definitions,
  Dependency,
  Direction,
  Document,
  Fault,
  Fleet,
  Kind,
  Metadata,
  Pacing,
  ParamSpec,
  ParamValue,
  Plan,
  Pop,
  Runbook,
  RunbookRule,
  RunbookTask,
  NamedCondition,
  Scenario,
  Schedule,
  SchedulePick,
  ScheduleTest,
  Service,
  SourceRef,
  Stage,
  StageKind,
  TaskTemplate,
  TrafficType,
} from './model/definitions.js';

// Plans.
export { compilePlan } from './plan/compile.js';
export type { CompiledPlan, PlannedTask } from './model/compiled.js';

// Running: the controller, the simulator as a backend, a store, and the virtual clock a rehearsal runs on.
export {
  createController,
  type ControllerOptions,
  type ControllerStore,
  type EngineController,
  type LeasePolicy,
} from './compose/controller.js';
export type { Actor, Controller, OperatorCommand, RunView, TaskView } from './engine/controller.js';
export { createSimBackend, type SimBackend, type SimBackendOptions } from './backends/sim/backend.js';
export type { Backend } from './backends/backend.js';
export { createSqliteStore, type SqliteStore, type SqliteStoreConfig } from './store/sqlite/sqlite-store.js';
export type { AuditLog, RunStore, Store } from './store/store.js';
export type { Clock } from './model/clock.js';
export { VirtualClock } from './model/virtual-clock.js';

// Errors: one type, with a stable code.
export { MaelstromError, isMaelstromError, type ErrorCode } from './model/errors.js';
