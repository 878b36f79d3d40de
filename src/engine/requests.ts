/**
 * Operator requests from another process. A command such as `maelstrom pause RUN` run in a second terminal cannot
 * reach the controller's memory, so it records the request in the store's audit log; the controller driving the
 * run (or the next one to start on that store) applies it and records that it did. A request is applied once.
 */
import type { Actor, OperatorCommand } from './controller.js';
import type { AuditEntry, AuditLog } from '../store/store.js';

export const REQUEST_ACTION = 'request';
export const APPLIED_ACTION = 'request.applied';

export type RequestBody =
  | {
      readonly kind: 'command';
      readonly runId: string;
      readonly command: OperatorCommand;
      readonly role: Actor['role'];
    }
  | { readonly kind: 'halt'; readonly reason: string; readonly role: Actor['role'] };

export interface PendingRequest {
  readonly id: number;
  readonly actor: Actor;
  readonly body: RequestBody;
}

/** Records a request for whichever controller drives the run; returns its id. */
export async function recordRequest(audit: AuditLog, actor: Actor, body: RequestBody, time: number): Promise<number> {
  const target = body.kind === 'command' ? body.runId : undefined;
  const reason = body.kind === 'command' ? body.command.reason : body.reason;
  return audit.appendAudit({
    time,
    actor: actor.name,
    action: REQUEST_ACTION,
    details: body,
    ...(target !== undefined ? { target } : {}),
    ...(reason !== undefined ? { reason } : {}),
  });
}

function isBody(v: unknown): v is RequestBody {
  const b = v as { kind?: unknown } | null;
  return typeof b === 'object' && b !== null && (b.kind === 'command' || b.kind === 'halt');
}

/** Reads the audit log after `afterId`; returns the requests not yet applied and the last id seen. */
export async function pendingRequests(
  audit: AuditLog,
  afterId: number,
  applied: Set<number>,
): Promise<{ requests: PendingRequest[]; lastId: number }> {
  let last = afterId;
  const found: PendingRequest[] = [];
  for (;;) {
    const page: readonly AuditEntry[] = await audit.listAudit({ afterId: last, limit: 500 });
    if (page.length === 0) break;
    for (const e of page) {
      if (e.id !== undefined) last = Math.max(last, e.id);
      if (e.action === APPLIED_ACTION) {
        const id = (e.details as { requestId?: unknown } | undefined)?.requestId;
        if (typeof id === 'number') applied.add(id);
      } else if (e.action === REQUEST_ACTION && e.id !== undefined && isBody(e.details)) {
        found.push({ id: e.id, actor: { name: e.actor, role: e.details.role }, body: e.details });
      }
    }
    if (page.length < 500) break;
  }
  return { requests: found.filter((r) => !applied.has(r.id)), lastId: last };
}
