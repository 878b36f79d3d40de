/**
 * Definitions written in TypeScript: `defineRunbook({ metadata, spec })` is the Runbook document a YAML file would
 * hold, typed, with `apiVersion` and `kind` filled in. The helpers do not validate: the loader does, exactly as it
 * does YAML, so that a document gives the same model (and the same errors) whichever way it was written.
 *
 * Each document remembers, out of sight, the line of the `define…()` call that made it, so that the loader can point
 * an error at that line as it points at a YAML node. The record is a non-enumerable property under a registered
 * symbol: it survives two copies of this package (the CLI's and the one a definitions module imports) and never
 * shows up in the document's keys, JSON or comparisons.
 */
import type { z } from 'zod';
import {
  API_VERSION,
  type Fleet,
  type Kind,
  type Plan,
  type Runbook,
  type Scenario,
  type Schedule,
  type TaskTemplate,
} from './definitions.js';

/** A Fleet document as written (defaults may be left out), the input of `defineFleet`. */
export type FleetDocument = z.input<typeof Fleet>;
/** A TaskTemplate document as written. */
export type TaskTemplateDocument = z.input<typeof TaskTemplate>;
/** A Runbook document as written. */
export type RunbookDocument = z.input<typeof Runbook>;
/** A Plan document as written (`services`, `concurrency`, `pacing` may be left to their defaults). */
export type PlanDocument = z.input<typeof Plan>;
/** A Scenario document as written. */
export type ScenarioDocument = z.input<typeof Scenario>;
/** A Schedule document as written. */
export type ScheduleDocument = z.input<typeof Schedule>;
/** Any definition document as written: what a `.ts` or `.mjs` definitions module's default export lists. */
export type DefinitionDocument =
  FleetDocument | TaskTemplateDocument | RunbookDocument | PlanDocument | ScenarioDocument | ScheduleDocument;

/** What a `define…` helper takes: the document without its `apiVersion` and `kind`, which may still be given. */
export type DefineInput<D extends { apiVersion: string; kind: string }> = Omit<D, 'apiVersion' | 'kind'> &
  Partial<Pick<D, 'apiVersion' | 'kind'>>;

/** Where a document was defined in code: a file path or URL as the JavaScript engine reports it, 1-based. */
export interface DefinedAt {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** The key of the hidden call-site record; registered, so that every copy of the package reads the same one. */
const DEFINED_AT: unique symbol = Symbol.for('maelstrom.definedAt');

/** Where `value` was made by a `define…` helper, when it was and the engine said. */
export function definedAt(value: unknown): DefinedAt | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const at = (value as { [DEFINED_AT]?: unknown })[DEFINED_AT];
  return typeof at === 'object' && at !== null ? (at as DefinedAt) : undefined;
}

/** `file:line:col` of a stack frame, `(file:line:col)` or bare; not a `data:` or `node:` frame. */
const FRAME = /\(?((?:file:\/\/|\/|[A-Za-z]:[\\/])[^()]*?):(\d+):(\d+)\)?$/;

/** The location a V8 stack frame line names, when it names a file. */
export function frameLocation(frame: string): DefinedAt | undefined {
  // Code run from a `data:` URL (how a loader may run a transpiled CommonJS module) has no file to point at.
  if (frame.includes('data:')) return undefined;
  const m = FRAME.exec(frame.trim());
  return m ? { file: m[1] ?? '', line: Number(m[2]), column: Number(m[3]) } : undefined;
}

/** The caller of the `define…` helper that called this: the third frame below this function. */
function callerOfDefine(): DefinedAt | undefined {
  const frame = new Error().stack?.split('\n')[3];
  return frame === undefined ? undefined : frameLocation(frame);
}

function define<K extends Kind, D>(kind: K, doc: object, at: DefinedAt | undefined): D {
  const made = { ...doc, apiVersion: API_VERSION, kind };
  if (at) Object.defineProperty(made, DEFINED_AT, { value: at, enumerable: false });
  return made as D;
}

/** A Fleet: its datacenters, PoPs and services. */
export function defineFleet(doc: DefineInput<FleetDocument>): FleetDocument {
  return define('Fleet', doc, callerOfDefine());
}

/** A TaskTemplate: parameters, stages and conditions. */
export function defineTemplate(doc: DefineInput<TaskTemplateDocument>): TaskTemplateDocument {
  return define('TaskTemplate', doc, callerOfDefine());
}

/** A Runbook: one direction's tasks for a service, each a template with its parameters bound. */
export function defineRunbook(doc: DefineInput<RunbookDocument>): RunbookDocument {
  return define('Runbook', doc, callerOfDefine());
}

/** A Plan: which services of a datacenter to drain or restore, with which runbooks, how fast. */
export function definePlan(doc: DefineInput<PlanDocument>): PlanDocument {
  return define('Plan', doc, callerOfDefine());
}

/** A Scenario for the simulator: load, faults and the plans to run. */
export function defineScenario(doc: DefineInput<ScenarioDocument>): ScenarioDocument {
  return define('Scenario', doc, callerOfDefine());
}

/** A Schedule of routine drain tests: cadence, which datacenter, blocked windows, guards and abort conditions. */
export function defineSchedule(doc: DefineInput<ScheduleDocument>): ScheduleDocument {
  return define('Schedule', doc, callerOfDefine());
}
