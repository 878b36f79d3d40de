/**
 * Lineage: why a good outcome happened. From a run's events and the simulator's journal, the supports of each
 * property — the stage executions, the actions through each mechanism, the weight changes that had to propagate,
 * the readings conditions and pacers consulted, the controller driving the run, the receivers' capacity — each
 * with the interval of the scenario in which the outcome rested on it. A fault that breaks any support of a
 * property's lineage might break the property: those are the faults worth injecting (hypotheses.ts).
 */
import type { CompiledPlan, PlannedTask } from '../model/compiled.js';
import { mapList } from '../model/shapes.js';
import { mechanismOf } from '../sim/faults.js';
import { PROPERTY_NAMES, type PropertyName } from './properties.js';
import { conditionReads } from './reads.js';
import type { ExecutionRecord, RecordedRun } from './record.js';

export const SUPPORT_KINDS = ['stage', 'mechanism', 'controller', 'propagation', 'reading', 'receiver'] as const;
export type SupportKind = (typeof SUPPORT_KINDS)[number];

/**
 * One thing the outcome rested on, during [from, to] (seconds from the scenario's start). Targets: a stage's
 * `plan:service/task`, a mechanism's name, `controller`, a layer, a reading's `service/datacenter` (or
 * `service/*`), a receiving datacenter.
 */
export interface Support {
  readonly kind: SupportKind;
  readonly target: string;
  readonly from: number;
  readonly to: number;
}

/** Supports of every property of one execution. */
export type Lineage = Readonly<Record<PropertyName, readonly Support[]>>;

/** Intervals closer than this are one support (s): the search's windows are minutes long. */
const MERGE_GAP_S = 30;

/** Sorted, with overlapping or nearly touching intervals of the same kind and target merged. */
export function mergeSupports(list: readonly Support[]): Support[] {
  const sorted = [...list].sort(
    (a, b) => a.kind.localeCompare(b.kind) || a.target.localeCompare(b.target) || a.from - b.from || a.to - b.to,
  );
  const out: Support[] = [];
  for (const s of sorted) {
    const last = out[out.length - 1];
    if (last && last.kind === s.kind && last.target === s.target && s.from <= last.to + MERGE_GAP_S)
      out[out.length - 1] = { ...last, to: Math.max(last.to, s.to) };
    else out.push(s);
  }
  return out;
}

/** Readings each task's health checks rest on, by `plan:task` (for `holds-announced`). */
export function healthReads(r: ExecutionRecord): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const run of r.runs) {
    const compiled = run.compiled;
    if (!compiled) continue;
    for (const t of compiled.tasks) {
      if (t.health.length === 0) continue;
      // One kind of list however this runs (see mapList).
      const exprs = mapList(t.health, (h) => h.expr);
      out.set(`${run.plan}:${t.id}`, conditionReads(t, r.fleet, exprs, compiled.pacing.targetUtilization));
    }
  }
  return out;
}

interface RunSupports {
  readonly all: Support[];
  readonly shifting: Support[];
  readonly readings: Support[];
  readonly health: Support[];
  readonly pacing: Support[];
  readonly controller: Support[];
  readonly propagation: Support[];
  readonly mechanism: Support[];
  readonly receivers: Support[];
}

type Seconds = (ms: number) => number;

/**
 * The run's stage executions, from their start and end events (one still open ran to the run's end). Each pass over
 * an execution's records is a function of its own: V8 compiles a long loop where it runs hot, and one function of
 * every pass cost far more to compile, per worker, than the passes cost to run.
 */
function stageSpansOf(
  r: ExecutionRecord,
  runId: string,
  runEnd: number,
): { task: string; uses: string; from: number; to: number }[] {
  const open = new Map<string, number>();
  const stageSpans: { task: string; uses: string; from: number; to: number }[] = [];
  for (const e of r.events) {
    if (e.runId !== runId) continue;
    if (e.type === 'stage.start') open.set(`${e.taskId}#${e.stage}`, e.time);
    else if (e.type === 'stage.end') {
      const at = open.get(`${e.taskId}#${e.stage}`);
      open.delete(`${e.taskId}#${e.stage}`);
      if (at !== undefined) stageSpans.push({ task: e.taskId, uses: e.uses, from: at, to: e.time });
    }
  }
  for (const [key, at] of open) {
    const task = key.slice(0, key.lastIndexOf('#'));
    stageSpans.push({ task, uses: '', from: at, to: runEnd });
  }
  return stageSpans;
}

/** Stage supports, and the readings of a paced shift's receivers while it ran. */
function addStageSupports(
  out: RunSupports,
  r: ExecutionRecord,
  run: RecordedRun,
  compiled: CompiledPlan,
  planned: ReadonlyMap<string, PlannedTask>,
  spans: readonly { task: string; uses: string; from: number; to: number }[],
  sec: Seconds,
): void {
  for (const s of spans) {
    const support: Support = { kind: 'stage', target: `${run.plan}:${s.task}`, from: sec(s.from), to: sec(s.to) };
    out.all.push(support);
    if (s.uses === 'traffic.shift' || s.uses === 'sessions.drain') out.shifting.push(support);
    // A paced shift reads the receivers of its service (their utilisation) at every step.
    const t = planned.get(s.task);
    if (s.uses === 'traffic.shift' && t) {
      for (const d of r.fleet.spec.datacenters)
        if (d.name !== compiled.datacenter)
          out.pacing.push({ kind: 'reading', target: `${t.service}/${d.name}`, from: sec(s.from), to: sec(s.to) });
    }
  }
}

/** Readings of each task's conditions, over the time it ran. */
function addConditionSupports(
  out: RunSupports,
  r: ExecutionRecord,
  view: NonNullable<RecordedRun['view']>,
  compiled: CompiledPlan,
  planned: ReadonlyMap<string, PlannedTask>,
  runEnd: number,
  sec: Seconds,
): void {
  const targetUtilization = compiled.pacing.targetUtilization;
  for (const task of view.tasks) {
    const t = planned.get(task.id);
    if (!t || task.startedAt === undefined) continue;
    const from = sec(task.startedAt);
    const to = sec(task.finishedAt ?? runEnd);
    const health = conditionReads(
      t,
      r.fleet,
      t.health.map((c) => c.expr),
      targetUtilization,
    );
    const others = conditionReads(
      t,
      r.fleet,
      [...t.pre, ...t.post].map((c) => c.expr),
      targetUtilization,
    );
    for (const k of health) out.health.push({ kind: 'reading', target: k, from, to });
    for (const k of [...health, ...others]) out.readings.push({ kind: 'reading', target: k, from, to });
  }
}

/** Actions through each mechanism, and the weight changes that had to propagate. */
function addActionSupports(out: RunSupports, r: ExecutionRecord, runId: string, sec: Seconds): void {
  for (const a of r.journal ?? []) {
    if (a.origin?.runId !== runId || a.error !== undefined) continue;
    const layer = a.kind === 'weights.set' ? a.target.split('/')[0] : undefined;
    const at = sec(a.time);
    out.mechanism.push({ kind: 'mechanism', target: mechanismOf(a.kind, layer), from: at, to: at });
    if (a.kind === 'weights.set' && a.changed && layer !== undefined)
      out.propagation.push({ kind: 'propagation', target: layer, from: at, to: at });
  }
}

function supportsOfRun(r: ExecutionRecord, run: RecordedRun): RunSupports | undefined {
  const { view, compiled, runId } = run;
  if (!view || !compiled || runId === undefined) return undefined;
  const sec = (ms: number): number => Math.round((ms - r.startMs) / 1000);
  const runStart = view.startedAt ?? view.createdAt;
  const runEnd = view.finishedAt ?? r.endMs;
  const out: RunSupports = {
    all: [],
    shifting: [],
    readings: [],
    health: [],
    pacing: [],
    controller: [{ kind: 'controller', target: 'controller', from: sec(runStart), to: sec(runEnd) }],
    propagation: [],
    mechanism: [],
    receivers: [],
  };
  const planned = new Map(compiled.tasks.map((t) => [t.id, t]));
  addStageSupports(out, r, run, compiled, planned, stageSpansOf(r, runId, runEnd), sec);
  addConditionSupports(out, r, view, compiled, planned, runEnd, sec);
  addActionSupports(out, r, runId, sec);
  // The datacenters taking the load: the others for a drain, the datacenter itself for a restore.
  const receivers =
    compiled.direction === 'drain'
      ? r.fleet.spec.datacenters.map((d) => d.name).filter((d) => d !== compiled.datacenter)
      : [compiled.datacenter];
  for (const dc of receivers)
    out.receivers.push({ kind: 'receiver', target: dc, from: sec(runStart), to: sec(runEnd) });
  return out;
}

/** The supports of each property in one execution, merged. */
export function lineageOf(r: ExecutionRecord): Lineage {
  const by: Record<PropertyName, Support[]> = Object.fromEntries(
    PROPERTY_NAMES.map((p) => [p, []]),
  ) as unknown as Record<PropertyName, Support[]>;
  for (const run of r.runs) {
    const s = supportsOfRun(r, run);
    if (!s) continue;
    const drain = run.compiled?.direction === 'drain';
    by['plans-succeeded'].push(
      ...s.all,
      ...s.mechanism,
      ...s.controller,
      ...s.propagation,
      ...s.readings,
      ...s.receivers,
    );
    if (drain) by['datacenter-drained'].push(...s.shifting, ...s.mechanism, ...s.propagation, ...s.controller);
    by['no-overload'].push(...s.pacing, ...s.health, ...s.propagation, ...s.receivers);
    by['failed-requests'].push(...s.shifting, ...s.mechanism, ...s.propagation, ...s.receivers);
    by['dependency-order'].push(...s.controller);
    by['holds-announced'].push(...s.health, ...s.controller);
  }
  return Object.fromEntries(PROPERTY_NAMES.map((p) => [p, mergeSupports(by[p])])) as unknown as Lineage;
}
