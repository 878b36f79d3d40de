/**
 * The retrospective timeline: the journal of changes of every process, each stamped with its hybrid logical clock
 * (see hlc.ts), merged in HLC order, and the consistent cut at any instant folded from it. A cut at HLC `h` is
 * everything recorded at or before `h`; since a process stamps whatever it records after a message later than
 * what the sender recorded before sending it, such a prefix never holds an effect without its cause.
 *
 * Pure data and rules: the store and the simulator produce the entries, the CLI, the server and the dashboard read
 * cuts folded here, so all of them show the same past.
 */
import { MaelstromError } from './errors.js';
import { compareHlc, hlcAtTime, hlcOf, parseHlc } from './hlc.js';

/** One change as the timeline keeps it: the fields of the change (`runId`, `taskId`, `stage`…) kept as they were. */
export interface TimelineEvent {
  /** The recording process's HLC, the 64-bit value as a decimal string. */
  readonly hlc: string;
  /** Who recorded it: `controller`, `sim`, `cli`… */
  readonly source: string;
  /** `run.created`, `run.state`, `task.state`, `stage.start`, `shift.step`, `health`, `operator`, `lease`, `act`… */
  readonly type: string;
  /** The recording process's wall clock (its `--clock-offset` included), ms since the epoch. */
  readonly wall: number;
  readonly runId?: string;
  readonly [field: string]: unknown;
}

export interface CutTask {
  readonly id: string;
  readonly state: string;
  readonly stage: number;
}

export interface CutRun {
  readonly id: string;
  readonly plan: string;
  readonly state: string;
  readonly tasks: readonly CutTask[];
}

export interface CutHealth {
  readonly runId: string;
  readonly taskId: string;
  readonly check: string;
  readonly ok: boolean | null;
  readonly hlc: string;
  readonly detail?: string;
}

export interface CutOperatorAction {
  readonly hlc: string;
  readonly source: string;
  readonly action: string;
  readonly actor: string;
  readonly runId?: string;
  readonly reason?: string;
  readonly target?: string;
}

/** service → layer → datacenter → share of the service's traffic still there, 0..1, as the controller shifted it. */
export type CutWeights = Record<string, Partial<Record<'edge' | 'cluster', Record<string, number>>>>;
/** service → layer → source → destination → weight, as the backend received it (its journal of calls). */
export type CutBackendWeights = Record<
  string,
  Partial<Record<'edge' | 'cluster', Record<string, Record<string, number>>>>
>;

/** service → layer → source → destination → weight, as in effect in the simulated world (propagated). */
export type CutEffectiveWeights = CutBackendWeights;

/** The state of the whole system at one instant. */
export interface Cut {
  /** The instant asked for, ISO 8601 (the physical part of `hlc`). */
  readonly at: string;
  readonly hlc: string;
  readonly runs: readonly CutRun[];
  readonly weights: CutWeights;
  readonly backendWeights: CutBackendWeights;
  /** The weight tables in effect in the simulated world (received, then propagated); empty without a simulator. */
  readonly effectiveWeights: CutEffectiveWeights;
  /** The last verdict of each health check of each task. */
  readonly health: readonly CutHealth[];
  /** Every operator action (and request) up to the instant, oldest first. */
  readonly operator: readonly CutOperatorAction[];
  /** How many events the cut holds, and the last of them. */
  readonly eventCount: number;
  readonly last?: TimelineEvent;
}

/** HLC order; equal timestamps (concurrent records of different processes) by source, then as given. */
export function compareEvents(a: TimelineEvent, b: TimelineEvent): number {
  return compareHlc(a.hlc, b.hlc) || (a.source < b.source ? -1 : a.source > b.source ? 1 : 0);
}

/** The events of every source as one list in HLC order (a stable sort: each source's own order is kept on ties). */
export function mergeTimelines(...sources: readonly (readonly TimelineEvent[])[]): TimelineEvent[] {
  return sources.flat().sort(compareEvents);
}

/**
 * Reads `--at` / `?at=`: an HLC (a decimal number of more than 13 digits), or a time — ISO 8601 or ms since the
 * epoch — meaning the end of that millisecond (its start with `edge: 'start'`, for the start of a range).
 * E_BAD_REQUEST otherwise.
 */
export function parseInstant(text: string, what = '--at', edge: 'start' | 'end' = 'end'): bigint {
  const t = text.trim();
  const ofTime = (ms: number): bigint => (edge === 'end' ? hlcAtTime(ms) : hlcOf(Math.floor(ms), 0));
  if (/^\d{14,20}$/.test(t)) return parseHlc(t, what);
  if (/^\d{1,13}$/.test(t)) return ofTime(Number(t));
  const ms = Date.parse(t);
  if (!Number.isFinite(ms))
    throw new MaelstromError(
      'E_BAD_REQUEST',
      `${what} must be a time (ISO 8601 such as 2026-03-02T16:00:00Z, or ms since the epoch) or an HLC, got "${text}"`,
    );
  return ofTime(ms);
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const numOr = (v: unknown, d: number): number => (typeof v === 'number' && Number.isFinite(v) ? v : d);

/**
 * Folds the events (in HLC order) up to and including `at` into the cut. Events after `at` are ignored, so the
 * whole merged timeline may be passed.
 */
export function cutAt(events: readonly TimelineEvent[], at: bigint): Cut {
  const atText = at.toString();
  interface MutableRun {
    id: string;
    plan: string;
    state: string;
    tasks: Map<string, CutTask>;
  }
  const runs = new Map<string, MutableRun>();
  const weights: CutWeights = {};
  const backendWeights: CutBackendWeights = {};
  const effectiveWeights: CutEffectiveWeights = {};
  const health = new Map<string, CutHealth>();
  const operator: CutOperatorAction[] = [];
  let count = 0;
  let last: TimelineEvent | undefined;
  const runOf = (id: string, plan = ''): MutableRun => {
    let r = runs.get(id);
    if (!r) {
      r = { id, plan, state: 'pending', tasks: new Map() };
      runs.set(id, r);
    }
    if (plan && !r.plan) r.plan = plan;
    return r;
  };
  for (const e of events) {
    if (compareHlc(e.hlc, atText) > 0) break;
    count += 1;
    last = e;
    const runId = str(e.runId);
    switch (e.type) {
      case 'run.created': {
        if (!runId) break;
        const r = runOf(runId, str(e.plan));
        r.state = str(e.state) ?? r.state;
        const tasks = Array.isArray(e.tasks) ? (e.tasks as { id?: unknown; state?: unknown; stage?: unknown }[]) : [];
        for (const t of tasks) {
          const id = str(t.id);
          if (id) r.tasks.set(id, { id, state: str(t.state) ?? 'pending', stage: numOr(t.stage, 0) });
        }
        break;
      }
      case 'run.state': {
        if (!runId) break;
        const r = runOf(runId, str(e.plan));
        r.state = str(e.state) ?? r.state;
        break;
      }
      case 'task.state': {
        const taskId = str(e.taskId);
        if (!runId || !taskId) break;
        const r = runOf(runId);
        const before = r.tasks.get(taskId);
        r.tasks.set(taskId, {
          id: taskId,
          state: str(e.state) ?? before?.state ?? 'pending',
          stage: numOr(e.stage, before?.stage ?? 0),
        });
        break;
      }
      case 'stage.start': {
        const taskId = str(e.taskId);
        if (!runId || !taskId) break;
        const r = runOf(runId);
        const before = r.tasks.get(taskId);
        r.tasks.set(taskId, { id: taskId, state: before?.state ?? 'running', stage: numOr(e.stage, 0) });
        break;
      }
      case 'shift.step': {
        const service = str(e.service);
        const dc = str(e.datacenter);
        const layer = e.layer === 'edge' || e.layer === 'cluster' ? e.layer : undefined;
        if (!service || !dc || !layer || typeof e.remaining !== 'number') break;
        ((weights[service] ??= {})[layer] ??= {})[dc] = e.remaining;
        break;
      }
      case 'act': {
        // The backend's record of a call: a weights.set that changed something is the fleet's new table.
        const action = e.action as
          { kind?: unknown; layer?: unknown; service?: unknown; source?: unknown; weights?: unknown } | undefined;
        if (action?.kind !== 'weights.set' || e.error !== undefined) break;
        const service = str(action.service);
        const source = str(action.source);
        const layer = action.layer === 'edge' || action.layer === 'cluster' ? action.layer : undefined;
        if (!service || !source || !layer || typeof action.weights !== 'object' || action.weights === null) break;
        ((backendWeights[service] ??= {})[layer] ??= {})[source] = { ...(action.weights as Record<string, number>) };
        break;
      }
      case 'weights.effective': {
        // The simulator's own record of a weight change taking effect, once propagated (`from`: the table's source).
        const service = str(e.service);
        const source = str(e.from);
        const layer = e.layer === 'edge' || e.layer === 'cluster' ? e.layer : undefined;
        if (!service || !source || !layer || typeof e.weights !== 'object' || e.weights === null) break;
        ((effectiveWeights[service] ??= {})[layer] ??= {})[source] = { ...(e.weights as Record<string, number>) };
        break;
      }
      case 'health': {
        const taskId = str(e.taskId);
        const check = str(e.check);
        if (!runId || !taskId || !check) break;
        health.set(`${runId}\u0000${taskId}\u0000${check}`, {
          runId,
          taskId,
          check,
          ok: typeof e.ok === 'boolean' ? e.ok : null,
          hlc: e.hlc,
          ...(str(e.detail) !== undefined ? { detail: str(e.detail)! } : {}),
        });
        break;
      }
      case 'operator':
      case 'request': {
        operator.push({
          hlc: e.hlc,
          source: e.source,
          action: str(e.action) ?? (e.type === 'request' ? 'request' : 'unknown'),
          actor: str(e.actor) ?? 'unknown',
          ...(runId !== undefined ? { runId } : {}),
          ...(str(e.reason) !== undefined ? { reason: str(e.reason)! } : {}),
          ...(str(e.target) !== undefined ? { target: str(e.target)! } : {}),
        });
        break;
      }
      default:
        break;
    }
  }
  return {
    at: new Date(Number(at >> 16n)).toISOString(),
    hlc: atText,
    runs: [...runs.values()].map((r) => ({ id: r.id, plan: r.plan, state: r.state, tasks: [...r.tasks.values()] })),
    weights,
    backendWeights,
    effectiveWeights,
    health: [...health.values()],
    operator,
    eventCount: count,
    ...(last ? { last } : {}),
  };
}
