import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadDefinitions } from '../src/load/load.js';
import type { CompiledPlan, PlannedTask } from '../src/model/compiled.js';
import type { Definitions, Fleet } from '../src/model/definitions.js';
import { MaelstromError } from '../src/model/errors.js';
import { compilePlan, describeWait } from '../src/plan/index.js';
import { definitionsOf, meta, service, smallFleet, smallPlan, smallRunbook, smallTemplate } from './plan-fixtures.js';

let examples: Definitions;
beforeAll(async () => {
  const { definitions, diagnostics } = await loadDefinitions(['examples']);
  expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  examples = definitions;
});

/** Every task that must be done before `id`, directly or not. */
function ancestors(plan: CompiledPlan): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const t of plan.tasks) {
    const set = new Set<string>();
    for (const a of t.after) {
      set.add(a);
      for (const x of out.get(a) ?? []) set.add(x);
    }
    out.set(t.id, set);
  }
  return out;
}

function tasksOf(plan: CompiledPlan, service: string): PlannedTask[] {
  return plan.tasks.filter((t) => t.service === service);
}

/** Asserts that every task of `first` is done before any task of `then`. */
function expectBefore(plan: CompiledPlan, first: string, then: string, anc = ancestors(plan)): void {
  const a = tasksOf(plan, first),
    b = tasksOf(plan, then);
  expect(a.length, `${first} has tasks`).toBeGreaterThan(0);
  expect(b.length, `${then} has tasks`).toBeGreaterThan(0);
  for (const tb of b) for (const ta of a) expect(anc.get(tb.id)?.has(ta.id), `${ta.id} before ${tb.id}`).toBe(true);
}

function fleetOf(defs: Definitions): Fleet {
  return [...defs.fleets.values()][0]!;
}

describe('plan compiler on the reference examples', () => {
  it('drains callers before callees for every rpc and state dependency', () => {
    const plan = compilePlan(examples, 'evacuate-east');
    const anc = ancestors(plan);
    let checked = 0;
    for (const s of fleetOf(examples).spec.services) {
      for (const d of s.dependsOn ?? []) {
        if (d.kind === 'bootstrap') continue;
        expectBefore(plan, s.name, d.service, anc);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(15);
  });

  it('restores callees and bootstrap dependencies before their callers', () => {
    const plan = compilePlan(examples, 'restore-east');
    const anc = ancestors(plan);
    for (const s of fleetOf(examples).spec.services) {
      for (const d of s.dependsOn ?? []) expectBefore(plan, d.service, s.name, anc);
    }
    // The bootstrap dependency of web and api in particular.
    expectBefore(plan, 'config', 'web', anc);
    expectBefore(plan, 'config', 'auth', anc);
  });

  it('lists tasks in a topological order, with waves consistent with it', () => {
    for (const name of ['evacuate-east', 'evacuate-east-now', 'restore-east']) {
      const plan = compilePlan(examples, name);
      const position = new Map(plan.tasks.map((t, i) => [t.id, i] as const));
      const waveOf = new Map<string, number>();
      plan.waves.forEach((ids, w) => {
        for (const id of ids) waveOf.set(id, w);
      });
      expect(waveOf.size).toBe(plan.tasks.length);
      for (const t of plan.tasks) {
        const w = waveOf.get(t.id)!;
        for (const a of t.after) {
          expect(position.get(a)!).toBeLessThan(position.get(t.id)!);
          expect(waveOf.get(a)!).toBeLessThan(w);
        }
        expect(w).toBe(t.after.length === 0 ? 0 : Math.max(...t.after.map((a) => waveOf.get(a)! + 1)));
      }
    }
  });

  it('picks the first matching runbook rule for each service', () => {
    const plan = compilePlan(examples, 'evacuate-east');
    const runbookOf = (s: string) => tasksOf(plan, s)[0]?.runbook;
    expect(runbookOf('web')).toBe('drain-user-facing');
    expect(runbookOf('feed')).toBe('drain-internal');
    // messenger is user-facing but sticky: the first rule needs stateless, so the sticky rule wins.
    expect(runbookOf('messenger')).toBe('drain-sticky');
    expect(runbookOf('search-index')).toBe('drain-replication');
    expect(runbookOf('user-db')).toBe('drain-stateful');
    expect(plan.tasks.map((t) => t.id)).toContain('web/edge');
    expect(tasksOf(plan, 'web').find((t) => t.task === 'clusters')?.after).toEqual(['web/edge']);
  });

  it('binds parameters from the plan, the rule and the defaults', () => {
    const routine = compilePlan(examples, 'evacuate-east').tasks.find((t) => t.id === 'messenger/sessions')!;
    expect(routine.params).toEqual({ service: 'messenger', datacenter: 'east', grace: '10m', teardownRate: 200 });
    const emergency = compilePlan(examples, 'evacuate-east-now').tasks.find((t) => t.id === 'messenger/sessions')!;
    expect(emergency.params).toEqual({ service: 'messenger', datacenter: 'east', grace: '2m', teardownRate: 1000 });
    expect(emergency.expectedMs).toBeLessThan(routine.expectedMs);
    const edge = compilePlan(examples, 'restore-east').tasks.find((t) => t.id === 'web/edge')!;
    expect(edge.params).toEqual({ service: 'web', datacenter: 'east', layer: 'edge', direction: 'restore' });
    expect(edge.stages[0]?.uses).toBe('traffic.shift');
  });

  it('gives user-facing tasks priority, stateful last', () => {
    const plan = compilePlan(examples, 'evacuate-east');
    const p = (id: string) => plan.tasks.find((t) => t.id === id)!.priority;
    expect([
      p('web/edge'),
      p('messenger/sessions'),
      p('chat-proxy/sessions'),
      p('search-index/repoint'),
      p('user-db/promote'),
      p('cache/clusters'),
    ]).toEqual([0, 0, 1, 2, 3, 4]);
    expect(plan.waves[0]!.slice(0, 4)).toEqual(['web/edge', 'api/edge', 'photos/edge', 'messenger/sessions']);
  });

  it('reports auth, shared by every user-facing service, as a highly connected component', () => {
    expect(compilePlan(examples, 'evacuate-east').hccs).toEqual(['auth']);
  });

  it('passes the pre-flight check of evacuate-east only because load goes where the headroom is', () => {
    const { preflight } = compilePlan(examples, 'evacuate-east');
    expect(preflight.ok).toBe(true);
    expect(preflight.targetUtilization).toBe(0.85);
    const web = preflight.services.find((s) => s.service === 'web')!;
    // east carries 42.5 % of web's 20,000 req/s at peak; west and central have 5,000 + 3,900 of headroom at 85 %.
    expect(web.load).toBeCloseTo(8500, 6);
    expect(web.headroom).toBeCloseTo(8900, 6);
    expect(web.utilizationAfter).toBeCloseTo((6300 + (8500 * 3900) / 8900) / 12000, 6);
    expect(web.utilizationAfter).toBeLessThanOrEqual(0.85);
    const api = preflight.services.find((s) => s.service === 'api')!;
    expect(api.load).toBeCloseTo(3400, 6);
    expect(api.headroom).toBeCloseTo(3900, 6);
    // profile: called by web (×1.0) and api (×1.5) locally in east.
    expect(preflight.services.find((s) => s.service === 'profile')!.load).toBeCloseTo(8500 + 3400 * 1.5, 6);
    expect(preflight.services.every((s) => s.ok)).toBe(true);
  });

  it('estimates the reference drain within 25 % of the recorded drain test, following the callers that have left', () => {
    const plan = compilePlan(examples, 'evacuate-east');
    // The golden recording of drain-test-east: the real time of the same plan in the simulator.
    const report = JSON.parse(
      readFileSync(new URL('golden/drain-test-east/drain-report.json', import.meta.url), 'utf8'),
    ) as { plans: { name: string; drainSeconds: number }[] };
    const real = report.plans.find((p) => p.name === 'evacuate-east')!.drainSeconds * 1000;
    expect(Math.abs(plan.estimateMs - real) / real).toBeLessThan(0.25);
    const byId = new Map(plan.tasks.map((t) => [t.id, t] as const));
    // A callee whose callers have all left is one final step; a shift with traffic to move keeps its full length.
    expect(byId.get('cache/clusters')).toMatchObject({ expectedMs: 10_000 });
    expect(byId.get('cache/clusters')!.expectedNote).toContain('its callers (feed, ranking, profile) have left east');
    expect(byId.get('web/edge')!.expectedMs).toBe(450_000);
    expect(byId.get('chat-proxy/sessions')!.expectedMs).toBe(660_000);
  });

  it('records why each task waits for each of the tasks before it', () => {
    const plan = compilePlan(examples, 'evacuate-east');
    for (const t of plan.tasks) expect(t.waits?.map((w) => w.after)).toEqual(t.after);
    const feed = plan.tasks.find((t) => t.id === 'feed/clusters')!;
    expect(feed.waits).toEqual([
      {
        after: 'web/clusters',
        weak: false,
        because: { kind: 'dependency', chain: [{ caller: 'web', callee: 'feed', kind: 'rpc', weak: false }] },
      },
    ]);
    expect(plan.tasks.find((t) => t.id === 'web/clusters')!.waits).toEqual([
      { after: 'web/edge', weak: false, because: { kind: 'runbook', runbook: 'drain-user-facing' } },
    ]);
  });

  it('predicts a critical path along dependencies', () => {
    const plan = compilePlan(examples, 'evacuate-east');
    expect(plan.criticalPath.length).toBeGreaterThan(0);
    const byId = new Map(plan.tasks.map((t) => [t.id, t] as const));
    for (let i = 1; i < plan.criticalPath.length; i++)
      expect(byId.get(plan.criticalPath[i]!)!.after).toContain(plan.criticalPath[i - 1]);
    expect(plan.estimateMs).toBe(plan.criticalPath.reduce((s, id) => s + byId.get(id)!.expectedMs, 0));
  });

  it('finds the plan that undoes each plan', () => {
    expect(compilePlan(examples, 'evacuate-east').restorePlan).toBe('restore-east');
    expect(compilePlan(examples, 'evacuate-east-now').restorePlan).toBe('restore-east');
    expect(compilePlan(examples, 'restore-east').restorePlan).toBe('evacuate-east');
  });

  it('rejects an unknown plan with E_NOT_FOUND', () => {
    expect(() => compilePlan(examples, 'evacuate-mars')).toThrow(
      expect.objectContaining({ code: 'E_NOT_FOUND' }) as Error,
    );
  });
});

describe('plan compiler on small worlds', () => {
  it('moves a dependency cycle as one unit, after its parents and before its children', () => {
    const defs = definitionsOf({
      fleet: smallFleet([
        service('top', [{ service: 'x', kind: 'rpc' }]),
        service('x', [{ service: 'y', kind: 'rpc' }]),
        service('y', [{ service: 'z', kind: 'rpc' }]),
        service('z', [
          { service: 'x', kind: 'state' },
          { service: 'leaf', kind: 'rpc' },
        ]),
        service('leaf'),
      ]),
      templates: [smallTemplate],
      runbooks: [smallRunbook('drain')],
      plans: [smallPlan('drain')],
    });
    const plan = compilePlan(defs, 'out');
    expect(plan.hccGroups).toEqual([['x', 'y', 'z']]);
    const anc = ancestors(plan);
    for (const m of ['x', 'y', 'z']) {
      expectBefore(plan, 'top', m, anc);
      expectBefore(plan, m, 'leaf', anc);
      expect(tasksOf(plan, m)[0]!.after).toEqual(['top/go']);
    }
    expect(plan.waves).toEqual([['top/go'], ['x/go', 'y/go', 'z/go'], ['leaf/go']]);
  });

  it('puts weak dependencies in weakAfter, and keeps order through services the plan leaves out', () => {
    const defs = definitionsOf({
      fleet: smallFleet([
        service('a', [
          { service: 'b', kind: 'rpc', weak: true },
          { service: 'hidden', kind: 'rpc' },
        ]),
        service('b'),
        service('hidden', [{ service: 'c', kind: 'rpc' }]),
        service('c'),
      ]),
      templates: [smallTemplate],
      runbooks: [smallRunbook('drain')],
      plans: [smallPlan('drain', { services: ['a', 'b', 'c'] })],
    });
    const plan = compilePlan(defs, 'out');
    const byId = new Map(plan.tasks.map((t) => [t.id, t] as const));
    expect(byId.get('b/go')!.after).toEqual(['a/go']);
    expect(byId.get('b/go')!.weakAfter).toEqual(['a/go']);
    expect(byId.get('c/go')!.after).toEqual(['a/go']);
    expect(byId.get('c/go')!.weakAfter).toEqual([]);
    expect(byId.has('hidden/go')).toBe(false);
    // And says why: the chain through the service the plan leaves out, and the weak edge as weak.
    const why = (id: string) => (byId.get(id)!.waits ?? []).map((w) => `${w.after}: ${describeWait(w, 'drain')}`);
    expect(why('c/go')).toEqual([
      'a/go: a → hidden rpc → c rpc (through hidden, not moved by this plan), drain callers first',
    ]);
    expect(why('b/go')).toEqual(['a/go: a → b rpc, drain callers first; weak: an operator may override it']);
  });

  it('reports a service no rule matches, and a missing mandatory parameter, with their codes', () => {
    const fleet = smallFleet([service('a', [], { type: 'stateful', stateful: { primary: 'a', replicas: ['b'] } })]);
    const unmatched = definitionsOf({
      fleet,
      templates: [smallTemplate],
      runbooks: [smallRunbook('drain')],
      plans: [
        {
          ...smallPlan('drain'),
          spec: { ...smallPlan('drain').spec, runbooks: [{ match: { type: 'stateless' }, runbook: 'drain-all' }] },
        },
      ],
    });
    expect(() => compilePlan(unmatched, 'out')).toThrow(MaelstromError);
    expect(() => compilePlan(unmatched, 'out')).toThrow(expect.objectContaining({ code: 'E_UNKNOWN_REF' }) as Error);
    const needsMore = {
      ...smallTemplate,
      spec: { ...smallTemplate.spec, params: { service: { type: 'service' }, reason: { type: 'string' } } },
    };
    const missing = definitionsOf({
      fleet,
      templates: [needsMore],
      runbooks: [smallRunbook('drain')],
      plans: [smallPlan('drain')],
    });
    expect(() => compilePlan(missing, 'out')).toThrow(
      expect.objectContaining({ code: 'E_PARAM', message: expect.stringContaining('"reason"') as string }) as Error,
    );
  });

  it('resolves any ${{ }} of a task against the runbook parameters with CEL', () => {
    const labelled = {
      ...smallTemplate,
      spec: {
        ...smallTemplate.spec,
        params: { service: { type: 'service' }, label: { type: 'string' }, slow: { type: 'boolean' } },
      },
    };
    const runbook = smallRunbook('drain');
    runbook.spec.tasks = [
      {
        name: 'go',
        template: 'step',
        with: {
          service: '${{ params.service }}',
          label: 'svc-${{ params.service + "-" + params.datacenter }}',
          slow: '${{ params.datacenter == "a" }}',
        } as never,
      },
    ];
    const defs = definitionsOf({
      fleet: smallFleet([service('a')]),
      templates: [labelled],
      runbooks: [runbook],
      plans: [smallPlan('drain')],
    });
    expect(compilePlan(defs, 'out').tasks[0]!.params).toEqual({ service: 'a', label: 'svc-a-a', slow: true });
  });

  it('reports tasks of a runbook that wait for each other with E_CYCLE and the path', () => {
    const runbook = smallRunbook('drain');
    runbook.spec.tasks = [
      { name: 'one', template: 'step', with: { service: '${{ params.service }}' }, after: ['two'] } as never,
      { name: 'two', template: 'step', with: { service: '${{ params.service }}' }, after: ['one'] } as never,
    ];
    const defs = definitionsOf({
      fleet: smallFleet([service('a')]),
      templates: [smallTemplate],
      runbooks: [runbook],
      plans: [smallPlan('drain')],
    });
    expect(() => compilePlan(defs, 'out')).toThrow(
      expect.objectContaining({
        code: 'E_CYCLE',
        message: expect.stringMatching(/a\/(one|two) → a\/(one|two) → a\/(one|two)/) as string,
      }) as Error,
    );
  });

  it("uses a template's expectedDuration, else the stage defaults with the plan's pacing", () => {
    const timed = {
      ...smallTemplate,
      metadata: { name: 'timed' },
      spec: { ...smallTemplate.spec, expectedDuration: '7m' },
    };
    const shift = {
      ...meta('shift'),
      kind: 'TaskTemplate',
      spec: {
        params: { service: { type: 'service' } },
        stages: [{ uses: 'traffic.shift', with: { layer: 'cluster' } }, { uses: 'approval' }],
      },
    };
    const runbook = smallRunbook('drain');
    runbook.spec.tasks = [
      { name: 'timed', template: 'timed', with: { service: '${{ params.service }}' } },
      { name: 'shift', template: 'shift', with: { service: '${{ params.service }}' } },
    ];
    const plan = smallPlan('drain', { pacing: { mode: 'fixed', step: 0.25, interval: '2m' } });
    const defs = definitionsOf({
      fleet: smallFleet([service('a')]),
      templates: [smallTemplate, timed, shift],
      runbooks: [runbook],
      plans: [plan],
    });
    const byId = new Map(compilePlan(defs, 'out').tasks.map((t) => [t.id, t] as const));
    expect(byId.get('a/timed')!.expectedMs).toBe(7 * 60_000);
    // Fixed pacing: 4 steps of 2 minutes, then the 5-minute approval default.
    expect(byId.get('a/shift')!.expectedMs).toBe(4 * 120_000 + 300_000);
  });

  it('refuses a runbook of the wrong direction', () => {
    const defs = definitionsOf({
      fleet: smallFleet([service('a')]),
      templates: [smallTemplate],
      runbooks: [smallRunbook('restore')],
      plans: [
        {
          ...smallPlan('drain'),
          spec: { ...smallPlan('drain').spec, runbooks: [{ match: {}, runbook: 'restore-all' }] },
        },
      ],
    });
    expect(() => compilePlan(defs, 'out')).toThrow(expect.objectContaining({ code: 'E_DIRECTION' }) as Error);
  });

  it('fails the pre-flight check, with a reason, when the others cannot absorb the load', () => {
    const defs = definitionsOf({
      fleet: smallFleet([service('web', [], { userFacing: true, demand: 150 })]),
      templates: [smallTemplate],
      runbooks: [smallRunbook('drain')],
      plans: [smallPlan('drain')],
    });
    const { preflight } = compilePlan(defs, 'out');
    expect(preflight.ok).toBe(false);
    // 75 req/s in a; b has 85 − 75 = 10 of headroom at 85 %.
    expect(preflight.services[0]).toMatchObject({ service: 'web', load: 75, headroom: 10, ok: false });
    expect(preflight.services[0]!.reason).toContain('headroom');
  });
});
