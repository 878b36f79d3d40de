/**
 * A store that fails under a drain, against the real programs: a `maelstrom serve` on a PostgreSQL server started by
 * the test, driving a `maelstrom sim` process. The server is stopped and started again mid-drain, then the database
 * is made read-only and writable again, and (where the test may mount a small disk for it) the disk under the
 * database fills up and is freed again. Each time the controller holds its runs (it sends no action while it cannot
 * commit), says so in its health answer and in the journal of events (stored once the store answers), reconnects
 * with a back-off and resumes; it never crashes, and no stage is repeated or skipped.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Health } from '../src/model/api.js';
import { postgresBin } from '../src/lab/postgres.js';
import { eventViolations, journalViolations, stageViolations } from './ha/checks.js';
import { PLAN, startCluster, type Cluster, type Serve } from './ha/cluster.js';
import { eventually } from './integration/programs.js';

const available = postgresBin() !== undefined || process.env.CI === 'true';
const SPEED = 30;

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

async function stageEnds(c: Cluster): Promise<number> {
  return (await c.events().catch(() => [])).filter((e) => e.type === 'stage.end').length;
}

/** Holds while the store fails: the health says so, and the journal of actions does not grow. */
async function heldThrough(
  c: Cluster,
  serve: Serve,
  error: RegExp,
  fault: () => Promise<void>,
  mend: () => Promise<void>,
): Promise<Health> {
  await fault();
  let held: Health | undefined;
  await eventually(
    'the controller to hold its runs',
    async () => {
      held = await serve.health();
      // The first error may be the connection being cut; the one that lasts is the store's state.
      return held?.state === 'held' && error.test(held.storeError ?? '');
    },
    30_000,
  ).catch((e: unknown) => {
    throw new Error(`${(e as Error).message}; health ${JSON.stringify(held)}; output:\n${serve.output().slice(-2000)}`);
  });
  expect(held).toMatchObject({ ok: false, leader: true });
  expect(held?.storeError).toMatch(error);
  // Nothing is sent while it cannot commit: the journal stands still for two seconds (60 s of the drain).
  const before = (await c.journal()).length;
  await new Promise((r) => setTimeout(r, 2_000));
  expect((await c.journal()).length).toBe(before);
  expect((await serve.health())?.state).toBe('held');
  await mend();
  await eventually('the controller to resume', async () => (await serve.health())?.state === 'leading', 30_000);
  return held!;
}

describe.runIf(available)('a failing store under a drain', () => {
  it('PostgreSQL restarted, then read-only, then its disk full: the controller holds its runs, says so, reconnects and resumes; nothing lost, repeated or skipped', async () => {
    const c = (cluster = await startCluster({ speed: SPEED, smallDiskMb: 64 }));
    const serve = await c.startServe();
    await c.leader(30_000);
    const started = await c.api<{ id: string }>(serve, 'POST', '/runs', { plan: PLAN });
    expect(started.status).toBe(201);

    await eventually('two stages to end', async () => (await stageEnds(c)) >= 2, 60_000);
    await heldThrough(
      c,
      serve,
      /the store does not answer/,
      () => c.pg.halt(),
      () => c.pg.resume(),
    );

    await eventually('two more stages to end', async () => (await stageEnds(c)) >= 4, 60_000);
    await heldThrough(
      c,
      serve,
      /the store is read-only/,
      () => c.pg.readOnly('maelstrom', true),
      () => c.pg.readOnly('maelstrom', false),
    );

    if (c.disk) {
      // A full disk lets some writes through (those that fit in pages already there): the controller may resume
      // and hold again while it stays full, but every hold names the full disk, and it resumes once freed.
      await eventually('two more stages to end', async () => (await stageEnds(c)) >= 6, 60_000);
      const disk = c.disk;
      await disk.fill();
      await eventually(
        'the controller to hold its runs on the full disk',
        async () => /the store is full/.test((await serve.health())?.storeError ?? ''),
        30_000,
      );
      expect(await serve.health()).toMatchObject({ ok: false, leader: true, state: 'held' });
      await disk.unfill();
      await eventually('the controller to resume', async () => (await serve.health())?.state === 'leading', 30_000);
    }

    await eventually(
      'the drain to succeed',
      async () => (await c.store.getRun(started.body.id))?.state === 'succeeded',
      150_000,
    );
    expect(serve.killed).toBe(false);
    expect(serve.output()).not.toMatch(/at .*\.ts:\d+/); // no stack trace
    const events = await c.events();
    // Both holds are in the journal, each with its error, and each resumption after it.
    const controllerEvents = events
      .filter((e) => e.type === 'controller')
      .map((e) => (e.type === 'controller' ? e.change : ''));
    // Each hold is followed by its resumption; the holds name, in order, the server gone, the database read-only
    // and (where a small disk could be mounted) the disk full, perhaps more than once while it stayed full.
    expect(controllerEvents[0]).toBe('leading');
    expect(controllerEvents.slice(1)).toEqual(
      Array<string[]>((controllerEvents.length - 1) / 2)
        .fill(['held', 'resumed'])
        .flat(),
    );
    const details = events.flatMap((e) => (e.type === 'controller' && e.change === 'held' ? [e.detail ?? ''] : []));
    expect(details[0]).toMatch(/does not answer/);
    expect(details[1]).toMatch(/read-only/);
    if (c.disk) {
      expect(details.length).toBeGreaterThanOrEqual(3);
      for (const d of details.slice(2)) expect(d).toMatch(/the store is full/);
    } else expect(details).toHaveLength(2);
    expect(eventViolations(events)).toEqual([]);
    expect(journalViolations(await c.journal())).toEqual([]);
    expect(stageViolations(events, await c.store.listRuns())).toEqual([]);
  }, 360_000);
});
