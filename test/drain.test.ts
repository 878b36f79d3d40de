/**
 * The drain-test targets on the small fleet (test/fixtures/small), so that a regression in the pacing, the
 * simulator or the report shows here in seconds. The same checks on the reference scenarios are in
 * bench/drain.bench.ts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { runDrill } from '../src/drill/runner.js';
import { runDrainTest } from '../src/drill/drain-test.js';
import { loadOrFail } from '../src/load/check.js';
import type { Definitions, PacingMode } from '../src/model/definitions.js';
import { renderHtml } from '../src/report/html.js';
import { buildReport, type Report } from '../src/report/report.js';

const FIXTURE = 'test/fixtures/small';
let definitions: Definitions;
const drain: Partial<Record<PacingMode, Report>> = {};
let unordered: Report;
let fibreCut: Report;
let degraded: Report;

const run = async (scenario: string, pacing: PacingMode, extra: { unordered?: boolean } = {}): Promise<Report> =>
  buildReport(await runDrill({ definitions, scenario, pacing, ...extra }));
const drainPlan = (r: Report) => r.plans.find((p) => p.name === 'evacuate-east')!;

beforeAll(async () => {
  definitions = await loadOrFail([FIXTURE]);
  for (const p of ['closed-loop', 'fixed', 'oracle'] as const) drain[p] = await run('small-drain', p);
  unordered = await run('small-drain', 'closed-loop', { unordered: true });
  fibreCut = await run('small-fibre-cut', 'closed-loop');
  // West loses 70 % of its capacity once the drain has moved traffic there: the closed loop overloads it.
  const withFault = await loadOrFail([
    FIXTURE,
    {
      apiVersion: 'maelstrom/v1',
      kind: 'Scenario',
      metadata: { name: 'small-west-degrades' },
      spec: {
        fleet: 'small',
        seed: 3,
        start: '2026-03-02T19:30:00Z',
        duration: '1h',
        load: { curve: 'diurnal', peak: '20:00', trough: 0.5, noise: 0 },
        faults: [{ at: '7m', kind: 'capacity', datacenter: 'west', capacityFraction: 0.3, duration: '10m' }],
        run: [{ at: '5m', plan: 'evacuate-east' }],
      },
    },
  ]);
  degraded = buildReport(
    await runDrill({ definitions: withFault, scenario: 'small-west-degrades', pacing: 'closed-loop' }),
  );
}, 120_000);

describe('drain test on the small fleet', () => {
  it('runs both plans of the schedule, the restore after the drain and its wait', () => {
    const r = drain['closed-loop']!;
    expect(r.outcome).toBe('succeeded');
    expect(r.plans.map((p) => [p.name, p.outcome])).toEqual([
      ['evacuate-east', 'succeeded'],
      ['restore-east', 'succeeded'],
    ]);
    const [d, restore] = r.plans;
    expect(d!.startedAt).toBe(300);
    expect(restore!.startedAt).toBe(d!.finishedAt! + 600);
    expect(drainPlan(r).userFacingDrainSeconds).toBeLessThanOrEqual(drainPlan(r).drainSeconds!);
  });

  it('closed loop: no overload and receivers at or below 95 %, on both scenarios', () => {
    for (const r of [drain['closed-loop']!, fibreCut]) {
      expect(r.overloadSeconds).toBe(0);
      expect(r.maxUtilization).toBeLessThanOrEqual(0.95);
    }
  });

  it("closed loop drains in at most a third of the fixed schedule's time", () => {
    expect(drainPlan(drain['closed-loop']!).drainSeconds!).toBeLessThanOrEqual(
      0.33 * drainPlan(drain.fixed!).drainSeconds!,
    );
  });

  // The closed loop sizes its steps from the receivers' measured headroom, so it stays within reach of the oracle,
  // which reads the true capacities.
  it("closed loop drains within 1.3 × the oracle's time", () => {
    expect(drainPlan(drain['closed-loop']!).drainSeconds!).toBeLessThanOrEqual(
      1.3 * drainPlan(drain.oracle!).drainSeconds!,
    );
  });

  it("fibre cut: user-facing traffic leaves east within 15 minutes of the plan's start", () => {
    const p = drainPlan(fibreCut);
    expect(p.outcome).toBe('succeeded');
    expect(p.userFacingDrainSeconds).not.toBeNull();
    expect(p.userFacingDrainSeconds!).toBeLessThanOrEqual(15 * 60);
  });

  it('the dependency order causes less cross-datacenter RPC than the same tasks run with no order', () => {
    expect(unordered.crossDatacenterRpcSeconds).toBeGreaterThan(0);
    expect(drain['closed-loop']!.crossDatacenterRpcSeconds).toBeLessThan(unordered.crossDatacenterRpcSeconds);
    expect(drain['closed-loop']!.crossDatacenterRpcExcess).toBeLessThan(unordered.crossDatacenterRpcExcess);
  });

  it('reports the critical path, slack and shift steps of each task', () => {
    const r = drain['closed-loop']!;
    expect(r.criticalPath[0]).toBe('web/edge');
    expect(r.criticalPath.at(-1)).toBe('cache/clusters');
    const web = r.tasks.find((t) => t.plan === 'evacuate-east' && t.id === 'web/edge')!;
    expect(web.slack).toBe(0);
    expect(web.steps.length).toBeGreaterThan(1);
    expect(web.steps.at(-1)!.remaining).toBe(0);
    expect(r.tasks.find((t) => t.plan === 'evacuate-east' && t.id === 'auth/clusters')!.slack).toBeGreaterThan(0);
    for (const t of r.tasks)
      expect(Object.keys(t)).toEqual(expect.arrayContaining(['id', 'state', 'startedAt', 'finishedAt', 'steps']));
  });

  it('keeps the documented top-level fields', () => {
    expect(Object.keys(drain.fixed!)).toEqual(
      expect.arrayContaining([
        'scenario',
        'pacing',
        'outcome',
        'plans',
        'overloadSeconds',
        'maxUtilization',
        'failedRequests',
        'crossDatacenterRpcSeconds',
        'criticalPath',
        'tasks',
      ]),
    );
    for (const p of drain.fixed!.plans)
      expect(Object.keys(p)).toEqual(
        expect.arrayContaining([
          'name',
          'outcome',
          'startedAt',
          'finishedAt',
          'drainSeconds',
          'userFacingDrainSeconds',
        ]),
      );
  });

  it('says where the overload was and for how long, summing to the overload-seconds', () => {
    const reports = [drain['closed-loop']!, drain.fixed!, drain.oracle!, unordered, fibreCut, degraded];
    expect(degraded.overloadByDatacenter.map((o) => o.datacenter)).toContain('west');
    for (const r of reports) {
      const summed = r.overloadByDatacenter.reduce((a, o) => a + o.serviceSeconds, 0);
      expect(summed).toBeCloseTo(r.overloadSeconds, 0);
      for (const o of r.overloadByDatacenter) {
        expect(o.seconds).toBeGreaterThanOrEqual(o.longest.seconds);
        expect(o.serviceSeconds).toBeGreaterThanOrEqual(o.longest.seconds);
        expect(o.services).toBeGreaterThan(0);
      }
      const html = renderHtml([r]);
      for (const o of r.overloadByDatacenter) expect(html).toContain(`${o.datacenter} overloaded for `);
      if (r.overloadSeconds === 0) expect(html).not.toContain('overloaded for');
    }
  });

  it('renders one self-contained page overlaying the pacers', () => {
    const html = renderHtml([drain['closed-loop']!, drain.fixed!, drain.oracle!]);
    expect(html).not.toMatch(/\b(src|href)=["']?(https?:)?\/\//);
    expect(html).not.toMatch(/<link|<script[^>]+src=/);
    expect(html).toContain('class="bar critical"');
    for (const p of ['closed-loop', 'fixed', 'oracle']) expect(html).toContain(`<title>${p}</title>`);
  });
});

describe('what-ifs', () => {
  it('are answered by re-running the scenario with the task sped up', async () => {
    const [r] = await runDrainTest({ definitions, scenario: 'small-drain', pacers: ['closed-loop'], whatIfs: 1 });
    const w = r!.whatIf[0]!;
    expect(w.task).toBe('web/edge');
    expect(w.drainSeconds).not.toBeNull();
    expect(w.drainSeconds).not.toBe(drainPlan(r!).drainSeconds);
    expect(w.savedSeconds).toBe(drainPlan(r!).drainSeconds! - w.drainSeconds!);
    expect(w.sentence).toMatch(/^if web\/edge took half as long, evacuate-east would end/);
  }, 60_000);
});
