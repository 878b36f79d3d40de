/**
 * Takeover: three `maelstrom serve` on a PostgreSQL store (started here), driving a `maelstrom sim` process through a
 * drain; the leader is killed, in turn with SIGKILL (left a zombie) and SIGSTOP (continued once another leads),
 * whenever a stage has ended under its epoch, until `MAELSTROM_HA_KILLS` kills (default 20) over seeded drains.
 * Takeover is the wall time from the signal until the new leader commits the run's first event. Goals: ≤ 10 s
 * median and ≤ 15 s worst for each signal; over all kills, 0 stages repeated or skipped and 0 commits or actions
 * of a fenced-off controller (the journal and event checks of the HA test).
 */
import { PLAN, startCluster } from '../test/ha/cluster.js';
import { eventViolations, journalViolations, stageViolations } from '../test/ha/checks.js';

const SPEED = 20;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(100);
  }
  return false;
}

const median = (xs: readonly number[]): number | null => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

export async function bench(): Promise<Record<string, unknown>> {
  const wanted = Number(process.env.MAELSTROM_HA_KILLS ?? 20);
  const ms: Record<'SIGKILL' | 'SIGSTOP', number[]> = { SIGKILL: [], SIGSTOP: [] };
  const violations: string[] = [];
  const runs: { seed: number; state: string | undefined; kills: number }[] = [];
  let kills = 0;
  for (let seed = 1; kills < wanted && seed <= wanted; seed++) {
    const c = await startCluster({ speed: SPEED, seed });
    let inRun = 0;
    try {
      for (let i = 0; i < 3; i++) await c.startServe();
      const first = await c.leader(60_000);
      const started = await c.api<{ id: string }>(first.serve, 'POST', '/runs', { plan: PLAN });
      if (started.status !== 201) throw new Error(`the drain did not start: ${JSON.stringify(started.body)}`);
      const runId = started.body.id;
      const ended = async (): Promise<boolean> => (await c.store.getRun(runId))?.state === 'succeeded';
      while (kills < wanted && !(await ended())) {
        const { serve, health } = await c.leader(60_000);
        const epoch = health.epoch ?? 0;
        // A stage ended under this leader: the kill lands mid-drain, with work done and work to do.
        const ready = await until(
          async () => (await ended()) || (await c.events()).some((e) => e.type === 'stage.end' && e.epoch === epoch),
          90_000,
        );
        if (!ready || (await ended())) break;
        const sig = kills % 2 === 0 ? 'SIGKILL' : 'SIGSTOP';
        const t0 = Date.now();
        serve.signal(sig);
        const next = await c.leader(60_000, [serve]);
        const nextEpoch = next.health.epoch ?? 0;
        await until(async () => (await c.events()).some((e) => e.epoch === nextEpoch && e.runId === runId), 60_000);
        ms[sig].push(Date.now() - t0);
        kills++;
        inRun++;
        process.stderr.write(`bench: takeover: ${sig} of epoch ${epoch}: ${Date.now() - t0} ms\n`);
        if (sig === 'SIGSTOP') serve.signal('SIGCONT');
        // Replaced, so that three stand ready for the next kill.
        else await c.startServe();
      }
      await until(ended, 300_000);
      violations.push(
        ...journalViolations(await c.journal()),
        ...eventViolations(await c.events()),
        ...stageViolations(await c.events(), await c.store.listRuns()),
      );
      runs.push({ seed, state: (await c.store.getRun(runId))?.state, kills: inRun });
    } finally {
      await c.close();
    }
  }
  const figures = (xs: readonly number[]) => ({
    trials: xs.length,
    medianSeconds: median(xs) === null ? null : Math.round(median(xs)! / 100) / 10,
    worstSeconds: xs.length ? Math.round(Math.max(...xs) / 100) / 10 : null,
    goal: '≤ 10 s median, ≤ 15 s worst',
  });
  return {
    sigkill: figures(ms.SIGKILL),
    sigstop: figures(ms.SIGSTOP),
    kills,
    runs,
    violations: violations.length,
    ...(violations.length ? { firstViolations: violations.slice(0, 5) } : {}),
  };
}
