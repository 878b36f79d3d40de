/**
 * The one conformance suite every Store implementation passes (SQLite and PostgreSQL): each implementation's
 * test file calls `storeConformance(name, makeStore)`. It checks the contract the engine and the server rely on,
 * through the interface only.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { CompiledPlan } from '../model/compiled.js';
import type { EngineEvent } from '../model/events.js';
import { MaelstromError } from '../model/errors.js';
import type { RunRecord, Store, TaskRecord, TestRecord } from './store.js';
import { hashTokenSecret } from './tokens.js';

export interface ConformanceOptions {
  /**
   * Closes `store` and opens another over the same data: what a restarted controller sees. When given, the suite
   * also checks that everything committed survives a reopen.
   */
  readonly reopen?: (store: Store) => Promise<Store>;
}

const compiled: CompiledPlan = {
  plan: 'evacuate-east',
  fleet: 'example',
  direction: 'drain',
  datacenter: 'east',
  concurrency: 8,
  pacing: { mode: 'closed-loop', targetUtilization: 0.85, settle: '60s' },
  stuckPercentile: 75,
  tasks: [],
  waves: [],
  hccs: [],
  preflight: { ok: true, targetUtilization: 0.85, services: [] },
  criticalPath: [],
  estimateMs: 0,
};

export function runRecord(id: string, over: Partial<RunRecord> = {}): RunRecord {
  return {
    id,
    plan: 'evacuate-east',
    datacenter: 'east',
    direction: 'drain',
    state: 'pending',
    compiled,
    createdAt: 1000,
    ...over,
  };
}

export function taskRecord(runId: string, id: string, over: Partial<TaskRecord> = {}): TaskRecord {
  return { runId, id, state: 'pending', stage: 0, attempt: 1, ...over };
}

function stateEvent(runId: string, taskId: string, time: number): EngineEvent {
  return { type: 'task.state', runId, taskId, state: 'running', time };
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return e instanceof MaelstromError ? e.code : `not a MaelstromError: ${String(e)}`;
  }
  return 'resolved';
}

export function storeConformance(
  name: string,
  makeStore: () => Promise<Store>,
  options: ConformanceOptions = {},
): void {
  describe(`${name} store conformance`, () => {
    const open: Store[] = [];
    const fresh = async (): Promise<Store> => {
      const s = await makeStore();
      open.push(s);
      return s;
    };
    afterEach(async () => {
      await Promise.all(open.splice(0).map((s) => s.close()));
    });

    it('creates a run with its tasks and reads them back as written, tasks in order', async () => {
      const s = await fresh();
      const run = runRecord('r1', { actor: 'alice', startedAt: 1500 });
      const tasks = [
        taskRecord('r1', 'web/edge'),
        taskRecord('r1', 'web/clusters', { stageState: { progress: 0.25, steps: [1, 2] } }),
        taskRecord('r1', 'api/edge'),
      ];
      const events = await s.createRun(run, tasks, [
        { type: 'run.state', runId: 'r1', plan: 'evacuate-east', state: 'pending', time: 1000 },
      ]);
      expect(events).toHaveLength(1);
      expect(events[0]!.seq).toBeGreaterThan(0);
      expect(await s.getRun('r1')).toEqual(run);
      expect(await s.getTasks('r1')).toEqual(tasks);
      expect(await s.getRun('nope')).toBeUndefined();
      expect(await s.getTasks('nope')).toEqual([]);
    });

    it('refuses a second run with the same id and leaves the first untouched', async () => {
      const s = await fresh();
      await s.createRun(runRecord('r1'), [taskRecord('r1', 'a')]);
      expect(await code(s.createRun(runRecord('r1', { plan: 'other' }), [taskRecord('r1', 'b')]))).toBe('E_CONFLICT');
      expect((await s.getRun('r1'))!.plan).toBe('evacuate-east');
      expect((await s.getTasks('r1')).map((t) => t.id)).toEqual(['a']);
    });

    it('commits a run patch, task patches and events together and numbers the events', async () => {
      const s = await fresh();
      await s.createRun(runRecord('r1'), [taskRecord('r1', 'a'), taskRecord('r1', 'b')]);
      const out = await s.commit({
        runId: 'r1',
        run: { state: 'running', startedAt: 2000 },
        tasks: [
          { id: 'a', patch: { state: 'running', startedAt: 2000, stageState: { step: 1 } } },
          { id: 'b', patch: { state: 'waiting' } },
        ],
        events: [stateEvent('r1', 'a', 2000), stateEvent('r1', 'b', 2000)],
      });
      expect(out.map((e) => e.type)).toEqual(['task.state', 'task.state']);
      expect(out[1]!.seq).toBeGreaterThan(out[0]!.seq!);
      expect(await s.getRun('r1')).toMatchObject({ state: 'running', startedAt: 2000 });
      const tasks = await s.getTasks('r1');
      expect(tasks[0]).toEqual(taskRecord('r1', 'a', { state: 'running', startedAt: 2000, stageState: { step: 1 } }));
      expect(tasks[1]!.state).toBe('waiting');
      expect((await s.listEvents({ runId: 'r1' })).map((e) => e.seq)).toEqual(out.map((e) => e.seq));
    });

    it('applies nothing of a commit that names an unknown task', async () => {
      const s = await fresh();
      await s.createRun(runRecord('r1'), [taskRecord('r1', 'a')]);
      const before = await s.listEvents();
      const result = code(
        s.commit({
          runId: 'r1',
          run: { state: 'running' },
          tasks: [
            { id: 'a', patch: { state: 'running' } },
            { id: 'ghost', patch: { state: 'running' } },
          ],
          events: [stateEvent('r1', 'a', 1)],
        }),
      );
      expect(await result).toBe('E_NOT_FOUND');
      expect((await s.getRun('r1'))!.state).toBe('pending');
      expect((await s.getTasks('r1'))[0]!.state).toBe('pending');
      expect(await s.listEvents()).toEqual(before);
      expect(await code(s.commit({ runId: 'ghost', run: { state: 'running' } }))).toBe('E_NOT_FOUND');
    });

    it('clears a field a patch names as undefined and keeps one it does not name', async () => {
      const s = await fresh();
      await s.createRun(runRecord('r1'), [
        taskRecord('r1', 'a', { stageState: { x: 1 }, reason: 'because', stuck: true }),
      ]);
      await s.commit({ runId: 'r1', tasks: [{ id: 'a', patch: { stageState: undefined, stage: 1 } }] });
      expect((await s.getTasks('r1'))[0]).toEqual(taskRecord('r1', 'a', { stage: 1, reason: 'because', stuck: true }));
      await s.commit({
        runId: 'r1',
        tasks: [
          { id: 'a', patch: { stuck: false, approved: true, overrides: { conditions: ['c'], dependencies: [] } } },
        ],
      });
      expect((await s.getTasks('r1'))[0]).toMatchObject({
        stuck: false,
        approved: true,
        overrides: { conditions: ['c'], dependencies: [] },
      });
    });

    it('stores the critical path and analysis of a finished run', async () => {
      const s = await fresh();
      await s.createRun(runRecord('r1'), []);
      await s.commit({
        runId: 'r1',
        run: { state: 'succeeded', finishedAt: 9000, criticalPath: ['a', 'b'], analysis: { slack: { c: 5 } } },
      });
      expect(await s.getRun('r1')).toMatchObject({
        state: 'succeeded',
        finishedAt: 9000,
        criticalPath: ['a', 'b'],
        analysis: { slack: { c: 5 } },
      });
    });

    it('keeps the stop intent written with the aborting state, apart from the reason text', async () => {
      const s = await fresh();
      await s.createRun(runRecord('r1'), [taskRecord('r1', 'a')]);
      await s.createRun(runRecord('r2'), []);
      // The reason says "halted", the intent says aborted: the intent is what the store keeps as such.
      await s.commit({
        runId: 'r1',
        run: { state: 'aborting', stopIntent: 'aborted', reason: 'halted by nobody, this text is prose' },
        tasks: [{ id: 'a', patch: { state: 'running' } }],
        events: [stateEvent('r1', 'a', 1)],
      });
      await s.commit({ runId: 'r2', run: { state: 'aborting', stopIntent: 'halted', reason: 'east is on fire' } });
      expect(await s.getRun('r1')).toMatchObject({ state: 'aborting', stopIntent: 'aborted' });
      expect(await s.getRun('r2')).toMatchObject({ state: 'aborting', stopIntent: 'halted' });
      expect((await s.getRun('r1'))!.reason).toBe('halted by nobody, this text is prose');
      await s.commit({ runId: 'r2', run: { state: 'halted', finishedAt: 2 } });
      expect(await s.getRun('r2')).toMatchObject({ state: 'halted', stopIntent: 'halted' });
      // A run that was never stopped has no intent at all.
      await s.createRun(runRecord('r3'), []);
      expect(await s.getRun('r3')).toEqual(runRecord('r3'));
      // Nothing of a failed commit is kept, the intent included.
      expect(
        await code(
          s.commit({ runId: 'r3', run: { state: 'aborting', stopIntent: 'halted' }, tasks: [{ id: 'x', patch: {} }] }),
        ),
      ).toBe('E_NOT_FOUND');
      expect((await s.getRun('r3'))!.stopIntent).toBeUndefined();
    });

    it('lists runs newest first, filtered by activity and plan, limited', async () => {
      const s = await fresh();
      await s.createRun(runRecord('r1', { createdAt: 1, state: 'succeeded' }), []);
      await s.createRun(runRecord('r2', { createdAt: 2, state: 'running' }), []);
      await s.createRun(runRecord('r3', { createdAt: 3, state: 'paused', plan: 'restore-east' }), []);
      expect((await s.listRuns()).map((r) => r.id)).toEqual(['r3', 'r2', 'r1']);
      expect((await s.listRuns({ active: true })).map((r) => r.id)).toEqual(['r3', 'r2']);
      expect((await s.listRuns({ active: false })).map((r) => r.id)).toEqual(['r1']);
      expect((await s.listRuns({ plan: 'evacuate-east' })).map((r) => r.id)).toEqual(['r2', 'r1']);
      expect((await s.listRuns({ limit: 1 })).map((r) => r.id)).toEqual(['r3']);
    });

    it('keeps the trigger and proposal of a run an alert made, and lists the runs of a trigger', async () => {
      const s = await fresh();
      const proposal = {
        trigger: 'east-unhealthy',
        mode: 'propose' as const,
        alerts: [
          {
            fingerprint: 'f1',
            status: 'firing' as const,
            labels: { alertname: 'DatacenterErrorRateHigh', datacenter: 'east' },
            annotations: {},
            startsAt: '2026-03-02T11:59:00Z',
            receivedAt: 5,
          },
        ],
        expiresAt: 3_600_005,
      };
      await s.createRun(runRecord('r1', { createdAt: 1, state: 'proposed', trigger: 'east-unhealthy', proposal }), []);
      await s.createRun(runRecord('r2', { createdAt: 2 }), []);
      await s.createRun(runRecord('r3', { createdAt: 3, state: 'proposed', trigger: 'west-unhealthy', proposal }), []);
      expect(await s.getRun('r1')).toEqual(
        runRecord('r1', { createdAt: 1, state: 'proposed', trigger: 'east-unhealthy', proposal }),
      );
      expect((await s.listRuns({ trigger: 'east-unhealthy' })).map((r) => r.id)).toEqual(['r1']);
      expect((await s.listRuns({ trigger: 'nobody' })).map((r) => r.id)).toEqual([]);
      // A proposed run is an active one: the engine resumes it (to let it lapse) after a restart.
      expect((await s.listRuns({ active: true })).map((r) => r.id)).toEqual(['r3', 'r2', 'r1']);
      const approved = { ...proposal, approvedBy: 'ana', approvedAt: 9, approvalReason: 'go' };
      await s.commit({ runId: 'r1', run: { state: 'pending', proposal: approved } });
      expect(await s.getRun('r1')).toMatchObject({ state: 'pending', trigger: 'east-unhealthy', proposal: approved });
    });

    it("keeps each operator's approval of a task", async () => {
      const s = await fresh();
      await s.createRun(runRecord('r1'), [taskRecord('r1', 'a')]);
      const approvals = [{ actor: 'ana', at: 1, reason: 'fine' }];
      await s.commit({ runId: 'r1', tasks: [{ id: 'a', patch: { approvals } }] });
      expect((await s.getTasks('r1'))[0]).toEqual(taskRecord('r1', 'a', { approvals }));
      const two = [...approvals, { actor: 'bo', at: 2, reason: 'agreed' }];
      await s.commit({ runId: 'r1', tasks: [{ id: 'a', patch: { approvals: two, approved: true } }] });
      expect((await s.getTasks('r1'))[0]).toMatchObject({ approved: true, approvals: two });
    });

    it('records deliveries, updates them, and lists them newest first, by state', async () => {
      const s = await fresh();
      const delivery = {
        notifier: 'sre-chat',
        event: 'run.proposed' as const,
        runId: 'r1',
        summary: 'Proposed: evacuate-east-now',
        state: 'pending' as const,
        attempts: 0,
        createdAt: 10,
        body: '{"text":"x"}',
        contentType: 'application/json',
      };
      const first = await s.recordDelivery(delivery);
      const second = await s.recordDelivery({
        ...delivery,
        event: 'approval.needed',
        taskId: 'db/approve',
        createdAt: 11,
      });
      expect(second).toBeGreaterThan(first);
      await s.updateDelivery(first, { attempts: 2, lastAttemptAt: 12, error: 'HTTP 500' });
      await s.updateDelivery(first, { state: 'delivered', attempts: 3, deliveredAt: 14, error: undefined });
      expect(await s.listDeliveries()).toEqual([
        { ...delivery, id: second, event: 'approval.needed', taskId: 'db/approve', createdAt: 11 },
        { ...delivery, id: first, state: 'delivered', attempts: 3, lastAttemptAt: 12, deliveredAt: 14 },
      ]);
      expect((await s.listDeliveries({ state: 'pending' })).map((d) => d.id)).toEqual([second]);
      expect((await s.listDeliveries({ limit: 1 })).map((d) => d.id)).toEqual([second]);
      expect(await code(s.updateDelivery(999, { state: 'failed' }))).toBe('E_NOT_FOUND');
    });

    it('numbers events in one increasing sequence across commits and free-standing events', async () => {
      const s = await fresh();
      await s.createRun(runRecord('r1'), [taskRecord('r1', 'a')]);
      await s.createRun(runRecord('r2'), [taskRecord('r2', 'a')]);
      const a = await s.commit({ runId: 'r1', events: [stateEvent('r1', 'a', 1)] });
      const b = await s.appendEvents([{ type: 'alert', severity: 'critical', message: 'halt', time: 2 }]);
      const c = await s.commit({ runId: 'r2', events: [stateEvent('r2', 'a', 3)] });
      const seqs = [...a, ...b, ...c].map((e) => e.seq!);
      expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
      expect(new Set(seqs).size).toBe(3);
      const all = await s.listEvents();
      expect(all.map((e) => e.seq)).toEqual(seqs);
      expect(all[1]).toEqual({ type: 'alert', severity: 'critical', message: 'halt', time: 2, seq: seqs[1] });
      expect((await s.listEvents({ runId: 'r2' })).map((e) => e.seq)).toEqual([seqs[2]]);
      expect((await s.listEvents({ afterSeq: seqs[0] })).map((e) => e.seq)).toEqual(seqs.slice(1));
      expect((await s.listEvents({ limit: 2 })).map((e) => e.seq)).toEqual(seqs.slice(0, 2));
    });

    it('gives every event of concurrent commits its own sequence number', async () => {
      const s = await fresh();
      await s.createRun(runRecord('r1'), [taskRecord('r1', 'a')]);
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          s.commit({ runId: 'r1', tasks: [{ id: 'a', patch: { stage: i } }], events: [stateEvent('r1', 'a', i)] }),
        ),
      );
      const seqs = results.flat().map((e) => e.seq);
      expect(new Set(seqs).size).toBe(50);
      expect(await s.listEvents({ runId: 'r1' })).toHaveLength(50);
    });

    it('keeps task durations per template, service, datacenter and plan, most recent first', async () => {
      const s = await fresh();
      const key = { template: 'shift-traffic', service: 'web', datacenter: 'east', plan: 'evacuate-east' };
      await s.recordDuration(key, 100, 1);
      await s.recordDuration(key, 300, 3);
      await s.recordDuration(key, 200, 2);
      await s.recordDuration({ ...key, service: 'api' }, 999, 4);
      await s.recordDuration({ ...key, plan: 'evacuate-east-now' }, 50, 5);
      expect(await s.durations(key)).toEqual([300, 200, 100]);
      expect(await s.durations(key, 2)).toEqual([300, 200]);
      expect(await s.durations({ ...key, datacenter: 'west' })).toEqual([]);
      expect(await s.durations({ ...key, plan: 'evacuate-east-now' })).toEqual([50]);
    });

    it('keeps the schedule and test that started a run, and none for a run an operator started', async () => {
      const s = await fresh();
      const origin = { schedule: 'weekly', test: 'test-1', phase: 'drain' } as const;
      await s.createRun(runRecord('r1', { origin }), []);
      await s.createRun(runRecord('r2'), []);
      expect((await s.getRun('r1'))!.origin).toEqual(origin);
      expect((await s.getRun('r2'))!.origin).toBeUndefined();
      expect((await s.listRuns()).map((r) => r.origin?.test ?? null)).toEqual([null, 'test-1']);
      await s.commit({ runId: 'r1', run: { state: 'aborting', stopIntent: 'aborted', handedOverTo: 'r2' } });
      expect(await s.getRun('r1')).toMatchObject({ state: 'aborting', handedOverTo: 'r2', origin });
    });

    it('keeps drain tests, patches them, and lists them newest first, by schedule, datacenter and activity', async () => {
      const s = await fresh();
      const test = (id: string, startedAt: number, over: Partial<TestRecord> = {}): TestRecord => ({
        id,
        schedule: 'weekly',
        datacenter: 'east',
        drain: 'evacuate-east',
        restore: 'restore-east',
        dueAt: startedAt,
        startedAt,
        phase: 'draining',
        ...over,
      });
      await s.createTest(test('t1', 100, { drainRunId: 'r1' }));
      await s.createTest(test('t2', 200, { datacenter: 'west', drain: 'evacuate-west', restore: 'restore-west' }));
      await s.createTest(test('t3', 300, { schedule: 'other' }));
      expect(await code(s.createTest(test('t1', 5)))).toBe('E_CONFLICT');
      await s.updateTest('t1', { phase: 'holding', holdUntil: 900, drainMs: 1234.5, reason: 'x' });
      await s.updateTest('t1', {
        phase: 'done',
        outcome: 'succeeded',
        restoreRunId: 'r2',
        restoreMs: 600,
        finishedAt: 1500,
        stuckTasks: 0,
        reason: undefined,
      });
      expect(await code(s.updateTest('nope', { phase: 'done' }))).toBe('E_NOT_FOUND');
      expect(await s.getTest('t1')).toEqual(
        test('t1', 100, {
          drainRunId: 'r1',
          phase: 'done',
          holdUntil: 900,
          drainMs: 1234.5,
          outcome: 'succeeded',
          restoreRunId: 'r2',
          restoreMs: 600,
          finishedAt: 1500,
          stuckTasks: 0,
        }),
      );
      expect(await s.getTest('nope')).toBeUndefined();
      expect((await s.listTests()).map((t) => t.id)).toEqual(['t3', 't2', 't1']);
      expect((await s.listTests({ schedule: 'weekly' })).map((t) => t.id)).toEqual(['t2', 't1']);
      expect((await s.listTests({ datacenter: 'east' })).map((t) => t.id)).toEqual(['t3', 't1']);
      expect((await s.listTests({ active: true })).map((t) => t.id)).toEqual(['t3', 't2']);
      expect((await s.listTests({ active: false })).map((t) => t.id)).toEqual(['t1']);
      expect((await s.listTests({ limit: 1 })).map((t) => t.id)).toEqual(['t3']);
    });

    it("keeps skipped tests with their reasons, newest first, and the tests' kill switch", async () => {
      const s = await fresh();
      const a = await s.recordSkip({ schedule: 'weekly', at: 10, datacenter: 'east', reason: 'window freeze' });
      const b = await s.recordSkip({ schedule: 'weekly', at: 20, reason: 'tests are halted' });
      await s.recordSkip({ schedule: 'other', at: 30, reason: 'guard' });
      expect(b).toBeGreaterThan(a);
      expect(await s.listSkips({ schedule: 'weekly' })).toEqual([
        { id: b, schedule: 'weekly', at: 20, reason: 'tests are halted' },
        { id: a, schedule: 'weekly', at: 10, datacenter: 'east', reason: 'window freeze' },
      ]);
      expect((await s.listSkips({ limit: 1 })).map((x) => x.at)).toEqual([30]);
      expect(await s.testsHalt()).toBeUndefined();
      await s.setTestsHalt({ halted: true, since: 5, actor: 'ana (operator)', reason: 'incident' });
      expect(await s.testsHalt()).toEqual({ halted: true, since: 5, actor: 'ana (operator)', reason: 'incident' });
      await s.setTestsHalt({ halted: false, since: 9, actor: 'bob (operator)' });
      expect(await s.testsHalt()).toEqual({ halted: false, since: 9, actor: 'bob (operator)' });
    });

    it('stores tokens by hash, finds, lists and revokes them', async () => {
      const s = await fresh();
      const hash = hashTokenSecret('secret-1');
      await s.createToken({ id: 't1', name: 'ci', role: 'operator', hash, createdAt: 10 });
      await s.createToken({ id: 't2', name: 'view', role: 'viewer', hash: hashTokenSecret('secret-2'), createdAt: 11 });
      expect(await s.findTokenByHash(hash)).toEqual({ id: 't1', name: 'ci', role: 'operator', hash, createdAt: 10 });
      expect(await s.findTokenByHash(hashTokenSecret('wrong'))).toBeUndefined();
      expect(await code(s.createToken({ id: 't3', name: 'dup', role: 'admin', hash, createdAt: 12 }))).toBe(
        'E_CONFLICT',
      );
      await s.revokeToken('t1', 20);
      await s.revokeToken('t1', 30);
      expect((await s.findTokenByHash(hash))!.revokedAt).toBe(20);
      expect((await s.listTokens()).map((t) => t.id)).toEqual(['t1', 't2']);
      expect(await code(s.revokeToken('nope', 1))).toBe('E_NOT_FOUND');
      expect(JSON.stringify(await s.listTokens())).not.toContain('secret-1');
    });

    it('appends audit entries with increasing ids and pages through them', async () => {
      const s = await fresh();
      const a = await s.appendAudit({ time: 1, actor: 'alice', action: 'pause', target: 'r1', reason: 'looks odd' });
      const b = await s.appendAudit({
        time: 2,
        actor: 'bob',
        action: 'skip',
        target: 'r1/web',
        reason: 'known',
        details: { task: 'web' },
      });
      const c = await s.appendAudit({ time: 3, actor: 'carol', action: 'halt' });
      expect(b).toBeGreaterThan(a);
      expect(c).toBeGreaterThan(b);
      const all = await s.listAudit();
      expect(all).toEqual([
        { id: a, time: 1, actor: 'alice', action: 'pause', target: 'r1', reason: 'looks odd' },
        { id: b, time: 2, actor: 'bob', action: 'skip', target: 'r1/web', reason: 'known', details: { task: 'web' } },
        { id: c, time: 3, actor: 'carol', action: 'halt' },
      ]);
      expect((await s.listAudit({ afterId: a, limit: 1 })).map((e) => e.id)).toEqual([b]);
    });

    it('gives a lease to one holder at a time, until it expires, is released, or its holder is known dead', async () => {
      const s = await fresh();
      expect(await s.acquireLease('controller', 'a', { now: 0, until: 100 })).toEqual({
        name: 'controller',
        holder: 'a',
        expiresAt: 100,
        epoch: 1,
        renewedAt: 0,
      });
      expect(await s.acquireLease('controller', 'b', { now: 50, until: 150 })).toEqual({
        name: 'controller',
        holder: 'a',
        expiresAt: 100,
        epoch: 1,
        renewedAt: 0,
      });
      expect((await s.acquireLease('controller', 'a', { now: 60, until: 160 })).expiresAt).toBe(160);
      expect((await s.acquireLease('other', 'b', { now: 60, until: 160 })).holder).toBe('b');
      expect((await s.acquireLease('controller', 'b', { now: 160, until: 260 })).holder).toBe('b');
      expect((await s.acquireLease('controller', 'c', { now: 170, until: 270, takeFrom: 'a' })).holder).toBe('b');
      expect((await s.acquireLease('controller', 'c', { now: 170, until: 270, takeFrom: 'b' })).holder).toBe('c');
      await s.releaseLease('controller', 'b');
      expect((await s.acquireLease('controller', 'b', { now: 180, until: 280 })).holder).toBe('c');
      await s.releaseLease('controller', 'c');
      expect((await s.acquireLease('controller', 'b', { now: 180, until: 280 })).holder).toBe('b');
      const contenders = await Promise.all(
        ['x', 'y', 'z'].map((h) => s.acquireLease('race', h, { now: 0, until: 100 })),
      );
      expect(new Set(contenders.map((l) => l.holder)).size).toBe(1);
    });

    it('raises the lease epoch at every change of holder, never for the same holder, and keeps it when the lease is released', async () => {
      const s = await fresh();
      expect((await s.acquireLease('controller', 'a', { now: 0, until: 100 })).epoch).toBe(1);
      expect((await s.acquireLease('controller', 'a', { now: 50, until: 150 })).epoch).toBe(1);
      const b = await s.acquireLease('controller', 'b', { now: 150, until: 250 });
      expect([b.holder, b.epoch]).toEqual(['b', 2]);
      await s.releaseLease('controller', 'b');
      expect(await s.getLease('controller')).toMatchObject({ holder: 'b', epoch: 2, expiresAt: 0 });
      // Nobody held it meanwhile: the same holder taking it again keeps its epoch, after a release or a lapse.
      expect((await s.acquireLease('controller', 'b', { now: 160, until: 260 })).epoch).toBe(2);
      expect((await s.acquireLease('controller', 'b', { now: 300, until: 400 })).epoch).toBe(2);
      // Anyone else takes it with the next epoch, whether released or run out.
      expect((await s.acquireLease('controller', 'c', { now: 400, until: 500 })).epoch).toBe(3);
      await s.releaseLease('controller', 'c');
      expect((await s.acquireLease('controller', 'b', { now: 410, until: 510 })).epoch).toBe(4);
      expect(await s.getLease('nothing')).toBeUndefined();
    });

    it("counts another holder's lease as running skewMs longer", async () => {
      const s = await fresh();
      await s.acquireLease('controller', 'a', { now: 0, until: 100 });
      expect((await s.acquireLease('controller', 'b', { now: 100, until: 200, skewMs: 20 })).holder).toBe('a');
      expect((await s.acquireLease('controller', 'b', { now: 120, until: 220, skewMs: 20 })).holder).toBe('b');
    });

    it('hands a lease over: only the standby named may take it before it runs out', async () => {
      const s = await fresh();
      await s.acquireLease('controller', 'a', { now: 0, until: 100 });
      expect(await s.handOverLease('controller', 'x', 'b')).toMatchObject({ holder: 'a' });
      expect((await s.getLease('controller'))?.handoverTo).toBeUndefined();
      expect(await s.handOverLease('controller', 'a', 'b')).toMatchObject({ holder: 'a', handoverTo: 'b' });
      expect((await s.acquireLease('controller', 'c', { now: 10, until: 110 })).holder).toBe('a');
      const taken = await s.acquireLease('controller', 'b', { now: 10, until: 110 });
      expect(taken).toMatchObject({ holder: 'b', epoch: 2 });
      expect(taken.handoverTo).toBeUndefined();
    });

    it('refuses every write of a fenced view once its lease moved to a later epoch, and stamps the epoch on its events', async () => {
      const s = await fresh();
      const a = await s.acquireLease('controller', 'a', { now: 0, until: 100 });
      const mine = s.fenced({ lease: 'controller', holder: 'a', epoch: a.epoch });
      await mine.createRun(runRecord('r1'), [taskRecord('r1', 't1')]);
      const [saved] = await mine.commit({ runId: 'r1', events: [stateEvent('r1', 't1', 1)] });
      expect(saved?.epoch).toBe(1);
      expect((await s.listEvents({ runId: 'r1' }))[0]?.epoch).toBe(1);
      // Another controller takes over (a was stalled past its lease).
      const b = await s.acquireLease('controller', 'b', { now: 200, until: 300 });
      const theirs = s.fenced({ lease: 'controller', holder: 'b', epoch: b.epoch });
      expect(await code(mine.commit({ runId: 'r1', tasks: [{ id: 't1', patch: { state: 'failed' } }] }))).toBe(
        'E_FENCED',
      );
      expect(await code(mine.appendEvents([stateEvent('r1', 't1', 2)]))).toBe('E_FENCED');
      expect(await code(mine.createRun(runRecord('r2'), []))).toBe('E_FENCED');
      const key = { template: 't', service: 's', datacenter: 'd', plan: 'p' };
      expect(await code(mine.recordDuration(key, 1, 1))).toBe('E_FENCED');
      expect(await code(mine.appendAudit({ time: 1, actor: 'a', action: 'pause' }))).toBe('E_FENCED');
      expect((await s.getTasks('r1'))[0]?.state).toBe('pending');
      expect(await s.getRun('r2')).toBeUndefined();
      const [next] = await theirs.commit({ runId: 'r1', events: [stateEvent('r1', 't1', 3)] });
      expect(next?.epoch).toBe(2);
      // Reads are never fenced; the plain store is not either.
      expect((await mine.listEvents({ runId: 'r1' })).map((e) => e.epoch)).toEqual([1, 2]);
      await s.appendEvents([stateEvent('r1', 't1', 4)]);
    });

    it('keeps a registry of controllers, each as last announced', async () => {
      const s = await fresh();
      await s.announceController({
        id: 'a',
        datacenter: 'east',
        url: 'http://a',
        role: 'leader',
        epoch: 1,
        startedAt: 1,
        seenAt: 10,
      });
      await s.announceController({ id: 'b', role: 'standby', startedAt: 2, seenAt: 5 });
      await s.announceController({ id: 'b', datacenter: 'west', role: 'standby', startedAt: 2, seenAt: 12 });
      expect(await s.listControllers()).toEqual([
        { id: 'a', datacenter: 'east', url: 'http://a', role: 'leader', epoch: 1, startedAt: 1, seenAt: 10 },
        { id: 'b', datacenter: 'west', role: 'standby', startedAt: 2, seenAt: 12 },
      ]);
      expect((await s.listControllers({ seenSince: 11 })).map((c) => c.id)).toEqual(['b']);
      await s.removeController('a');
      expect((await s.listControllers()).map((c) => c.id)).toEqual(['b']);
    });

    it('keeps operator requests pending, oldest first, until one is marked applied with its outcome, once', async () => {
      const s = await fresh();
      const pause = { kind: 'command', runId: 'r1', command: { action: 'pause', reason: 'look' } };
      const a = await s.recordRequest({ time: 1, actor: 'alice', role: 'operator', runId: 'r1', body: pause });
      const b = await s.recordRequest({ time: 2, actor: 'bob', role: 'admin', body: { kind: 'halt', reason: 'fire' } });
      const c = await s.recordRequest({ time: 3, actor: 'carol', role: 'operator', runId: 'r2', body: pause });
      expect(b).toBeGreaterThan(a);
      expect(c).toBeGreaterThan(b);
      expect(await s.pendingRequests()).toEqual([
        { id: a, time: 1, actor: 'alice', role: 'operator', runId: 'r1', body: pause },
        { id: b, time: 2, actor: 'bob', role: 'admin', body: { kind: 'halt', reason: 'fire' } },
        { id: c, time: 3, actor: 'carol', role: 'operator', runId: 'r2', body: pause },
      ]);
      expect((await s.pendingRequests({ afterId: a, limit: 1 })).map((r) => r.id)).toEqual([b]);

      expect(await s.markRequestApplied(b, { at: 10, outcome: 'ok' })).toBe(true);
      expect(await s.markRequestApplied(b, { at: 11, outcome: 'failed', error: 'E_INVALID_STATE: late' })).toBe(false);
      expect(await s.markRequestApplied(c, { at: 12, outcome: 'refused', error: 'E_FORBIDDEN: viewer' })).toBe(true);
      expect((await s.pendingRequests()).map((r) => r.id)).toEqual([a]);
      expect(await s.getRequest(b)).toEqual({
        id: b,
        time: 2,
        actor: 'bob',
        role: 'admin',
        body: { kind: 'halt', reason: 'fire' },
        appliedAt: 10,
        outcome: 'ok',
      });
      expect(await s.getRequest(c)).toMatchObject({ appliedAt: 12, outcome: 'refused', error: 'E_FORBIDDEN: viewer' });
      expect(await s.getRequest(c + 100)).toBeUndefined();
      expect(await s.markRequestApplied(c + 100, { at: 13, outcome: 'ok' })).toBe(false);
      // Requests are not audit entries: the audit log holds what was done, once, by whoever applied it.
      expect(await s.listAudit()).toEqual([]);
    });

    it("keeps a task's watches (finished stages still regulated) and clears them with a patch", async () => {
      const s = await fresh();
      await s.createRun(runRecord('r1'), [taskRecord('r1', 'web/edge')]);
      const watches = {
        '0': {
          uses: 'traffic.shift',
          with: { layer: 'edge', service: 'web', datacenter: 'east', target: 'zero' },
          state: { v: 1, progress: 0.6, memory: { pending: [] } },
          settled: false,
        },
      };
      await s.commit({ runId: 'r1', tasks: [{ id: 'web/edge', patch: { state: 'succeeded', watches } }] });
      expect((await s.getTasks('r1'))[0]!.watches).toEqual(watches);
      await s.commit({ runId: 'r1', tasks: [{ id: 'web/edge', patch: { watches: undefined } }] });
      expect((await s.getTasks('r1'))[0]!.watches).toBeUndefined();
    });

    it('keeps judged resolutions and counts, per diagnosis and resolver, how often each was tried and helped', async () => {
      const s = await fresh();
      const base = {
        runId: 'r1',
        taskId: 'web/edge',
        service: 'web',
        datacenter: 'east',
        diagnosis: 'receivers-lost-capacity',
      } as const;
      await s.recordResolution({
        ...base,
        time: 1,
        resolver: 'route-around',
        outcome: 'not-helped',
        detail: 'no room',
      });
      await s.recordResolution({ ...base, time: 2, resolver: 'move-back', outcome: 'helped' });
      await s.recordResolution({ ...base, time: 3, resolver: 'move-back', outcome: 'partly', runId: 'r2' });
      await s.recordResolution({
        ...base,
        time: 4,
        resolver: 'wait',
        diagnosis: 'cold-caches',
        outcome: 'helped',
        service: 'api',
      });
      expect(await s.resolverStats()).toEqual([
        { diagnosis: 'cold-caches', resolver: 'wait', tried: 1, helped: 1, partly: 0 },
        { diagnosis: 'receivers-lost-capacity', resolver: 'move-back', tried: 2, helped: 1, partly: 1 },
        { diagnosis: 'receivers-lost-capacity', resolver: 'route-around', tried: 1, helped: 0, partly: 0 },
      ]);
      expect(await s.resolverStats({ service: 'api' })).toEqual([
        { diagnosis: 'cold-caches', resolver: 'wait', tried: 1, helped: 1, partly: 0 },
      ]);
      const r1 = await s.listResolutions({ runId: 'r1' });
      expect(r1.map((r) => [r.time, r.resolver, r.outcome])).toEqual([
        [1, 'route-around', 'not-helped'],
        [2, 'move-back', 'helped'],
        [4, 'wait', 'helped'],
      ]);
      expect(r1[0]).toEqual({ ...base, time: 1, resolver: 'route-around', outcome: 'not-helped', detail: 'no room' });
      expect((await s.listResolutions({ limit: 2 })).map((r) => r.time)).toEqual([3, 4]);
    });

    it('marks a request applied for exactly one of several controllers that try at once', async () => {
      const s = await fresh();
      const id = await s.recordRequest({
        time: 1,
        actor: 'alice',
        role: 'operator',
        body: { kind: 'halt', reason: 'x' },
      });
      const marked = await Promise.all(
        Array.from({ length: 5 }, (_, i) => s.markRequestApplied(id, { at: 10 + i, outcome: 'ok' })),
      );
      expect(marked.filter(Boolean)).toHaveLength(1);
      expect(await s.pendingRequests()).toEqual([]);
    });

    it('journals every event, run, lease change and request with an increasing HLC, read back by HLC range', async () => {
      const s = await fresh();
      await s.createRun(runRecord('r1'), [taskRecord('r1', 'a'), taskRecord('r1', 'b')]);
      const [saved] = await s.commit({ runId: 'r1', events: [stateEvent('r1', 'a', 2000)] });
      await s.appendEvents([{ type: 'alert', severity: 'warning', message: 'slow', time: 2100 }]);
      await s.acquireLease('controller', 'c1', { now: 1, until: 100 });
      await s.acquireLease('controller', 'c1', { now: 2, until: 101 });
      const request = await s.recordRequest({
        time: 3,
        actor: 'bob',
        role: 'operator',
        runId: 'r1',
        body: { kind: 'command', runId: 'r1', command: { action: 'pause' } },
      });
      await s.appendJournal([{ type: 'clock.skew', detail: 'x' }]);
      const all = await s.listJournal();
      expect(all.map((e) => e.type)).toEqual(['run.created', 'task.state', 'alert', 'lease', 'request', 'clock.skew']);
      const hlcs = all.map((e) => BigInt(e.hlc));
      for (let i = 1; i < hlcs.length; i++) expect(hlcs[i]! > hlcs[i - 1]!).toBe(true);
      expect(all[0]).toMatchObject({ runId: 'r1', plan: 'evacuate-east', tasks: [{ id: 'a' }, { id: 'b' }] });
      expect(all[1]).toMatchObject({ runId: 'r1', taskId: 'a', state: 'running', seq: saved!.seq });
      expect(all[4]).toMatchObject({ requestId: request, action: 'pause', actor: 'bob', runId: 'r1' });
      expect(all.every((e) => typeof e.source === 'string' && typeof e.wall === 'number')).toBe(true);
      // Inclusive bounds, in HLC order.
      const middle = await s.listJournal({ fromHlc: all[1]!.hlc, toHlc: all[3]!.hlc });
      expect(middle.map((e) => e.type)).toEqual(['task.state', 'alert', 'lease']);
      expect(await s.listJournal({ toHlc: all[0]!.hlc, limit: 5 })).toHaveLength(1);
      // Nothing is past a 14-day window yet; an explicit horizon drops what is before it.
      expect(await s.pruneJournal()).toBe(0);
      expect(await s.pruneJournal(all[2]!.hlc)).toBe(2);
      expect((await s.listJournal()).map((e) => e.type)).toEqual(['alert', 'lease', 'request', 'clock.skew']);
    });

    if (options.reopen) {
      const reopen = options.reopen;
      it('keeps everything committed across a close and reopen, and numbers on from there', async () => {
        const s = await makeStore();
        await s.createRun(runRecord('r1'), [taskRecord('r1', 'a')]);
        const first = await s.commit({
          runId: 'r1',
          run: { state: 'running' },
          tasks: [{ id: 'a', patch: { state: 'running', stageState: { p: 0.5 } } }],
          events: [stateEvent('r1', 'a', 5)],
        });
        await s.recordDuration({ template: 't', service: 's', datacenter: 'd', plan: 'p' }, 42, 1);
        await s.setTestsHalt({ halted: true, since: 1, actor: 'alice', reason: 'freeze' });
        await s.appendAudit({ time: 1, actor: 'alice', action: 'start' });
        await s.recordResolution({
          time: 1,
          runId: 'r1',
          taskId: 't',
          service: 's',
          datacenter: 'd',
          diagnosis: 'cold-caches',
          resolver: 'wait',
          outcome: 'helped',
        });
        const pending = await s.recordRequest({
          time: 2,
          actor: 'alice',
          role: 'operator',
          runId: 'r1',
          body: { kind: 'command', runId: 'r1', command: { action: 'pause' } },
        });
        await s.createRun(runRecord('r2', { createdAt: 2000 }), []);
        await s.commit({ runId: 'r2', run: { state: 'aborting', stopIntent: 'halted', reason: 'aborted by? no' } });
        const again = await reopen(s);
        open.push(again);
        expect(await again.getRun('r2')).toMatchObject({ state: 'aborting', stopIntent: 'halted' });
        expect((await again.getRun('r1'))!.state).toBe('running');
        expect((await again.getTasks('r1'))[0]!.stageState).toEqual({ p: 0.5 });
        expect(await again.listEvents({ runId: 'r1' })).toEqual(first);
        expect(await again.durations({ template: 't', service: 's', datacenter: 'd', plan: 'p' })).toEqual([42]);
        expect(await again.testsHalt()).toMatchObject({ halted: true, reason: 'freeze' });
        expect(await again.listAudit()).toHaveLength(1);
        expect(await again.resolverStats()).toEqual([
          { diagnosis: 'cold-caches', resolver: 'wait', tried: 1, helped: 1, partly: 0 },
        ]);
        expect((await again.pendingRequests()).map((r) => r.id)).toEqual([pending]);
        expect(
          await again.recordRequest({ time: 3, actor: 'bob', role: 'operator', body: { kind: 'halt', reason: 'x' } }),
        ).toBeGreaterThan(pending);
        expect((await again.listRuns({ active: true })).map((r) => r.id)).toEqual(['r2', 'r1']);
        const next = await again.appendEvents([{ type: 'alert', severity: 'info', message: 'x', time: 6 }]);
        expect(next[0]!.seq).toBeGreaterThan(first[0]!.seq!);
      });
    }
  });
}
