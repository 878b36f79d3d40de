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
import type { RunStore } from '../store/store.js';

/** The backend actions each stage may send, so a plan whose backend lacks one is refused before it starts. */
export type StageActions = Readonly<Record<StageKind, readonly ActionKind[]>>;

function pct(x: number): string {
  return `${Math.round(x * 1000) / 10}%`;
}

/** Refuses a plan whose pre-flight check fails, with the figures. */
export function checkPreflight(compiled: CompiledPlan): void {
  if (compiled.preflight.ok) return;
  const bad = compiled.preflight.services.filter((s) => !s.ok);
  const lines = bad.map(
    (s) =>
      `${s.service}: load ${Math.round(s.load)} rps to move, ` +
      `headroom ${Math.round(s.headroom)} rps at ${pct(compiled.preflight.targetUtilization)} target, ` +
      `receivers would reach ${pct(s.utilizationAfter)}${s.reason ? ` (${s.reason})` : ''}`,
  );
  throw new MaelstromError(
    'E_PREFLIGHT',
    `plan "${compiled.plan}" fails the pre-flight check: ` +
      `the other datacenters cannot absorb ${compiled.datacenter}'s load — ${lines.join('; ')}`,
    { details: compiled.preflight },
  );
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

/**
 * Refuses (E_CONFLICT, naming the run and the services) a plan that would act on services another run acts on in
 * the same datacenter. Proposed runs act on nothing and are not in the way; `self` is the run being approved.
 */
export async function checkConflict(
  store: Pick<RunStore, 'listRuns'>,
  compiled: CompiledPlan,
  self?: string,
): Promise<void> {
  const mine = servicesOf(compiled);
  for (const other of await store.listRuns({ active: true })) {
    if (other.id === self || !isActingRun(other.state) || other.datacenter !== compiled.datacenter) continue;
    const overlap = [...servicesOf(other.compiled)].filter((s) => mine.has(s));
    if (overlap.length > 0) {
      throw new MaelstromError(
        'E_CONFLICT',
        `run ${other.id} (${other.plan}, ${other.state}) is already acting on ${overlap.slice(0, 5).join(', ')}` +
          `${overlap.length > 5 ? ` and ${overlap.length - 5} more` : ''} in ${compiled.datacenter}; ` +
          'finish or abort it first',
        { details: { run: other.id, services: overlap } },
      );
    }
  }
}
