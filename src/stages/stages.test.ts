import { describe, expect, it } from 'vitest';
import { MaelstromError } from '../model/errors.js';
import { stageActions, stages } from './index.js';
import { StageKind } from '../model/definitions.js';
import { testContext, type TestContextOptions } from './testing/context.js';
import { createMemoryBackend, type MemoryBackend } from './testing/memory-backend.js';
import { runStage, smallFleet, smallWorld } from './testing/small-fleet.js';
import type { StageFn } from './stage.js';

async function world(): Promise<MemoryBackend> {
  return smallWorld(createMemoryBackend());
}

function ctxFor(b: MemoryBackend, options: Omit<TestContextOptions, 'backend' | 'fleet'>) {
  return testContext({ backend: b, fleet: smallFleet, ...options });
}

/** Runs the stage twice over; returns both results and the actions of the second run that changed something. */
async function twice(fn: StageFn, b: MemoryBackend, options: Omit<TestContextOptions, 'backend' | 'fleet'>) {
  const first = await runStage(fn, ctxFor(b, options), b.clock);
  const before = b.journal.length;
  const second = await runStage(fn, ctxFor(b, options), b.clock);
  return { first, second, changedAgain: b.journal.slice(before).filter((j) => j.changed) };
}

const code = (e: unknown): string | undefined => (e instanceof MaelstromError ? e.code : undefined);

describe('stage library', () => {
  it('has a stage and its actions for every stage kind', () => {
    expect(Object.keys(stages).sort()).toEqual([...StageKind.options].sort());
    expect(Object.keys(stageActions).sort()).toEqual([...StageKind.options].sort());
  });
});

describe('wait.for', () => {
  it('waits the duration on the clock, and only what is left after a restart', async () => {
    const b = await world();
    const t0 = b.clock.now();
    const ctx = ctxFor(b, { with: { duration: '5m' } });
    expect((await runStage(stages['wait.for'], ctx, b.clock)).result?.outcome).toBe('success');
    expect(b.clock.now() - t0).toBe(300_000);
    const resumed = ctxFor(b, { with: { duration: '5m' }, state: { until: t0 + 400_000 } });
    await runStage(stages['wait.for'], resumed, b.clock);
    expect(b.clock.now() - t0).toBe(400_000);
  });

  it('ends with timeout when the stage deadline comes first', async () => {
    const b = await world();
    const ctx = ctxFor(b, { with: { duration: '10m' }, deadline: b.clock.now() + 60_000 });
    expect((await runStage(stages['wait.for'], ctx, b.clock)).result?.outcome).toBe('timeout');
  });
});

describe('wait.until', () => {
  it('polls the condition until it holds', async () => {
    const b = await world();
    let calls = 0;
    const ctx = ctxFor(b, {
      with: { expr: 'x == 1', interval: '10s' },
      evaluate: () => (++calls >= 4 ? 'true' : 'false'),
    });
    const t0 = b.clock.now();
    expect((await runStage(stages['wait.until'], ctx, b.clock)).result?.outcome).toBe('success');
    expect(b.clock.now() - t0).toBe(30_000);
  });

  it('treats missing data as not yet, and times out saying so', async () => {
    const b = await world();
    const ctx = ctxFor(b, { with: { expr: 'x == 1', timeout: '2m' }, evaluate: () => 'hold' });
    const { result } = await runStage(stages['wait.until'], ctx, b.clock);
    expect(result).toMatchObject({ outcome: 'timeout' });
    expect(result?.detail).toContain('missing data');
  });
});

describe('approval', () => {
  it('waits until an operator approves', async () => {
    const b = await world();
    let approved = false;
    const ctx = ctxFor(b, { with: {}, approved: () => approved });
    const run = runStage(stages.approval, ctx, b.clock, 3600_000);
    await b.clock.advanceTo(b.clock.now() + 120_000);
    approved = true;
    expect((await run).result?.outcome).toBe('success');
  });

  it('times out when nobody approves in time', async () => {
    const b = await world();
    const ctx = ctxFor(b, { with: { timeout: '15m' } });
    expect((await runStage(stages.approval, ctx, b.clock)).result?.outcome).toBe('timeout');
  });
});

describe('traffic.shift on the in-memory backend', () => {
  it('drains the edge by headroom, and running it twice is harmless', async () => {
    const b = await world();
    Object.assign(b.readings.web!.datacenters.west!, { load: 100, utilization: 0.1 }); // far more headroom than central
    const { first, second, changedAgain } = await twice(stages['traffic.shift'], b, {
      with: { layer: 'edge', service: 'web', datacenter: 'east', target: 'zero' },
    });
    expect(first.result?.outcome).toBe('success');
    expect(second.result).toMatchObject({ outcome: 'success' });
    expect(second.result?.detail).toContain('already drained');
    expect(changedAgain).toEqual([]);
    for (const w of Object.values(b.tables.edge.web!)) expect(w.east).toBe(0);
    // 85 % of 1000 less 100 = 750 for west, 550 for central: west gets more of east's weight.
    const p1 = b.tables.edge.web!.p1!;
    expect(p1.west! - 25).toBeGreaterThan(p1.central! - 25);
    expect(b.journal.every((j) => j.origin?.runId === 'run-1' && j.origin.stage === 0)).toBe(true);
  });

  it('holds while a receiver reading is missing, and times out at the deadline', async () => {
    const b = await world();
    delete b.readings.web!.datacenters.central!.load;
    delete b.readings.web!.datacenters.central!.utilization;
    const ctx = ctxFor(b, {
      with: { layer: 'edge', service: 'web', datacenter: 'east' },
      deadline: b.clock.now() + 600_000,
    });
    const { result } = await runStage(stages['traffic.shift'], ctx, b.clock);
    expect(result?.outcome).toBe('timeout');
    expect(b.journal).toEqual([]);
    const holds = ctx.events.filter((e) => e.type === 'shift.step' && e.decision === 'hold');
    expect(holds).toHaveLength(1);
    expect(holds[0]!.type === 'shift.step' && holds[0]!.reason).toContain('central');
  });
});

describe('sessions.drain', () => {
  it('refuses while the edge still sends the service to the datacenter', async () => {
    const b = await world();
    const { result } = await runStage(
      stages['sessions.drain'],
      ctxFor(b, { with: { service: 'chat', datacenter: 'east' } }),
      b.clock,
    );
    expect(result?.outcome).toBe('failure');
    expect(b.journal).toEqual([]);
  });

  it('waits out the grace period, tears the rest down at the rate, then stops tearing down', async () => {
    const b = await world();
    for (const w of Object.values(b.tables.edge.chat!)) w.east = 0;
    const t0 = b.clock.now();
    const options = { with: { service: 'chat', datacenter: 'east', grace: '2m', teardownRate: 10 } };
    const { first, second, changedAgain } = await twice(stages['sessions.drain'], b, options);
    expect(first.result?.outcome).toBe('success');
    expect(b.readings.chat!.datacenters.east!.sessions).toBe(0);
    const teardowns = b.journal
      .filter((j) => j.action.kind === 'sessions.teardown' && j.changed)
      .map((j) => (j.action as { rate: number }).rate);
    // A quarter of the rate first, doubled while the receivers are healthy, and stopped at the end.
    expect(teardowns).toEqual([2.5, 5, 10, 0]);
    // 2 minutes of grace, then 1000 sessions at up to 10/s.
    expect(b.clock.now() - t0).toBeGreaterThanOrEqual(120_000 + 100_000);
    expect(second.result?.outcome).toBe('success');
    expect(changedAgain).toEqual([]);
  });

  it("never tears down faster than the receivers' headroom absorbs, whatever rate is asked", async () => {
    const b = await world();
    for (const w of Object.values(b.tables.edge.chat!)) w.east = 0;
    // 80 % at an 85 % target: 2 × 5 = 10 rps of headroom, half of it for 2.3 requests per session per second.
    for (const dc of ['west', 'central'])
      Object.assign(b.readings.chat!.datacenters[dc]!, { load: 80, utilization: 0.8 });
    const ctx = ctxFor(b, { with: { service: 'chat', datacenter: 'east', grace: '0s', teardownRate: 1000 } });
    const run = runStage(stages['sessions.drain'], ctx, b.clock);
    await b.clock.advanceTo(b.clock.now() + 60_000);
    const rates = b.journal
      .filter((j) => j.action.kind === 'sessions.teardown')
      .map((j) => (j.action as { rate: number }).rate);
    expect(rates[0]).toBeCloseTo(5 / 2.3);
    expect(Math.max(...rates)).toBeLessThanOrEqual(5 / 2.3 + 1e-9);
    expect((await run).result?.outcome).toBe('success');
  });

  it('pauses a self-regulating teardown while the edge sends new sessions to the datacenter again', async () => {
    const b = await world();
    for (const w of Object.values(b.tables.edge.chat!)) w.east = 0;
    const ctx = ctxFor(b, {
      with: { service: 'chat', datacenter: 'east', grace: '0s', teardownRate: 10 },
      pacing: { mode: 'self-regulating' },
    });
    const run = runStage(stages['sessions.drain'], ctx, b.clock);
    await b.clock.advanceTo(b.clock.now() + 15_000);
    // The shift's watch moves traffic back to east: torn-down sessions would partly reconnect there.
    const pop = Object.keys(b.tables.edge.chat!)[0]!;
    b.tables.edge.chat![pop]!.east = 10;
    await b.clock.advanceTo(b.clock.now() + 60_000);
    const rate = (): number | undefined => {
      const last = b.journal.filter((j) => j.action.kind === 'sessions.teardown').at(-1);
      return last ? (last.action as { rate: number }).rate : undefined;
    };
    expect(rate()).toBe(0);
    expect(ctx.events.some((e) => e.type === 'alert' && /teardown paused/.test(e.message))).toBe(true);
    // Drained again: it ramps up afresh and ends.
    b.tables.edge.chat![pop]!.east = 0;
    expect((await run).result?.outcome).toBe('success');
    expect(b.readings.chat!.datacenters.east!.sessions).toBe(0);
  });

  it('slows the teardown while a receiver is degraded', async () => {
    const b = await world();
    for (const w of Object.values(b.tables.edge.chat!)) w.east = 0;
    b.readings.chat!.datacenters.west!.utilization = 0.95;
    const ctx = ctxFor(b, { with: { service: 'chat', datacenter: 'east', grace: '0s', teardownRate: 40 } });
    const run = runStage(stages['sessions.drain'], ctx, b.clock);
    await b.clock.advanceTo(b.clock.now() + 25_000);
    b.readings.chat!.datacenters.west!.utilization = 0.5;
    expect((await run).result?.outcome).toBe('success');
    const rates = b.journal
      .filter((j) => j.action.kind === 'sessions.teardown')
      .map((j) => (j.action as { rate: number }).rate);
    expect(rates.slice(0, 2)).toEqual([10, 5]);
    // Recovered, it grows again, but only up to what the headroom absorbs: half of (85 − 50) + (85 − 30) rps, for a
    // reconnect (2 requests) and 10 s of a session's load (0.03 rps) per session torn down each second.
    expect(rates.at(-2)).toBeCloseTo((0.5 * 90) / 2.3);
    expect(rates.at(-1)).toBe(0);
    expect(ctx.events.some((e) => e.type === 'alert')).toBe(true);
  });
});

describe('jobs', () => {
  it('restarts with a generation of the run, waits 1/rate, and a re-run does not restart again', async () => {
    const b = await world();
    const t0 = b.clock.now();
    const { first, second, changedAgain } = await twice(stages['jobs.restart'], b, {
      with: { service: 'web', datacenter: 'east', rate: 0.02 },
    });
    expect(first.result?.outcome).toBe('success');
    expect(b.clock.now() - t0).toBeGreaterThanOrEqual(50_000);
    expect(b.journal[0]!.action).toMatchObject({ kind: 'jobs.restart', generation: 'run-1/task-1/0/1', rate: 0.02 });
    expect(second.result?.outcome).toBe('success');
    expect(changedAgain).toEqual([]);
  });

  it('a retry (a new attempt) restarts again', async () => {
    const b = await world();
    await runStage(stages['jobs.restart'], ctxFor(b, { with: { service: 'web', rate: 1 } }), b.clock);
    await runStage(stages['jobs.restart'], ctxFor(b, { with: { service: 'web', rate: 1 }, attempt: 2 }), b.clock);
    expect(b.journal.map((j) => j.changed)).toEqual([true, true]);
  });

  it('stops and starts jobs as target states', async () => {
    const b = await world();
    const stop = await twice(stages['jobs.stop'], b, {
      with: { service: 'web', datacenter: 'east', cluster: 'east-a' },
    });
    expect(stop.first.result?.outcome).toBe('success');
    expect(stop.changedAgain).toEqual([]);
    expect(b.state.get('jobs:web/east/east-a')).toBe('"stopped"');
    const start = await twice(stages['jobs.start'], b, {
      with: { service: 'web', datacenter: 'east', cluster: 'east-a' },
    });
    expect(start.first.result?.detail).toContain('started');
    expect(start.changedAgain).toEqual([]);
  });
});

describe('replication.repoint', () => {
  it('moves the source away to the most caught-up replica, and does nothing once away', async () => {
    const b = await world();
    b.readings.index!.datacenters.west!.replicationLag = 9;
    b.readings.index!.datacenters.central!.replicationLag = 2;
    const { first, second, changedAgain } = await twice(stages['replication.repoint'], b, {
      with: { service: 'index', away: 'east' },
    });
    expect(first.result?.outcome).toBe('success');
    expect(b.readings.index!.replicationSource).toBe('central');
    expect(second.result?.detail).toContain('already replicates from central');
    expect(changedAgain).toEqual([]);
  });

  it('a re-run after a crash sends the checkpointed choice again, changing nothing', async () => {
    const b = await world();
    const first = await runStage(
      stages['replication.repoint'],
      ctxFor(b, { with: { service: 'index', away: 'east' } }),
      b.clock,
    );
    expect(first.result?.outcome).toBe('success');
    const before = b.journal.length;
    await runStage(
      stages['replication.repoint'],
      ctxFor(b, { with: { service: 'index', away: 'east' }, state: { to: 'central' } }),
      b.clock,
    );
    expect(b.journal.slice(before).filter((j) => j.changed)).toEqual([]);
  });
});

describe('replication.replica', () => {
  it('stops the replica in the datacenter at once', async () => {
    const b = await world();
    const { first, changedAgain } = await twice(stages['replication.replica'], b, {
      with: { service: 'index', datacenter: 'west', enabled: false },
    });
    expect(first.result?.outcome).toBe('success');
    expect(b.journal[0]!.action).toMatchObject({ kind: 'replication.replica', datacenter: 'west', enabled: false });
    expect(changedAgain).toEqual([]);
  });

  it('starts it network-paced by default and waits until it is within maxLag', async () => {
    const b = await world();
    b.readings.index!.datacenters.west!.replicationLag = 600;
    const run = runStage(
      stages['replication.replica'],
      ctxFor(b, { with: { service: 'index', datacenter: 'west', maxLag: '30s' } }),
      b.clock,
    );
    await b.clock.advanceTo(b.clock.now() + 60_000);
    expect(b.journal[0]!.action).toMatchObject({ enabled: true, catchUp: 'network' });
    b.readings.index!.datacenters.west!.replicationLag = 20;
    const { result } = await run;
    expect(result?.outcome).toBe('success');
    expect(result?.detail).toContain('20.0s behind');
  });

  it('refuses a catch-up mode it does not know with E_PARAM', async () => {
    const b = await world();
    const { error } = await runStage(
      stages['replication.replica'],
      ctxFor(b, { with: { service: 'index', datacenter: 'west', catchUp: 'fast' } }),
      b.clock,
    );
    expect(code(error)).toBe('E_PARAM');
    expect(b.journal).toEqual([]);
  });
});

describe('stateful.promote', () => {
  it('waits for a replica within maxLag, promotes it, and is harmless twice', async () => {
    const b = await world();
    b.readings.db!.datacenters.west!.replicationLag = 30;
    b.readings.db!.datacenters.central!.replicationLag = 20;
    const ctx = ctxFor(b, { with: { service: 'db', away: 'east', maxLag: '5s' } });
    const run = runStage(stages['stateful.promote'], ctx, b.clock);
    await b.clock.advanceTo(b.clock.now() + 20_000);
    expect(b.journal).toEqual([]);
    b.readings.db!.datacenters.west!.replicationLag = 3;
    expect((await run).result?.outcome).toBe('success');
    expect(b.readings.db!.primary).toBe('west');
    expect(b.journal[0]!.action).toMatchObject({ kind: 'stateful.primary', primary: 'west', maxLagSeconds: 5 });
    const again = await runStage(
      stages['stateful.promote'],
      ctxFor(b, { with: { service: 'db', away: 'east', maxLag: '5s' } }),
      b.clock,
    );
    expect(again.result?.detail).toContain('primary of db is in west');
    expect(b.journal).toHaveLength(1);
  });

  it('retries a promotion the backend refuses for now', async () => {
    const b = await world();
    b.failNext = {
      kind: 'stateful.primary',
      error: new MaelstromError('E_INVALID_STATE', 'behind', { retryable: true }),
    };
    const { result } = await runStage(
      stages['stateful.promote'],
      ctxFor(b, { with: { service: 'db', away: 'east' } }),
      b.clock,
    );
    expect(result?.outcome).toBe('success');
    expect(b.readings.db!.primary).not.toBe('east');
  });
});

describe('shards.migrate', () => {
  it('spreads the shards evenly over the other datacenters, the same way every time', async () => {
    const b = await world();
    const { first, changedAgain } = await twice(stages['shards.migrate'], b, {
      with: { service: 'db', from: 'east', rate: 0.5 },
    });
    expect(first.result?.outcome).toBe('success');
    expect(b.journal.slice(0, 2).map((j) => j.action)).toEqual([
      { kind: 'shards.place', service: 'db', from: 'east', to: 'central', count: 3, rate: 0.5 },
      { kind: 'shards.place', service: 'db', from: 'east', to: 'west', count: 2, rate: 0.5 },
    ]);
    expect(changedAgain).toEqual([]);
  });

  it('waits until the shards have left the datacenter, unless told not to', async () => {
    const b = await world();
    const east = b.readings.db!.datacenters.east! as { shards?: number };
    east.shards = 5;
    const run = runStage(
      stages['shards.migrate'],
      ctxFor(b, { with: { service: 'db', from: 'east', count: 5 } }),
      b.clock,
    );
    await b.clock.advanceTo(b.clock.now() + 60_000);
    east.shards = 0.5;
    await b.clock.advanceTo(b.clock.now() + 60_000);
    east.shards = 0;
    const { result } = await run;
    expect(result?.outcome).toBe('success');
    expect(result?.detail).toContain('and moved');
    east.shards = 5;
    const t0 = b.clock.now();
    const quick = await runStage(
      stages['shards.migrate'],
      ctxFor(b, { with: { service: 'db', from: 'east', count: 5, to: 'west', wait: false } }),
      b.clock,
    );
    expect(quick.result?.outcome).toBe('success');
    expect(b.clock.now()).toBe(t0);
  });
});

describe('config.set and alerts.suppress', () => {
  it('sets a config value once', async () => {
    const b = await world();
    const { first, second, changedAgain } = await twice(stages['config.set'], b, {
      with: { key: 'feature.x', value: false },
    });
    expect(first.result?.detail).toBe('feature.x set');
    expect(second.result?.detail).toContain('already');
    expect(changedAgain).toEqual([]);
    const missing = await runStage(stages['config.set'], ctxFor(b, { with: { key: 'k' } }), b.clock);
    expect(code(missing.error)).toBe('E_PARAM');
  });

  it('silences matching alerts for the duration, and a resumed stage sends the same silence', async () => {
    const b = await world();
    const t0 = b.clock.now();
    const ctx = ctxFor(b, { with: { matchers: 'alertname=HighLatency, team=web', duration: '2h' } });
    await runStage(stages['alerts.suppress'], ctx, b.clock);
    expect(b.journal[0]!.action).toEqual({
      kind: 'alerts.suppress',
      matchers: { alertname: 'HighLatency', team: 'web' },
      until: t0 + 7_200_000,
      id: 'run-1/task-1/0',
    });
    await b.clock.advanceTo(t0 + 60_000);
    await runStage(
      stages['alerts.suppress'],
      ctxFor(b, {
        with: { matchers: 'alertname=HighLatency, team=web', duration: '2h' },
        state: ctx.checkpoints.at(-1),
      }),
      b.clock,
    );
    expect(b.journal[1]!.changed).toBe(false);
  });

  it('defaults the matchers to the task service and datacenter', async () => {
    const b = await world();
    await runStage(stages['alerts.suppress'], ctxFor(b, { with: {} }), b.clock);
    expect(b.journal[0]!.action).toMatchObject({ matchers: { service: 'web', datacenter: 'east' } });
    const bad = await runStage(stages['alerts.suppress'], ctxFor(b, { with: { matchers: 'nonsense' } }), b.clock);
    expect(code(bad.error)).toBe('E_PARAM');
  });
});
