/**
 * What-ifs for the tasks that matter: "if X took half as long, the drain would end 5m30s sooner". Answered by
 * running the simulation again with that task sped up (the caller supplies the re-run), not by subtracting on the
 * critical path: a faster task can put more load on the receivers and make the pacer slow down elsewhere, or
 * another chain can be nearly as long.
 */
import { formatDuration } from '../model/duration.js';

export interface WhatIfQuestion {
  readonly plan: string;
  readonly task: string;
  readonly factor: number;
}

export interface WhatIfAnswer extends WhatIfQuestion {
  readonly drainSeconds: number | null;
  readonly savedSeconds: number | null;
  readonly sentence: string;
}

/** The tasks to ask about: the longest tasks of the critical path first. */
export function whatIfCandidates(
  plan: string,
  path: readonly string[],
  durations: ReadonlyMap<string, number>,
  count: number,
  factor = 0.5,
): WhatIfQuestion[] {
  return [...path]
    .filter((id) => (durations.get(id) ?? 0) > 0)
    .sort((a, b) => (durations.get(b) ?? 0) - (durations.get(a) ?? 0) || a.localeCompare(b))
    .slice(0, count)
    .map((task) => ({ plan, task, factor }));
}

/** How much sooner or later, as every terminal shows a duration: 5m30s. */
function amount(seconds: number): string {
  return formatDuration(Math.abs(seconds) * 1000);
}

export function describeWhatIf(q: WhatIfQuestion, baseline: number | null, drainSeconds: number | null): WhatIfAnswer {
  const share = q.factor === 0.5 ? 'half as long' : `${Math.round(q.factor * 100)} % of the time`;
  if (baseline === null || drainSeconds === null) {
    return {
      ...q,
      drainSeconds,
      savedSeconds: null,
      sentence: `if ${q.task} took ${share}, ${q.plan} would not finish either way in the scenario`,
    };
  }
  const saved = Math.round((baseline - drainSeconds) * 10) / 10;
  const sentence =
    Math.abs(saved) < 30
      ? `if ${q.task} took ${share}, ${q.plan} would end at about the same time ` +
        `(${amount(saved)} ${saved >= 0 ? 'sooner' : 'later'}): another chain or the receivers bound it`
      : saved > 0
        ? `if ${q.task} took ${share}, ${q.plan} would end ${amount(saved)} sooner`
        : `if ${q.task} took ${share}, ${q.plan} would end ${amount(saved)} later (the pacer slows down elsewhere)`;
  return { ...q, drainSeconds, savedSeconds: saved, sentence };
}

/** Re-runs the scenario once per question (in order, the machine is shared) and describes each answer. */
export async function answerWhatIfs(
  questions: readonly WhatIfQuestion[],
  baseline: number | null,
  rerun: (q: WhatIfQuestion) => Promise<number | null>,
): Promise<WhatIfAnswer[]> {
  const out: WhatIfAnswer[] = [];
  for (const q of questions) out.push(describeWhatIf(q, baseline, await rerun(q)));
  return out;
}
