/**
 * High availability, proven against the real programs: three `maelstrom serve` on one PostgreSQL store (started by
 * the test), driving a `maelstrom sim` process. The leader in the datacenter being drained hands the lease to a
 * standby elsewhere before the drain starts; the new leader is SIGKILLed mid-drain (left a zombie by a parent that
 * does not reap), and the next one SIGSTOPped; each time a standby resumes the drain, and the stopped one, continued,
 * commits nothing and sends nothing. Afterwards the simulator's journal and the store's events show no repeated or
 * skipped stage and nothing from a fenced-off controller.
 *
 * The same checks run against a cluster started with the test-only unfenced commit path must find violations:
 * the test can fail.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { postgresBin } from '../src/lab/postgres.js';
import { eventViolations, journalViolations, staleActivity, stageViolations } from './ha/checks.js';
import { PLAN, startCluster, type Cluster, type Serve } from './ha/cluster.js';
import { eventually } from './integration/programs.js';

const available = postgresBin() !== undefined || process.env.CI === 'true';
// The drain takes about a minute of wall time: long enough for two takeovers, one of them a lease running out.
const SPEED = 30;

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

async function runState(c: Cluster, runId: string): Promise<string | undefined> {
  return (await c.store.getRun(runId))?.state;
}

/** Stage ends committed so far under `epoch` (or any epoch). */
async function stageEnds(c: Cluster, epoch?: number): Promise<number> {
  return (await c.events()).filter((e) => e.type === 'stage.end' && (epoch === undefined || e.epoch === epoch)).length;
}

/** Waits for a leader other than `old` with a later epoch; answers it, and when it first committed a run's event. */
async function takeover(
  c: Cluster,
  old: Serve,
  oldEpoch: number,
): Promise<{ serve: Serve; epoch: number; ms: number }> {
  const t0 = Date.now();
  const { serve, health } = await c.leader(30_000, [old]);
  const epoch = health.epoch ?? 0;
  expect(epoch).toBeGreaterThan(oldEpoch);
  // Resumed: its first event of a run (a stage resumed, a step).
  await eventually(
    'the new leader to resume the run',
    async () => (await c.events()).some((e) => e.epoch === epoch && e.runId !== undefined),
    30_000,
  );
  return { serve, epoch, ms: Date.now() - t0 };
}

describe.runIf(available)('several controllers on one PostgreSQL store', () => {
  it(
    'a standby resumes a drain after the leader is SIGKILLed and after it is SIGSTOPped, repeating and skipping no ' +
      'stage; the stopped one, continued, commits and sends nothing; a drain of the leader’s datacenter moves the lease first',
    async () => {
      const c = (cluster = await startCluster({ speed: SPEED }));
      const east = await c.startServe({ datacenter: 'east' });
      const first = await c.leader(30_000);
      expect(first.serve).toBe(east);
      expect(first.health).toMatchObject({
        ok: true,
        leader: true,
        epoch: 1,
        controller: expect.stringMatching(`/${east.pid}/`),
      });

      // Alone in the datacenter it would drain: refused, naming the problem.
      const refused = await c.api<{ error: { code: string; message: string } }>(east, 'POST', '/runs', { plan: PLAN });
      expect(refused.status).toBe(409);
      expect(refused.body.error.code).toBe('E_NO_STANDBY');
      expect(refused.body.error.message).toMatch(
        /drains east, where this controller .* runs.*No healthy standby runs outside east/s,
      );

      const west = await c.startServe({ datacenter: 'west' });
      await c.startServe({ datacenter: 'central' });
      // A standby answers reads, and refuses writes naming the leader.
      await eventually(
        'the standbys to know the leader',
        async () => (await west.health())?.leaderInfo?.datacenter === 'east',
        20_000,
      );
      expect((await c.api<{ runs: unknown[] }>(west, 'GET', '/runs')).status).toBe(200);
      const misdirected = await c.api<{ error: { code: string; message: string } }>(west, 'POST', '/halt', {
        reason: 'x',
      });
      expect(misdirected.status).toBe(421);
      expect(misdirected.body.error.code).toBe('E_NOT_LEADER');
      expect(misdirected.body.error.message).toContain(
        `the leader is ${first.health.controller} in east, whose API answers at ${east.url}`,
      );

      // The drain of east: the east leader hands the lease to a standby elsewhere, which starts it.
      const started = await c.api<{ id: string }>(east, 'POST', '/runs', { plan: PLAN });
      expect(started.status, JSON.stringify(started.body)).toBe(201);
      const runId = started.body.id;
      const second = await c.leader(20_000);
      expect(['west', 'central']).toContain(second.serve.datacenter);
      expect(second.health.epoch).toBe(2);
      expect((await east.health())?.state).toBe('standby');
      const handover = (await c.events()).find((e) => e.type === 'controller' && e.change === 'handover');
      expect(handover).toMatchObject({ epoch: 1, to: second.health.controller });

      // SIGKILL mid-drain: a standby takes over at once (the dead one is a zombie, still in the process table).
      await eventually('two stages to end', async () => (await stageEnds(c, 2)) >= 2, 60_000);
      second.serve.signal('SIGKILL');
      const third = await takeover(c, second.serve, 2);
      expect(third.ms).toBeLessThan(15_000);

      // SIGSTOP mid-drain: a standby takes over once the stopped one's lease runs out.
      await eventually('two more stages to end', async () => (await stageEnds(c, third.epoch)) >= 2, 60_000);
      third.serve.signal('SIGSTOP');
      const fourth = await takeover(c, third.serve, third.epoch);
      expect(fourth.ms).toBeLessThan(20_000);
      const eventsAtTakeover = await c.events();
      const journalAtTakeover = await c.journal();
      const firstLaterSeq = eventsAtTakeover.find((e) => e.epoch === fourth.epoch)!.seq!;
      const firstLaterCall = journalAtTakeover.find((j) => j.epoch === fourth.epoch)?.seq ?? journalAtTakeover.length;
      // Continued, the stopped one learns it lost the lease, stands by, and does nothing more.
      third.serve.signal('SIGCONT');
      await eventually(
        'the continued controller to stand by',
        async () => (await third.serve.health())?.state === 'standby',
        20_000,
      );
      expect(third.serve.output()).toMatch(/stopped acting: .*standing by/);

      await eventually('the drain to succeed', async () => (await runState(c, runId)) === 'succeeded', 150_000);
      const events = await c.events();
      const journal = await c.journal();
      const stale = staleActivity(events, journal, third.epoch, firstLaterSeq, firstLaterCall);
      expect(stale.commits, 'commits of the continued controller').toBe(0);
      expect(stale.actions, 'actions of the continued controller').toBe(0);
      expect(journalViolations(journal)).toEqual([]);
      expect(eventViolations(events)).toEqual([]);
      expect(stageViolations(events, await c.store.listRuns())).toEqual([]);
      // Only the leaders after the handover acted, the last one included.
      const acted = new Set(journal.filter((j) => !j.refused).map((j) => j.epoch));
      expect([...acted].every((e) => e >= 2)).toBe(true);
      expect(acted.has(fourth.epoch)).toBe(true);
    },
    360_000,
  );

  it('the same checks catch a controller that commits after its lease moved on, when commits are not fenced', async () => {
    const c = (cluster = await startCluster({ speed: SPEED }));
    const env = { MAELSTROM_UNFENCED_FOR_TESTS: '1' };
    const a = await c.startServe({ env });
    await c.leader(30_000);
    const b = await c.startServe({ env });
    const started = await c.api<{ id: string }>(a, 'POST', '/runs', { plan: PLAN });
    expect(started.status).toBe(201);
    const found: string[] = [];
    // Freeze the leader past its lease, let the standby take over, and continue it: each round, it has stage
    // timers due when it wakes, which commit before it learns it lost the lease.
    let leader = a;
    let standby = b;
    for (let round = 0; round < 3 && found.length === 0; round++) {
      const { health } = await c.leader(30_000);
      await eventually('a stage to end', async () => (await stageEnds(c, health.epoch ?? 0)) >= 1, 60_000);
      leader.signal('SIGSTOP');
      await takeover(c, leader, health.epoch ?? 0);
      leader.signal('SIGCONT');
      await eventually(
        'the continued controller to stand by',
        async () => (await leader.health())?.state === 'standby',
        20_000,
      );
      found.push(...eventViolations(await c.events()), ...journalViolations(await c.journal()));
      [leader, standby] = [standby, leader];
    }
    expect(found.length, 'violations found with commits unfenced').toBeGreaterThan(0);
  }, 360_000);
});
