/**
 * A running shift's (or session teardown's) self-regulation as the dashboard shows it: each resolution its health
 * manager carried out, read as symptom → diagnosis → action → judged effect (or when it will be judged), newest
 * first. Pure: built from the run's `regulation` events.
 */
import type { EngineEvent } from '../../src/model/events.js';
import type { ResolutionOutcome } from '../../src/model/regulation.js';

export interface RegulationLine {
  /** Unique within the task: its layer (a shift has one manager per layer) and the action's number. */
  readonly key: string;
  readonly symptom: string;
  readonly diagnosis: string;
  readonly action: string;
  /** How it was judged, once it was; until then, when it will be. */
  readonly outcome?: ResolutionOutcome;
  readonly effect: string;
  /** The whole line, in words. */
  readonly text: string;
}

const clock = (t: number | undefined): string => (t === undefined ? '—' : new Date(t).toISOString().slice(11, 19));

type Regulation = Extract<EngineEvent, { type: 'regulation' }>;

/** The task's resolutions, newest first (at most `limit`). */
export function regulationOf(events: readonly EngineEvent[], taskId: string, limit = 5): RegulationLine[] {
  const acted: Regulation[] = [];
  const judged = new Map<string, Regulation>();
  const keyOf = (e: Regulation): string => `${e.layer ?? 'teardown'}#${e.action}`;
  for (const e of events) {
    if (e.type !== 'regulation' || e.taskId !== taskId) continue;
    if (e.phase === 'acted') acted.push(e);
    else judged.set(keyOf(e), e);
  }
  return acted
    .slice(-limit)
    .reverse()
    .map((a) => {
      const j = judged.get(keyOf(a));
      const symptom = a.symptoms[0] ?? 'no symptom recorded';
      const action = `${a.resolver} #${a.action}${a.layer ? ` (${a.layer})` : ''}: ${a.detail}`;
      const effect = j ? `${j.outcome ?? 'judged'}: ${j.detail}` : `judged at ${clock(a.judgeAt)}`;
      return {
        key: keyOf(a),
        symptom,
        diagnosis: a.diagnosis,
        action,
        ...(j?.outcome ? { outcome: j.outcome } : {}),
        effect,
        text: `${symptom} → ${a.diagnosis} → ${action} → ${effect}`,
      };
    });
}
