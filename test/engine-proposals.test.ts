/**
 * Runs that alerts propose, and approvals: a proposed run shows its pre-flight and its alert and runs nothing until
 * an operator approves it with a reason (or it lapses); an approval stage can need several different operators,
 * and its timeout goes where the runbook routes it.
 */
import { describe, expect, it } from 'vitest';
import type { Actor, ProposalRequest } from '../src/engine/controller.js';
import type { AlertView } from '../src/model/api.js';
import { MaelstromError } from '../src/model/errors.js';
import { code, loadMini, makeWorld, operator, type World } from './engine-fixture.js';

const EXTRA = `
---
apiVersion: maelstrom/v1
kind: Fleet
metadata: { name: tight }
spec:
  datacenters:
    - { name: east, clusters: [east-a] }
    - { name: west, clusters: [west-a] }
  pops:
    - { name: nyc, share: 1, weights: { east: 50, west: 50 } }
  services:
    - { name: front, type: stateless, userFacing: true, demand: 1000, capacity: { east: 1000, west: 600 } }
---
apiVersion: maelstrom/v1
kind: Plan
metadata: { name: tight-drain }
spec: { fleet: tight, direction: drain, datacenter: east, runbooks: [ { match: {}, runbook: steps } ] }
---
apiVersion: maelstrom/v1
kind: TaskTemplate
metadata: { name: gate-two }
spec:
  params:
    service: { type: service }
    datacenter: { type: datacenter }
  stages:
    - name: ask
      uses: approval
      with: { prompt: go, approvers: 2, timeout: 30m }
      next: { timeout: fallback }
    - name: after
      uses: config.set
      with: { key: '\${{ params.service }}-after', value: done }
      next: { success: end }
    - name: fallback
      uses: config.set
      with: { key: '\${{ params.service }}-fallback', value: done }
---
apiVersion: maelstrom/v1
kind: Runbook
metadata: { name: gated-two }
spec:
  direction: drain
  params: { service: { type: service }, datacenter: { type: datacenter } }
  tasks:
    - { name: gate, template: gate-two, with: { service: '\${{ params.service }}', datacenter: '\${{ params.datacenter }}' } }
---
apiVersion: maelstrom/v1
kind: Plan
metadata: { name: mini-gated-two }
spec: { fleet: mini, direction: drain, datacenter: west, services: [front], runbooks: [ { match: {}, runbook: gated-two } ] }
`;

const alertmanager: Actor = { name: 'alertmanager', role: 'alerts' };
const bo: Actor = { name: 'bo', role: 'operator' };
const viewer: Actor = { name: 'vi', role: 'viewer' };

function alert(name = 'DatacenterErrorRateHigh', fingerprint = 'f1'): AlertView {
  return {
    fingerprint,
    status: 'firing',
    labels: { alertname: name, datacenter: 'east', severity: 'critical' },
    annotations: { summary: 'east answers 12% errors' },
    startsAt: '2026-03-02T11:59:00Z',
    receivedAt: Date.parse('2026-03-02T12:00:00Z'),
  };
}

function request(over: Partial<ProposalRequest> = {}): ProposalRequest {
  return { trigger: 'east-unhealthy', mode: 'propose', alerts: [alert()], expireAfterMs: 3600_000, ...over };
}

async function world(): Promise<World> {
  return makeWorld({ defs: await loadMini(EXTRA) });
}

/** Runs virtual time until the run is in `state`. */
async function reach(w: World, runId: string, state: string, limitMs = 3600_000): Promise<void> {
  let current = '';
  await w.until(() => {
    void w.controller.getRun(runId).then((v) => {
      current = v.state;
    });
    return current === state;
  }, limitMs);
  expect((await w.controller.getRun(runId)).state).toBe(state);
}

describe('engine: proposed runs', () => {
  it('shows its pre-flight and its alert, runs nothing, and starts once an operator approves it with a reason', async () => {
    const w = await world();
    const run = await w.controller.proposeRun('mini-drain', request(), alertmanager);
    expect(run.state).toBe('proposed');
    expect(run.preflight?.ok).toBe(true);
    expect(run.proposal).toMatchObject({
      trigger: 'east-unhealthy',
      mode: 'propose',
      expiresAt: w.clock.now() + 3600_000,
    });
    expect(run.proposal?.alerts.map((a) => a.labels.alertname)).toEqual(['DatacenterErrorRateHigh']);
    expect(run.reason).toContain('proposed by trigger east-unhealthy: DatacenterErrorRateHigh firing');
    expect(run.allowedActions).toEqual(['approve', 'abort']);
    expect(run.tasks.every((t) => t.allowedActions.length === 0)).toBe(true);

    await w.until(() => false, 600_000);
    expect((await w.controller.getRun(run.id)).state).toBe('proposed');
    expect(w.fake.calls).toHaveLength(0);

    expect(await code(w.controller.command(run.id, { action: 'approve', reason: '  ' }, operator))).toBe(
      'E_BAD_REQUEST',
    );
    expect(await code(w.controller.command(run.id, { action: 'approve', reason: 'go' }, viewer))).toBe('E_FORBIDDEN');
    expect(await code(w.controller.command(run.id, { action: 'approve', reason: 'go' }, alertmanager))).toBe(
      'E_FORBIDDEN',
    );
    expect(
      await code(w.controller.command(run.id, { action: 'skip', task: 'front/step', reason: 'x' }, operator)),
    ).toBe('E_INVALID_STATE');
    const approved = await w.controller.command(run.id, { action: 'approve', reason: 'east is on fire' }, operator);
    expect(approved.state).toBe('pending');
    expect(approved.preflight).toBeUndefined();
    expect(approved.proposal).toMatchObject({ approvedBy: 'ana', approvalReason: 'east is on fire' });
    await reach(w, run.id, 'succeeded');
    expect(w.fake.calls.length).toBeGreaterThan(0);
    expect(await code(w.controller.command(run.id, { action: 'approve', reason: 'again' }, operator))).toBe(
      'E_INVALID_STATE',
    );

    const actions = w.events.flatMap((e) => (e.type === 'operator' ? [`${e.action}:${e.actor}`] : []));
    expect(actions).toEqual(['propose:alertmanager', 'approve:ana']);
    const states = w.events.flatMap((e) => (e.type === 'run.state' ? [e.state] : []));
    expect(states.slice(0, 3)).toEqual(['proposed', 'pending', 'running']);
    const audit = (await w.store.listAudit()).map(
      (a) => `${a.action}:${a.actor}:${(a.details as { outcome: string }).outcome}`,
    );
    expect(audit).toContain('propose:alertmanager (alerts):ok');
    expect(audit).toContain('approve:ana (operator):ok');
    expect(audit).toContain('approve:alertmanager (alerts):refused');
  });

  it('lapses when nobody approves it within expireAfter: the run ends aborted, saying so, and none of it ran', async () => {
    const w = await world();
    const start = w.clock.now();
    const run = await w.controller.proposeRun('mini-drain', request({ expireAfterMs: 1800_000 }), alertmanager);
    await reach(w, run.id, 'aborted', 7200_000);
    const done = await w.controller.getRun(run.id);
    expect(done.finishedAt).toBe(start + 1800_000);
    expect(done.reason).toBe('the proposal lapsed: nobody approved it within 30m (trigger east-unhealthy)');
    expect(done.tasks.every((t) => t.state === 'cancelled')).toBe(true);
    expect(w.fake.calls).toHaveLength(0);
  });

  it('starts at once in start mode; with a failing pre-flight it is proposed instead, and approving it is refused with the figures', async () => {
    const w = await world();
    const started = await w.controller.proposeRun('mini-drain', request({ mode: 'start' }), alertmanager);
    expect(started.state).toBe('pending');
    expect(started.proposal?.expiresAt).toBeUndefined();
    await reach(w, started.id, 'succeeded');

    const tight = await w.controller.proposeRun(
      'tight-drain',
      request({ mode: 'start', trigger: 'tight' }),
      alertmanager,
    );
    expect(tight.state).toBe('proposed');
    expect(tight.preflight?.ok).toBe(false);
    expect(tight.reason).toContain('its pre-flight fails, so a person decides');
    let refusal: unknown;
    await w.controller.command(tight.id, { action: 'approve', reason: 'go anyway' }, operator).catch((e: unknown) => {
      refusal = e;
    });
    expect(refusal).toBeInstanceOf(MaelstromError);
    expect((refusal as MaelstromError).code).toBe('E_PREFLIGHT');
    expect((refusal as MaelstromError).message).toContain('front: needs 500 req/s moved');
    expect((await w.controller.getRun(tight.id)).state).toBe('proposed');
  });

  it('holds no services: another run may start on them; a proposal for services another run acts on is refused', async () => {
    const w = await world();
    w.fake.durationMs = 600_000;
    const proposed = await w.controller.proposeRun('mini-drain', request(), alertmanager);
    const manual = await w.controller.startRun('mini-drain-again', operator);
    expect(manual.state).not.toBe('proposed');
    expect(await code(w.controller.proposeRun('mini-drain', request({ trigger: 'other' }), alertmanager))).toBe(
      'E_CONFLICT',
    );
    // Approving the proposal while the other run acts on `back` is refused too, naming that run.
    expect(await code(w.controller.command(proposed.id, { action: 'approve', reason: 'go' }, operator))).toBe(
      'E_CONFLICT',
    );
    await w.controller.command(proposed.id, { action: 'abort', reason: 'handled by hand' }, operator);
    expect((await w.controller.getRun(proposed.id)).state).toBe('aborted');
  });

  it('survives a restart of the controller, keeps its alert, and still lapses on time', async () => {
    const w = await world();
    const start = w.clock.now();
    const run = await w.controller.proposeRun('mini-drain', request(), alertmanager);
    await w.until(() => false, 600_000);
    const next = await w.newController();
    await next.start();
    const again = await next.getRun(run.id);
    expect(again.state).toBe('proposed');
    expect(again.proposal?.alerts[0]?.fingerprint).toBe('f1');
    let state = '';
    await w.until(() => {
      void next.getRun(run.id).then((v) => {
        state = v.state;
      });
      return state === 'aborted';
    }, 7200_000);
    expect((await next.getRun(run.id)).finishedAt).toBe(start + 3600_000);
  });

  it('records the alerts that come while it is open: another one, a resolution, a repeat (nothing)', async () => {
    const w = await world();
    const run = await w.controller.proposeRun('mini-drain', request(), alertmanager);
    await w.controller.recordAlerts(run.id, [alert('BackboneDegraded', 'f2')]);
    await w.controller.recordAlerts(run.id, [alert()]);
    const resolved = await w.controller.recordAlerts(run.id, [{ ...alert(), status: 'resolved', resolvedAt: 42 }]);
    expect(resolved.proposal?.alerts.map((a) => [a.fingerprint, a.status, a.resolvedAt])).toEqual([
      ['f1', 'resolved', 42],
      ['f2', 'firing', undefined],
    ]);
    const messages = w.events.flatMap((e) => (e.type === 'alert' && e.runId === run.id ? [e.message] : []));
    expect(messages).toEqual(['alert BackboneDegraded is firing too', 'alert DatacenterErrorRateHigh resolved']);
  });
});

describe('engine: approvals by several operators', () => {
  it('needs approvers: 2 different operators; the same one twice is refused', async () => {
    const w = await world();
    const run = await w.controller.startRun('mini-gated-two', operator);
    await w.until(() => false, 60_000);
    let view = await w.controller.getRun(run.id);
    expect(view.tasks[0]).toMatchObject({
      id: 'front/gate',
      state: 'running',
      approvers: 2,
      allowedActions: ['skip', 'approve'],
    });
    view = await w.controller.command(
      run.id,
      { action: 'approve', task: 'front/gate', reason: 'replicas fine' },
      operator,
    );
    expect(view.tasks[0]!.approved).toBeUndefined();
    expect(view.tasks[0]!.approvals).toEqual([{ actor: 'ana', at: w.clock.now(), reason: 'replicas fine' }]);
    expect(view.tasks[0]!.allowedActions).toContain('approve');
    let refusal: unknown;
    await w.controller
      .command(run.id, { action: 'approve', task: 'front/gate', reason: 'really' }, operator)
      .catch((e: unknown) => {
        refusal = e;
      });
    expect((refusal as MaelstromError).code).toBe('E_CONFLICT');
    expect((refusal as MaelstromError).message).toContain('needs the approval of 2 different operators');
    await w.until(() => false, 60_000);
    expect(w.fake.calls).toHaveLength(0);
    view = await w.controller.command(run.id, { action: 'approve', task: 'front/gate', reason: 'agreed' }, bo);
    expect(view.tasks[0]!.approved).toBe(true);
    await reach(w, run.id, 'succeeded');
    expect(w.fake.calls.map((c) => c.stage)).toEqual([1]);
  });

  it('an approval that times out goes where the runbook routes its timeout', async () => {
    const w = await world();
    const run = await w.controller.startRun('mini-gated-two', operator);
    await w.until(() => false, 60_000);
    await w.controller.command(run.id, { action: 'approve', task: 'front/gate', reason: 'one of two' }, operator);
    await reach(w, run.id, 'succeeded', 7200_000);
    // Stage 2 is the fallback the timeout routes to; `after` (stage 1) never ran.
    expect(w.fake.calls.map((c) => c.stage)).toEqual([2]);
    const end = w.events.find((e) => e.type === 'stage.end' && e.stage === 0);
    expect(end).toMatchObject({ outcome: 'timeout' });
  });
});
