/**
 * The audit log's record of an operator action: who (with their role), what, on what, why, and how it ended. Each
 * action is recorded once, by whoever decided its outcome: the controller for everything it is asked to do (from
 * the API, the CLI or a request another process left in the store), the server only for a call it refused itself
 * before the controller saw it.
 */
import { toMaelstromError } from '../model/errors.js';
import type { AuditEntry, RequestOutcome } from '../store/store.js';
import type { Actor } from './controller.js';

/** `ok`; `refused` when the actor may not act at all (E_FORBIDDEN); `failed` with the error otherwise. */
export type ActionOutcome = RequestOutcome;

export interface ActionRecord {
  readonly time: number;
  readonly actor: Actor;
  readonly action: string;
  readonly target?: string;
  readonly reason?: string;
  /** What was asked for (the command, the plan). */
  readonly request?: unknown;
  /** The operator request (from another process) the action came from. */
  readonly requestId?: number;
  /** What the action found or made, when it succeeded (the run started, the runs halted). */
  readonly result?: Readonly<Record<string, unknown>>;
}

export interface ActionFailure {
  readonly outcome: Exclude<ActionOutcome, 'ok'>;
  readonly code: string;
  readonly message: string;
}

/** The outcome of an action that threw, with the error's code and message. */
export function failureOf(error: unknown): ActionFailure {
  const e = toMaelstromError(error);
  return { outcome: e.code === 'E_FORBIDDEN' ? 'refused' : 'failed', code: e.code, message: e.message };
}

/** The audit entry of an action that succeeded (no failure) or did not. */
export function auditEntry(record: ActionRecord, failure?: ActionFailure): AuditEntry {
  return {
    time: record.time,
    actor: `${record.actor.name} (${record.actor.role})`,
    action: record.action,
    ...(record.target !== undefined ? { target: record.target } : {}),
    ...(record.reason !== undefined ? { reason: record.reason } : {}),
    details: {
      outcome: failure?.outcome ?? 'ok',
      ...(failure !== undefined ? { error: failure.code, message: failure.message } : {}),
      ...(record.request !== undefined ? { request: record.request } : {}),
      ...(record.requestId !== undefined ? { requestId: record.requestId } : {}),
      ...record.result,
    },
  };
}
