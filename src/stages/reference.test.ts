/**
 * The stages of the reference templates (examples/templates.yaml), run in their order against the simulator:
 * each completes, leaves the world as its post-condition says, and running the whole template a second time sends
 * no action that changes anything.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createSimBackend, type SimBackend } from '../backends/sim/backend.js';
import { loadDefinitions } from '../load/load.js';
import type { Fleet } from '../model/definitions.js';
import type { VirtualClock } from '../model/virtual-clock.js';
import { stages } from './index.js';
import type { ConditionVerdict, StageResult, StageWith } from './stage.js';
import { testContext } from './testing/context.js';

let fleet: Fleet;
beforeAll(async () => {
  fleet = (await loadDefinitions(['examples'])).definitions.fleets.get('example')!;
});

type Step = { readonly uses: keyof typeof stages; readonly with: StageWith };

/** Runs the stages in order on the simulator's virtual clock; `evaluate` answers wait.until from a snapshot. */
async function runTemplate(
  b: SimBackend,
  service: string,
  steps: readonly Step[],
  evaluate?: (b: SimBackend) => Promise<ConditionVerdict>,
) {
  const results: StageResult[] = [];
  for (const [i, step] of steps.entries()) {
    const ctx = testContext({
      backend: b,
      fleet,
      service,
      with: step.with,
      ...(evaluate ? { evaluate: () => evaluate(b) } : {}),
    });
    const withIndex = { ...ctx, stageIndex: i };
    let result: StageResult | undefined;
    let error: unknown;
    const p = stages[step.uses](withIndex).then(
      (r) => {
        result = r;
      },
      (e: unknown) => {
        error = e;
      },
    );
    const clock = b.clock as VirtualClock;
    await clock.runUntil(() => result !== undefined || error !== undefined, clock.now() + 4 * 3600_000);
    await p;
    if (error !== undefined) throw error instanceof Error ? error : new Error(JSON.stringify(error));
    results.push(result!);
  }
  return results;
}

async function twice(service: string, steps: readonly Step[], evaluate?: (b: SimBackend) => Promise<ConditionVerdict>) {
  const b = createSimBackend({ fleet, seriesResolutionMs: 0 });
  await b.init();
  const first = await runTemplate(b, service, steps, evaluate);
  const before = b.journal().length;
  const second = await runTemplate(b, service, steps, evaluate);
  return {
    b,
    first,
    second,
    changedAgain: b
      .journal()
      .slice(before)
      .filter((j) => j.changed),
  };
}

describe('reference templates against the simulator', () => {
  it('drain-sessions: shifts messenger off east at the edge, then drains its sessions', async () => {
    const { b, first, second, changedAgain } = await twice('messenger', [
      { uses: 'traffic.shift', with: { layer: 'edge', service: 'messenger', datacenter: 'east', target: 'zero' } },
      { uses: 'sessions.drain', with: { service: 'messenger', datacenter: 'east', grace: '2m', teardownRate: 1000 } },
    ]);
    expect(first.map((r) => r.outcome)).toEqual(['success', 'success']);
    expect((await b.snapshot()).services.messenger!.datacenters.east!.sessions).toBe(0);
    expect(second.map((r) => r.outcome)).toEqual(['success', 'success']);
    expect(changedAgain).toEqual([]);
    expect(b.journal().every((j) => !j.error)).toBe(true);
  });

  it('repoint-replication: moves search-index replication out of east and waits until it applies', async () => {
    const sourceAway = async (b: SimBackend): Promise<ConditionVerdict> => {
      const s = (await b.snapshot()).services['search-index']?.replicationSource;
      return s === undefined ? 'hold' : s !== 'east' ? 'true' : 'false';
    };
    const { b, first, changedAgain } = await twice(
      'search-index',
      [
        { uses: 'replication.repoint', with: { service: 'search-index', away: 'east' } },
        {
          uses: 'wait.until',
          with: { expr: 'replicationSource(params.service) != params.datacenter', timeout: '10m' },
        },
      ],
      sourceAway,
    );
    expect(first.map((r) => r.outcome)).toEqual(['success', 'success']);
    expect((await b.snapshot()).services['search-index']!.replicationSource).not.toBe('east');
    expect(changedAgain).toEqual([]);
  });

  it('promote-primary: promotes a caught-up user-db replica outside east, then shifts its clusters away', async () => {
    const { b, first, second, changedAgain } = await twice('user-db', [
      { uses: 'stateful.promote', with: { service: 'user-db', away: 'east', maxLag: '5s' } },
      { uses: 'traffic.shift', with: { layer: 'cluster', service: 'user-db', datacenter: 'east', target: 'zero' } },
    ]);
    expect(first.map((r) => r.outcome)).toEqual(['success', 'success']);
    const snap = await b.snapshot();
    expect(snap.services['user-db']!.primary).toBe('central');
    expect(second[0]!.detail).toContain('primary of user-db is in central');
    expect(changedAgain).toEqual([]);
  });

  it('return-primary: brings the user-db primary home to east once caught up, and leaves another home alone', async () => {
    const { b } = await twice('user-db', [
      { uses: 'stateful.promote', with: { service: 'user-db', away: 'east', maxLag: '5s' } },
    ]);
    expect((await b.snapshot()).services['user-db']!.primary).toBe('central');
    const home: Step[] = [{ uses: 'stateful.promote', with: { service: 'user-db', home: 'east', maxLag: '5s' } }];
    const back = await runTemplate(b, 'user-db', home);
    expect(back.map((r) => r.outcome)).toEqual(['success']);
    expect((await b.snapshot()).services['user-db']!.primary).toBe('east');
    const before = b.journal().length;
    expect((await runTemplate(b, 'user-db', home))[0]!.detail).toContain('primary of user-db is in east');
    const elsewhere = await runTemplate(b, 'user-db', [
      { uses: 'stateful.promote', with: { service: 'user-db', home: 'west', maxLag: '5s' } },
    ]);
    expect(elsewhere[0]!.detail).toBe('the primary of user-db lives in east, not west: nothing to bring back');
    expect(b.journal().slice(before)).toEqual([]);
  });

  it('return-replication-source: points search-index replication back to east, its home', async () => {
    const { b } = await twice('search-index', [
      { uses: 'replication.repoint', with: { service: 'search-index', away: 'east' } },
      { uses: 'wait.for', with: { duration: '3m' } },
    ]);
    expect((await b.snapshot()).services['search-index']!.replicationSource).not.toBe('east');
    const back = await runTemplate(b, 'search-index', [
      { uses: 'replication.repoint', with: { service: 'search-index', home: 'east', maxLag: '30s' } },
      { uses: 'wait.for', with: { duration: '3m' } },
    ]);
    expect(back.map((r) => r.outcome)).toEqual(['success', 'success']);
    expect((await b.snapshot()).services['search-index']!.replicationSource).toBe('east');
  });

  it('shift-traffic: drains and restores the internal feed service at the cluster layer', async () => {
    const { b, first, changedAgain } = await twice('feed', [
      { uses: 'traffic.shift', with: { layer: 'cluster', service: 'feed', datacenter: 'east', target: 'zero' } },
    ]);
    expect(first[0]!.outcome).toBe('success');
    expect(changedAgain).toEqual([]);
    await runTemplate(b, 'feed', [
      { uses: 'traffic.shift', with: { layer: 'cluster', service: 'feed', datacenter: 'east', target: 'baseline' } },
    ]);
    expect(await b.weights('cluster', 'feed')).toEqual(await b.baselineWeights('cluster', 'feed'));
  });
});
