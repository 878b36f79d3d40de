/**
 * The tests' kill switch: `maelstrom tests halt --reason R`, `POST /api/v1/tests/halt`, the dashboard's button. It
 * is a switch in the store, so that it holds whichever process sets it and whether a controller runs or not: while
 * it is on, no test starts, and the controller driving the store aborts every running test and restores its
 * datacenter (at its next look at the test, within seconds, or at once when the switch goes through it). Each
 * switch is audited.
 */
import { auditEntry, failureOf } from '../engine/audit.js';
import type { Actor } from '../engine/controller.js';
import { MaelstromError } from '../model/errors.js';
import { hasRole } from '../model/roles.js';
import type { AuditLog, TestRecord, TestStore, TestsHalt } from '../store/store.js';

export interface HaltResult {
  readonly halt: TestsHalt;
  /** The tests that were running when the switch went on: they are being aborted and restored. */
  readonly stopping: readonly TestRecord[];
}

/** Turns the switch on (`halted`) or off, and audits it once, with its outcome. */
export async function switchTests(
  store: TestStore & AuditLog,
  actor: Actor,
  halted: boolean,
  reason: string | undefined,
  now: number,
): Promise<HaltResult> {
  const action = halted ? 'tests.halt' : 'tests.resume';
  const record = { time: now, actor, action, ...(reason !== undefined ? { reason } : {}) };
  try {
    if (!hasRole(actor.role, 'operator'))
      throw new MaelstromError(
        'E_FORBIDDEN',
        `${actor.name} is a viewer: halting or resuming tests needs the operator role`,
      );
    if (halted && (reason === undefined || reason.trim() === ''))
      throw new MaelstromError('E_BAD_REQUEST', 'halting the tests needs a reason (it is recorded for the postmortem)');
    const halt: TestsHalt = {
      halted,
      since: now,
      actor: actor.name,
      ...(reason !== undefined && reason.trim() !== '' ? { reason: reason.trim() } : {}),
    };
    await store.setTestsHalt(halt);
    const stopping = halted ? await store.listTests({ active: true }) : [];
    await store.appendAudit(auditEntry({ ...record, result: { tests: stopping.map((t) => t.id) } }));
    return { halt, stopping };
  } catch (e) {
    await store.appendAudit(auditEntry(record, failureOf(e)));
    throw e;
  }
}
