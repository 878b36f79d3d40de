import { describe, expect, it } from 'vitest';
import { MaelstromError } from '../src/model/errors.js';
import type { RunView } from '../src/engine/controller.js';
import type { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { code, makeWorld, operator, type World } from './engine-fixture.js';

const taskOf = (v: RunView, id: string) => v.tasks.find((t) => t.id === id)!;

async function stateOf(w: World, runId: string, taskId?: string): Promise<string> {
  const v = await w.controller.getRun(runId);
  return taskId ? taskOf(v, taskId).state : v.state;
}

/** Runs virtual time until the run (or task) reaches the state. */
async function reach(w: World, runId: string, state: string, taskId?: string, limitMs = 3600_000): Promise<void> {
  let current = '';
  const poll = (): boolean => {
    void stateOf(w, runId, taskId).then((s) => {
      current = s;
    });
    return current === state;
  };
  await w.until(poll, limitMs);
  expect(await stateOf(w, runId, taskId)).toBe(state);
}

function operatorEvents(w: World): string[] {
  return w.events
    .filter((e) => e.type === 'operator')
    .map((e) => (e.type === 'operator' ? `${e.action}:${e.actor}:${e.reason ?? ''}` : ''));
}

describe('engine: operator actions', () => {
  it('pause stops progress and resume continues from where it was', async () => {
    const w = await makeWorld();
    w.fake.durationMs = 60_000;
    const run = await w.controller.startRun('mini-drain', operator);
    await reach(w, run.id, 'running', 'front/step');
    await w.controller.command(run.id, { action: 'pause', reason: 'look first' }, operator);
    expect(await stateOf(w, run.id)).toBe('paused');
    const calls = w.fake.calls.length;
    await w.until(() => false, 3600_000);
    expect(w.fake.calls.length).toBe(calls);
    expect(w.backend.journal()).toHaveLength(0);
    await w.controller.command(run.id, { action: 'resume' }, operator);
    await reach(w, run.id, 'succeeded');
    // The interrupted stage ran again (it had not completed); no completed stage did.
    const origins = w.backend.journal().map((j) => `${j.origin?.taskId}#${j.origin?.stage}`);
    expect(origins).toEqual(['front/step#0', 'front/step#1', 'back/step#0', 'back/step#1']);
    expect(operatorEvents(w)).toEqual(['start:ana:', 'pause:ana:look first', 'resume:ana:']);
    const audit = await w.store.listAudit();
    expect(audit.map((a) => a.action)).toEqual(['start', 'pause', 'resume']);
  });

  it('abort cancels running stages, works from running, paused and blocked, and names the restore plan', async () => {
    for (const from of ['running', 'paused', 'blocked'] as const) {
      const w = await makeWorld();
      w.fake.durationMs = 60_000;
      if (from === 'blocked') w.fake.behaviour.set('front/step', 'fail');
      const run = await w.controller.startRun('mini-drain', operator);
      if (from === 'blocked') await reach(w, run.id, 'blocked');
      else await reach(w, run.id, 'running', 'front/step');
      if (from === 'paused') await w.controller.command(run.id, { action: 'pause' }, operator);
      const view = await w.controller.command(run.id, { action: 'abort', reason: 'enough' }, operator);
      expect(view.state).toBe('aborted');
      expect(view.reason).toMatch(/restore plan "mini-restore"/);
      expect(view.tasks.every((t) => t.state === 'cancelled' || t.state === 'failed')).toBe(true);
      await w.until(() => false, 600_000);
      expect(w.backend.journal()).toHaveLength(0);
      expect(await code(w.controller.command(run.id, { action: 'abort' }, operator))).toBe('E_INVALID_STATE');
    }
  });

  it('retry runs a failed task again from the failed stage', async () => {
    const w = await makeWorld();
    w.fake.behaviour.set('front/step#1', 'fail');
    const run = await w.controller.startRun('mini-drain', operator);
    await reach(w, run.id, 'blocked');
    const failed = taskOf(await w.controller.getRun(run.id), 'front/step');
    expect(failed.state).toBe('failed');
    expect(failed.reason).toMatch(/told to fail/);
    expect(taskOf(await w.controller.getRun(run.id), 'back/step').state).toBe('pending');
    w.fake.behaviour.clear();
    await w.controller.command(run.id, { action: 'retry', task: 'front/step', reason: 'fixed' }, operator);
    await reach(w, run.id, 'succeeded');
    expect(w.fake.calls.filter((c) => c.taskId === 'front/step').map((c) => `${c.stage}@${c.attempt}`)).toEqual([
      '0@1',
      '1@1',
      '1@2',
    ]);
    expect(operatorEvents(w)).toContain('retry:ana:fixed');
  });

  it('skip needs a reason, and lets the dependents go', async () => {
    const w = await makeWorld();
    w.fake.behaviour.set('front/step', 'fail');
    const run = await w.controller.startRun('mini-drain', operator);
    await reach(w, run.id, 'blocked');
    expect(await code(w.controller.command(run.id, { action: 'skip', task: 'front/step', reason: '' }, operator))).toBe(
      'E_BAD_REQUEST',
    );
    expect(await stateOf(w, run.id, 'front/step')).toBe('failed');
    await w.controller.command(
      run.id,
      { action: 'skip', task: 'front/step', reason: 'front is down anyway' },
      operator,
    );
    await reach(w, run.id, 'succeeded');
    const v = await w.controller.getRun(run.id);
    expect(taskOf(v, 'front/step').state).toBe('skipped');
    expect(taskOf(v, 'back/step').state).toBe('succeeded');
    expect(operatorEvents(w)).toContain('skip:ana:front is down anyway');
    // Each attempt is on the record once, with how it ended.
    const skips = (await w.store.listAudit()).filter((a) => a.action === 'skip');
    expect(skips.map((a) => [a.reason, (a.details as { outcome: string; error?: string }).outcome])).toEqual([
      ['', 'failed'],
      ['front is down anyway', 'ok'],
    ]);
    expect(skips[0]!.details).toMatchObject({ error: 'E_BAD_REQUEST' });
  });

  it('approve lets an approval stage pass', async () => {
    const w = await makeWorld();
    const run = await w.controller.startRun('mini-gated', operator);
    await w.until(() => false, 600_000);
    expect(await stateOf(w, run.id, 'front/gate')).toBe('running');
    expect(w.fake.calls).toHaveLength(0);
    expect(
      await code(w.controller.command(run.id, { action: 'approve', task: 'nope/gate', reason: 'go' }, operator)),
    ).toBe('E_NOT_FOUND');
    await w.controller.command(run.id, { action: 'approve', task: 'front/gate', reason: 'go' }, operator);
    await reach(w, run.id, 'succeeded');
    expect(w.fake.calls.map((c) => c.taskId)).toEqual(['front/gate']);
  });

  it('override-condition needs a reason and lets a held condition pass, on the record', async () => {
    const w = await makeWorld();
    // back's errors cannot be read: its health holds.
    const real = w.backend.snapshot.bind(w.backend);
    const c = await w.newController({
      backend: {
        ...w.backend,
        name: w.backend.name,
        clock: w.backend.clock,
        supports: w.backend.supports,
        act: (...a) => w.backend.act(...a),
        init: () => w.backend.init(),
        close: () => w.backend.close(),
        weights: (...a) => w.backend.weights(...a),
        baselineWeights: (...a) => w.backend.baselineWeights(...a),
        snapshot: async (o) => {
          const s = await real(o);
          return { ...s, services: { ...s.services, back: { datacenters: s.services.back!.datacenters } } };
        },
      },
    });
    const run = await c.startRun('mini-drain', operator);
    await w.until(() => false, 600_000);
    expect(taskOf(await c.getRun(run.id), 'back/step').state).toBe('blocked');
    expect(
      await code(
        c.command(
          run.id,
          { action: 'override-condition', task: 'back/step', condition: 'errors-low', reason: ' ' },
          operator,
        ),
      ),
    ).toBe('E_BAD_REQUEST');
    expect(
      await code(
        c.command(
          run.id,
          { action: 'override-condition', task: 'back/step', condition: 'no-such', reason: 'x' },
          operator,
        ),
      ),
    ).toBe('E_BAD_REQUEST');
    await c.command(
      run.id,
      {
        action: 'override-condition',
        task: 'back/step',
        condition: 'errors-low',
        reason: 'metrics pipeline is down, dashboards look fine',
      },
      operator,
    );
    let done = false;
    void c.wait(run.id).then(() => {
      done = true;
    });
    await w.until(() => done);
    expect((await c.getRun(run.id)).state).toBe('succeeded');
    const ops = (await w.store.listEvents({ runId: run.id })).filter((e) => e.type === 'operator');
    expect(ops.at(-1)).toMatchObject({ action: 'override-condition', actor: 'ana', target: 'back/step#errors-low' });
    await c.close();
  });

  it('override-dependency frees a task from a weak dependency only, with a reason', async () => {
    const w = await makeWorld();
    w.fake.behaviour.set('front/step', 'fail');
    const run = await w.controller.startRun('mini-drain', operator);
    await reach(w, run.id, 'blocked');
    expect(
      await code(
        w.controller.command(
          run.id,
          { action: 'override-dependency', task: 'back/step', dependency: 'front/step', reason: '' },
          operator,
        ),
      ),
    ).toBe('E_BAD_REQUEST');
    expect(
      await code(
        w.controller.command(
          run.id,
          { action: 'override-dependency', task: 'front/step', dependency: 'back/step', reason: 'x' },
          operator,
        ),
      ),
    ).toBe('E_BAD_REQUEST');
    await w.controller.command(
      run.id,
      {
        action: 'override-dependency',
        task: 'back/step',
        dependency: 'front/step',
        reason: 'incident: drain back now',
      },
      operator,
    );
    await reach(w, run.id, 'succeeded', 'back/step');
    expect(await stateOf(w, run.id, 'front/step')).toBe('failed');
    expect(await stateOf(w, run.id)).toBe('blocked');
  });

  it('halt stops every run at once, from any state', async () => {
    const w = await makeWorld();
    w.fake.durationMs = 60_000;
    const a = await w.controller.startRun('mini-drain', operator);
    const b = await w.controller.startRun('mini-gated', operator);
    await reach(w, a.id, 'running', 'front/step');
    await w.controller.command(b.id, { action: 'pause' }, operator);
    expect(await code(w.controller.halt(operator, ''))).toBe('E_BAD_REQUEST');
    await w.controller.halt(operator, 'east is on fire');
    expect(await stateOf(w, a.id)).toBe('halted');
    expect(await stateOf(w, b.id)).toBe('halted');
    await w.until(() => false, 600_000);
    expect(w.backend.journal()).toHaveLength(0);
    expect(
      w.events.some(
        (e) => e.type === 'operator' && e.action === 'halt' && e.runId === undefined && e.reason === 'east is on fire',
      ),
    ).toBe(true);
    expect((await w.store.listAudit()).at(-1)).toMatchObject({
      action: 'halt',
      actor: 'ana (operator)',
      reason: 'east is on fire',
      details: { outcome: 'ok', runs: expect.arrayContaining([a.id, b.id]) },
    });
  });

  it('a controller that dies while stopping a run finishes it by the stored intent, whatever the reason says', async () => {
    for (const intent of ['aborted', 'halted'] as const) {
      const w = await makeWorld();
      w.fake.durationMs = 60_000;
      // A store that dies right after the `aborting` commit, as a controller killed at that moment would.
      let dead = false;
      // The controller commits through the store's fenced view: the view dies too.
      const dyingCommit =
        (commit: SqliteStore['commit']): SqliteStore['commit'] =>
        async (change) => {
          if (dead) throw new MaelstromError('E_STORE', 'the controller died');
          const saved = await commit(change);
          if (change.run?.state === 'aborting') dead = true;
          return saved;
        };
      const dying: SqliteStore = {
        ...w.store,
        commit: dyingCommit((change) => w.store.commit(change)),
        fenced: (fence, options) => {
          const view = w.store.fenced(fence, options);
          return { ...view, commit: dyingCommit((change) => view.commit(change)) };
        },
      };
      const first = await w.newController({ store: dying });
      const run = await first.startRun('mini-drain', operator);
      await w.until(() => w.fake.calls.length > 0);
      // Reasons that name the other outcome: the text must not decide.
      const stop =
        intent === 'aborted'
          ? first.command(run.id, { action: 'abort', reason: 'halted traffic looks wrong' }, operator)
          : first.halt(operator, 'east is on fire');
      expect(await code(stop)).toBe('E_STORE');
      await first.close();
      expect(await w.store.getRun(run.id)).toMatchObject({ state: 'aborting', stopIntent: intent });
      if (intent === 'halted') await w.store.commit({ runId: run.id, run: { reason: 'stopped, to be aborted' } });
      const second = await w.newController();
      await second.start();
      const view = await second.getRun(run.id);
      expect(view.state).toBe(intent);
      expect(view.tasks.every((t) => t.state === 'cancelled')).toBe(true);
      await second.close();
    }
  });

  it('a viewer may not act', async () => {
    const w = await makeWorld();
    const run = await w.controller.startRun('mini-drain', operator);
    expect(await code(w.controller.command(run.id, { action: 'pause' }, { name: 'vic', role: 'viewer' }))).toBe(
      'E_FORBIDDEN',
    );
    await w.controller.close();
  });

  it('a task past its stuck fence is flagged, alerts, and stalls its dependents until an operator acts', async () => {
    const w = await makeWorld();
    for (let i = 0; i < 5; i++)
      await w.store.recordDuration(
        { template: 'step', service: 'front', datacenter: 'east', plan: 'mini-drain' },
        10_000,
        i,
      );
    w.fake.durationMs = 300_000;
    const run = await w.controller.startRun('mini-drain', operator);
    await reach(w, run.id, 'stuck', 'front/step');
    // p75 10 s, IQR 0: the fence is p75 + max(3 × IQR, p75, one propagation and settle of 30 s + 60 s) = 100 s.
    const alert = w.events.find((e) => e.type === 'alert' && e.taskId === 'front/step');
    expect(alert?.type === 'alert' ? alert.message : '').toMatch(
      /past its stuck fence of 1m40s \(the 75th percentile of its last 5 runs is 10s, their IQR 0s\)/,
    );
    // It finishes, but back stays put.
    await w.until(() => false, 3600_000);
    const v = await w.controller.getRun(run.id);
    expect(taskOf(v, 'front/step')).toMatchObject({ state: 'succeeded', stuck: true });
    expect(taskOf(v, 'back/step').state).toBe('pending');
    expect(v.state).toBe('blocked');
    await w.controller.command(run.id, { action: 'retry', task: 'front/step', reason: 'slow but fine' }, operator);
    await reach(w, run.id, 'succeeded');
  });

  it("an operator's run takes a datacenter over from a drain test's run, which stops without its restore", async () => {
    const w = await makeWorld();
    w.fake.durationMs = 60_000;
    const origin = { schedule: 'weekly', test: 'test-1', phase: 'drain' } as const;
    const test = await w.controller.startRun('mini-drain', operator, { origin });
    expect(test.origin).toEqual(origin);
    await reach(w, test.id, 'running', 'front/step');
    // Another test, or a test over an operator's run, is refused as any conflict is.
    expect(await code(w.controller.startRun('mini-drain-again', operator, { origin }))).toBe('E_CONFLICT');
    const incident = await w.controller.startRun('mini-drain-again', { name: 'oncall', role: 'operator' });
    const stopped = await w.controller.getRun(test.id);
    expect(stopped).toMatchObject({ state: 'aborted', handedOverTo: incident.id });
    expect(stopped.reason).toMatch(/^aborted by oncall: handed over to mini-drain-again/);
    expect(incident.origin).toBeUndefined();
    expect(await code(w.controller.startRun('mini-drain', operator, { origin }))).toBe('E_CONFLICT');
    const started = (await w.store.listAudit()).filter(
      (a) => a.action === 'start' && (a.details as { outcome: string }).outcome === 'ok',
    );
    expect(started.map((a) => a.target)).toEqual(['mini-drain', 'mini-drain-again']);
    expect((started[1]!.details as { handedOver?: string[] }).handedOver).toEqual([test.id]);
    await reach(w, incident.id, 'succeeded');
  });

  it('durations of another plan, or too few of them, never flag a task', async () => {
    const w = await makeWorld();
    const key = { template: 'step', service: 'front', datacenter: 'east' };
    for (let i = 0; i < 10; i++) await w.store.recordDuration({ ...key, plan: 'mini-drain-again' }, 10_000, i);
    for (let i = 0; i < 4; i++) await w.store.recordDuration({ ...key, plan: 'mini-drain' }, 10_000, i);
    w.fake.durationMs = 300_000;
    const run = await w.controller.startRun('mini-drain', operator);
    await reach(w, run.id, 'succeeded');
    expect((await w.controller.getRun(run.id)).tasks.some((t) => t.stuck)).toBe(false);
    expect(await w.store.durations({ ...key, plan: 'mini-drain' })).toHaveLength(5);
  });

  it('a request the controller cannot read is marked failed, not guessed at', async () => {
    const w = await makeWorld();
    const id = await w.store.recordRequest({ time: 0, actor: 'eve', role: 'operator', body: { kind: 'reboot' } });
    expect(await w.controller.pollRequests()).toBe(0);
    expect(await w.store.getRequest(id)).toMatchObject({
      outcome: 'failed',
      error: expect.stringMatching(/^E_BAD_REQUEST: /),
    });
    await w.controller.close();
  });

  it('operator requests recorded by another process are applied once', async () => {
    const { recordRequest } = await import('../src/engine/requests.js');
    const w = await makeWorld();
    w.fake.durationMs = 60_000;
    const run = await w.controller.startRun('mini-drain', operator);
    await reach(w, run.id, 'running', 'front/step');
    await recordRequest(
      w.store,
      operator,
      { kind: 'command', runId: run.id, command: { action: 'pause', reason: 'from afar' } },
      0,
    );
    expect(await w.controller.pollRequests()).toBe(1);
    expect(await stateOf(w, run.id)).toBe('paused');
    expect(await w.controller.pollRequests()).toBe(0);
    // Audited once, by the controller that applied it, and not as rows of its own.
    expect((await w.store.listAudit()).map((a) => `${a.action} ${(a.details as { outcome: string }).outcome}`)).toEqual(
      ['start ok', 'pause ok'],
    );
    expect(await w.store.pendingRequests()).toEqual([]);
    await w.controller.close();
  });
});
