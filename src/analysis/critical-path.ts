/**
 * Critical-path analysis of a finished run: which chain of tasks (and, inside them, which stages) determined how
 * long it took, and how much each task could have slipped without making the run longer (its slack).
 *
 * It works on what happened, not on the plan's estimate: durations are the tasks' actual ones, and the chain is
 * followed backwards from the task that finished last through the dependency that finished last before it.
 */

export interface TimedStage {
  readonly stage: number;
  readonly uses: string;
  readonly startedAt: number;
  readonly finishedAt?: number;
}

export interface TimedTask {
  readonly id: string;
  readonly after: readonly string[];
  /** Seconds (any origin, the same for all tasks). */
  readonly startedAt?: number;
  readonly finishedAt?: number;
  readonly stages?: readonly TimedStage[];
}

export interface CriticalStage {
  readonly task: string;
  readonly stage: number;
  readonly uses: string;
  readonly seconds: number;
}

export interface CriticalPath {
  /** Task ids, first to last. */
  readonly tasks: readonly string[];
  /** The longest stage of each task of the chain: what to make faster to shorten the run. */
  readonly stages: readonly CriticalStage[];
  /** Seconds each finished task could have finished later without delaying the run's end. */
  readonly slack: Readonly<Record<string, number>>;
  /** Seconds the chain's tasks spent waiting to start after their last dependency finished (slots, pre-conditions). */
  readonly waitingSeconds: number;
}

const EPS = 1e-6;

function finishedTasks(
  tasks: readonly TimedTask[],
): Map<string, TimedTask & { startedAt: number; finishedAt: number }> {
  const out = new Map<string, TimedTask & { startedAt: number; finishedAt: number }>();
  for (const t of tasks) {
    if (t.startedAt !== undefined && t.finishedAt !== undefined)
      out.set(t.id, { ...t, startedAt: t.startedAt, finishedAt: t.finishedAt });
  }
  return out;
}

export function criticalPath(tasks: readonly TimedTask[]): CriticalPath {
  const done = finishedTasks(tasks);
  if (done.size === 0) return { tasks: [], stages: [], slack: {}, waitingSeconds: 0 };

  // The chain: from the last task to finish, back through the dependency that released it.
  let last: (TimedTask & { startedAt: number; finishedAt: number }) | undefined;
  for (const t of done.values())
    if (
      !last ||
      t.finishedAt > last.finishedAt + EPS ||
      (Math.abs(t.finishedAt - last.finishedAt) <= EPS && t.id < last.id)
    )
      last = t;
  const chain: string[] = [];
  let waiting = 0;
  const seen = new Set<string>();
  for (let t = last; t && !seen.has(t.id);) {
    seen.add(t.id);
    chain.push(t.id);
    let prev: (TimedTask & { startedAt: number; finishedAt: number }) | undefined;
    for (const id of t.after) {
      const d = done.get(id);
      if (d && d.finishedAt <= t.startedAt + EPS && (!prev || d.finishedAt > prev.finishedAt)) prev = d;
    }
    if (prev) waiting += Math.max(0, t.startedAt - prev.finishedAt);
    t = prev;
  }
  chain.reverse();

  // Slack: latest finish that does not delay the end, given each successor's actual duration.
  const end = Math.max(...[...done.values()].map((t) => t.finishedAt));
  const successors = new Map<string, string[]>();
  for (const t of done.values())
    for (const d of t.after) {
      if (!successors.has(d)) successors.set(d, []);
      successors.get(d)!.push(t.id);
    }
  const latestFinish = new Map<string, number>();
  const lf = (id: string, stack: Set<string>): number => {
    const known = latestFinish.get(id);
    if (known !== undefined) return known;
    let v = end;
    if (!stack.has(id)) {
      stack.add(id);
      for (const s of successors.get(id) ?? []) {
        const st = done.get(s)!;
        v = Math.min(v, lf(s, stack) - (st.finishedAt - st.startedAt));
      }
      stack.delete(id);
    }
    latestFinish.set(id, v);
    return v;
  };
  const slack: Record<string, number> = {};
  for (const t of done.values()) slack[t.id] = Math.max(0, round(lf(t.id, new Set()) - t.finishedAt));
  for (const id of chain) slack[id] = 0;

  const stages: CriticalStage[] = [];
  for (const id of chain) {
    let best: CriticalStage | undefined;
    for (const s of done.get(id)!.stages ?? []) {
      const seconds = round((s.finishedAt ?? done.get(id)!.finishedAt) - s.startedAt);
      if (!best || seconds > best.seconds) best = { task: id, stage: s.stage, uses: s.uses, seconds };
    }
    if (best) stages.push(best);
  }
  return { tasks: chain, stages, slack, waitingSeconds: round(waiting) };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
