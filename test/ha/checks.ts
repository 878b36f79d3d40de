/**
 * What the high-availability test and benchmark check after controllers were killed and stopped under a drain, each
 * answering a list of violations (empty when all is well):
 *
 * - the simulator's journal: the epochs of accepted calls never decrease (no action of a controller fenced off);
 * - the store's journal of events: every event carries the epoch it was committed under, and those never decrease
 *   (no commit of a controller fenced off);
 * - no completed stage repeated (a stage ended twice, begun again after its end, or acted on after a later stage
 *   of its task acted), and none skipped (every stage of every task of a succeeded run ended).
 */
import type { JournalEntry } from '../../src/backends/sim/backend.js';
import type { EngineEvent } from '../../src/model/events.js';
import type { RunRecord } from '../../src/store/store.js';

export function journalViolations(journal: readonly JournalEntry[]): string[] {
  const out: string[] = [];
  let highest = 0;
  for (const j of journal) {
    if (j.refused) continue;
    if (j.epoch < highest)
      out.push(`journal #${j.seq}: ${j.kind} accepted at epoch ${j.epoch} after epoch ${highest} had acted`);
    highest = Math.max(highest, j.epoch);
  }
  // Per task, accepted actions never go back to an earlier stage: a completed stage is never acted on again.
  const stageOf = new Map<string, number>();
  for (const j of journal) {
    if (j.refused || !j.origin) continue;
    const key = `${j.origin.runId}/${j.origin.taskId}`;
    const last = stageOf.get(key);
    if (last !== undefined && j.origin.stage < last)
      out.push(`journal #${j.seq}: ${j.origin.taskId} acted in stage ${j.origin.stage} after stage ${last}`);
    stageOf.set(key, Math.max(last ?? 0, j.origin.stage));
  }
  return out;
}

export function eventViolations(events: readonly EngineEvent[]): string[] {
  const out: string[] = [];
  let highest = 0;
  for (const e of events) {
    if (e.epoch === undefined) {
      out.push(`event #${e.seq ?? '?'} (${e.type}) carries no epoch`);
      continue;
    }
    if (e.epoch < highest)
      out.push(`event #${e.seq ?? '?'} (${e.type}) committed at epoch ${e.epoch} after ${highest}`);
    highest = Math.max(highest, e.epoch);
  }
  return out;
}

export function stageViolations(events: readonly EngineEvent[], runs: readonly RunRecord[]): string[] {
  const out: string[] = [];
  const ended = new Map<string, number>();
  for (const e of events) {
    if (e.type === 'stage.end' && e.outcome === 'success') {
      const key = `${e.runId}/${e.taskId}#${e.stage}`;
      if (ended.has(key))
        out.push(`${e.taskId} stage ${e.stage} ended twice (events #${ended.get(key)} and #${e.seq})`);
      ended.set(key, e.seq ?? 0);
    }
    if (e.type === 'stage.start') {
      const key = `${e.runId}/${e.taskId}#${e.stage}`;
      if (ended.has(key)) out.push(`${e.taskId} stage ${e.stage} began again (event #${e.seq}) after it ended`);
    }
  }
  for (const run of runs) {
    if (run.state !== 'succeeded') continue;
    for (const t of run.compiled.tasks)
      t.stages.forEach((s, i) => {
        if (!ended.has(`${run.id}/${t.id}#${i}`)) out.push(`${t.id} stage ${i} (${s.uses}) never ended: skipped`);
      });
  }
  return out;
}

/** What a controller fenced off at `epoch` did after `after` (a wall-clock moment): its commits and accepted actions. */
export function staleActivity(
  events: readonly EngineEvent[],
  journal: readonly JournalEntry[],
  epoch: number,
  firstLaterSeq: number,
  firstLaterJournal: number,
): { commits: number; actions: number; refused: number } {
  return {
    commits: events.filter((e) => e.epoch === epoch && (e.seq ?? 0) > firstLaterSeq).length,
    actions: journal.filter((j) => j.epoch === epoch && !j.refused && j.seq > firstLaterJournal).length,
    refused: journal.filter((j) => j.epoch === epoch && j.refused === true).length,
  };
}
