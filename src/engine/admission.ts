/**
 * Whether a run may begin acting: its pre-flight check passes, the backend can do what its stages ask, and no other
 * run acts on the same services in the same datacenter. Asked when a run is started, and when a proposed run is
 * approved (a proposal is shown with a failing pre-flight, but never starts with one).
 */
import type { ActionKind, Backend } from '../backends/backend.js';
import type { CompiledPlan } from '../model/compiled.js';
import type { StageKind } from '../model/definitions.js';
import { MaelstromError } from '../model/errors.js';
import { isActingRun } from '../model/states.js';
import type { RunRecord, RunStore } from '../store/store.js';

/** The backend actions each stage may send, so a plan whose backend lacks one is refused before it starts. */
export type StageActions = Readonly<Record<StageKind, readonly ActionKind[]>>;

/** Services named in a refusal before the rest are counted: the figures are in the error's details. */
const PREFLIGHT_SHOWN = 5;

/**
 * Refuses a plan whose pre-flight check fails, with the figures: each service that does not fit and why, e.g.
 * `search: no other datacenter runs search`, so that a terminal can print `PLAN not started: E_PREFLIGHT …`.
 */
export function checkPreflight(compiled: CompiledPlan): void {
  if (compiled.preflight.ok) return;
  const bad = compiled.preflight.services.filter((s) => !s.ok);
  const lines = bad.slice(0, PREFLIGHT_SHOWN).map((s) => `${s.service}: ${s.reason ?? 'does not fit'}`);
  const more = bad.length > PREFLIGHT_SHOWN ? `; and ${bad.length - PREFLIGHT_SHOWN} more services` : '';
  throw new MaelstromError('E_PREFLIGHT', `${lines.join('; ')}${more}`, { details: compiled.preflight });
}

export function checkSupport(compiled: CompiledPlan, backend: Backend, stageActions: StageActions): void {
  const missing = new Set<string>();
  for (const t of compiled.tasks)
    for (const s of t.stages) {
      const actions: readonly ActionKind[] = Object.hasOwn(stageActions, s.uses)
        ? stageActions[s.uses as StageKind]
        : [];
      for (const a of actions) if (!backend.supports.has(a)) missing.add(`${s.uses} needs ${a}`);
    }
  if (missing.size > 0)
    throw new MaelstromError(
      'E_BAD_REQUEST',
      `backend ${backend.name} cannot run plan "${compiled.plan}": ${[...missing].join(', ')}`,
    );
}

function servicesOf(compiled: CompiledPlan): Set<string> {
  return new Set(compiled.tasks.map((t) => t.service));
}

/** A run already acting on some of a plan's services in its datacenter, and which services. */
export interface Conflict {
  readonly run: RunRecord;
  readonly overlap: readonly string[];
}

/**
 * The runs acting on services the plan would act on, in the same datacenter. Proposed runs act on nothing and are
 * not in the way; `self` is the run being approved.
 */
export async function conflictsOf(
  store: Pick<RunStore, 'listRuns'>,
  compiled: CompiledPlan,
  self?: string,
): Promise<Conflict[]> {
  const mine = servicesOf(compiled);
  const conflicts: Conflict[] = [];
  for (const other of await store.listRuns({ active: true })) {
    if (other.id === self || !isActingRun(other.state) || other.datacenter !== compiled.datacenter) continue;
    const overlap = [...servicesOf(other.compiled)].filter((s) => mine.has(s));
    if (overlap.length > 0) conflicts.push({ run: other, overlap });
  }
  return conflicts;
}

/** E_CONFLICT naming the run in the way and the services. */
export function conflictError({ run: other, overlap }: Conflict, compiled: CompiledPlan): MaelstromError {
  return new MaelstromError(
    'E_CONFLICT',
    `run ${other.id} (${other.plan}, ${other.state}) is already acting on ${overlap.slice(0, 5).join(', ')}` +
      `${overlap.length > 5 ? ` and ${overlap.length - 5} more` : ''} in ${compiled.datacenter}; ` +
      'finish or abort it first',
    { details: { run: other.id, services: overlap } },
  );
}

/** Refuses (E_CONFLICT, naming the run and the services) a plan that would act where another run acts. */
export async function checkConflict(
  store: Pick<RunStore, 'listRuns'>,
  compiled: CompiledPlan,
  self?: string,
): Promise<void> {
  const [first] = await conflictsOf(store, compiled, self);
  if (first) throw conflictError(first, compiled);
}
