/**
 * Operator requests from another process. A command such as `maelstrom pause RUN` run in a second terminal cannot
 * reach the controller's memory, so it records the request in the store's requests table; the controller holding
 * the store's lease (or the next one to start on that store) applies it, audits the action once with its outcome,
 * and marks the request applied with that outcome, which is what the waiting command reads.
 */
import type { Actor, OperatorCommand } from './controller.js';
import type { OperatorRequest, RequestStore } from '../store/store.js';

export type RequestBody =
  | { readonly kind: 'command'; readonly runId: string; readonly command: OperatorCommand }
  | { readonly kind: 'halt'; readonly reason: string }
  /** A start handed over with the lease: the controller that takes the lease starts the run under this id. */
  | { readonly kind: 'start'; readonly plan: string; readonly runId: string; readonly emergency?: string };

export interface PendingRequest {
  readonly id: number;
  readonly actor: Actor;
  /** Undefined when the stored body is not one this controller understands (it is then refused, not guessed at). */
  readonly body: RequestBody | undefined;
}

/** Records a request for whichever controller drives the run; returns its id. */
export async function recordRequest(
  store: RequestStore,
  actor: Actor,
  body: RequestBody,
  time: number,
): Promise<number> {
  return store.recordRequest({
    time,
    actor: actor.name,
    role: actor.role,
    ...(body.kind !== 'halt' ? { runId: body.runId } : {}),
    body,
  });
}

function parseBody(v: unknown): RequestBody | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const b = v as {
    kind?: unknown;
    runId?: unknown;
    command?: unknown;
    reason?: unknown;
    plan?: unknown;
    emergency?: unknown;
  };
  if (b.kind === 'halt' && typeof b.reason === 'string') return { kind: 'halt', reason: b.reason };
  if (b.kind === 'start' && typeof b.plan === 'string' && typeof b.runId === 'string')
    return {
      kind: 'start',
      plan: b.plan,
      runId: b.runId,
      ...(typeof b.emergency === 'string' ? { emergency: b.emergency } : {}),
    };
  const action = (b.command as { action?: unknown } | null | undefined)?.action;
  if (b.kind === 'command' && typeof b.runId === 'string' && typeof action === 'string')
    // The command's fields are checked where it is applied, as those of a command from the API are.
    return { kind: 'command', runId: b.runId, command: b.command as OperatorCommand };
  return undefined;
}

const PAGE = 500;

/** Every request not yet applied, oldest first. */
export async function pendingRequests(store: RequestStore): Promise<PendingRequest[]> {
  const found: PendingRequest[] = [];
  let after = 0;
  for (;;) {
    const page: readonly OperatorRequest[] = await store.pendingRequests({ afterId: after, limit: PAGE });
    for (const r of page) found.push({ id: r.id, actor: { name: r.actor, role: r.role }, body: parseBody(r.body) });
    if (page.length < PAGE) break;
    after = page[page.length - 1]!.id;
  }
  return found;
}
