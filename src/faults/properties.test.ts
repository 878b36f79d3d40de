import { describe, expect, it } from 'vitest';
import type { CompiledPlan, PlannedTask } from '../model/compiled.js';
import type { Fleet, Scenario } from '../model/definitions.js';
import type { EngineEvent } from '../model/events.js';
import { checkProperties, violationsOf } from './properties.js';
import type { ExecutionRecord } from './record.js';

const T0 = Date.parse('2026-03-02T19:30:00Z');
const task = (id: string, after: string[] = [], weakAfter: string[] = []): PlannedTask =>
  ({
    id,
    service: id.split('/')[0]!,
    after,
    weakAfter,
    health: [],
    pre: [],
    post: [],
    stages: [],
    params: {},
  }) as unknown as PlannedTask;
const compiled = (tasks: PlannedTask[]): CompiledPlan =>
  ({
    plan: 'drain',
    direction: 'drain',
    datacenter: 'east',
    tasks,
    pacing: { targetUtilization: 0.85 },
  }) as unknown as CompiledPlan;
const scenario = (extra: Partial<Scenario['spec']> = {}): Scenario =>
  ({
    metadata: { name: 's' },
    spec: { run: [{ plan: 'drain', at: '0s', ...('deadline' in extra ? {} : {}) }], ...extra },
  }) as unknown as Scenario;

function record(over: Partial<ExecutionRecord> = {}): ExecutionRecord {
  const tasks = [task('web/edge'), task('web/clusters', ['web/edge'])];
  const events: EngineEvent[] = [
    { type: 'task.state', time: T0 + 1000, runId: 'r1', taskId: 'web/edge', state: 'running' },
    { type: 'task.state', time: T0 + 60_000, runId: 'r1', taskId: 'web/edge', state: 'succeeded' },
    { type: 'task.state', time: T0 + 61_000, runId: 'r1', taskId: 'web/clusters', state: 'running' },
    { type: 'task.state', time: T0 + 120_000, runId: 'r1', taskId: 'web/clusters', state: 'succeeded' },
  ];
  return {
    scenario: scenario(),
    fleet: { spec: { datacenters: [], services: [] } } as unknown as Fleet,
    startMs: T0,
    endMs: T0 + 200_000,
    runs: [
      {
        plan: 'drain',
        runId: 'r1',
        view: { state: 'succeeded', createdAt: T0, startedAt: T0, finishedAt: T0 + 120_000, tasks: [] },
        compiled: compiled(tasks),
      },
    ],
    events,
    counters: { failedRequests: 10, servedRequests: 1_000_000, overloadSeconds: { web: { west: 0 } } },
    journal: [],
    drainedShares: { r1: { east: 0.001, west: 0.999 } },
    ...over,
  };
}

describe('properties of a good outcome', () => {
  it('a drain that succeeded in time, drained, overloaded nothing and kept order breaks nothing', () => {
    expect(violationsOf(checkProperties(record()))).toEqual([]);
  });

  it('a plan past its deadline, a datacenter left with load, and overload are each named', () => {
    const r = record({
      scenario: scenario({ run: [{ plan: 'drain', at: '0s', deadline: '1m' }] }),
      drainedShares: { r1: { east: 0.2 } },
      counters: { failedRequests: 10, servedRequests: 1_000_000, overloadSeconds: { web: { west: 12 } } },
    });
    const results = checkProperties(r);
    expect(violationsOf(results)).toEqual(['plans-succeeded', 'datacenter-drained', 'no-overload']);
    expect(results.find((p) => p.name === 'datacenter-drained')?.detail).toContain('east kept 20.0 %');
  });

  it('failed requests over the scenario budget (or 0.1 % of all requests) break the budget', () => {
    const counters = { failedRequests: 2000, servedRequests: 1_000_000, overloadSeconds: {} };
    expect(violationsOf(checkProperties(record({ counters })))).toEqual(['failed-requests']);
    const within = record({ counters, scenario: scenario({ expect: { failedRequests: 5000 } }) });
    expect(violationsOf(checkProperties(within))).toEqual([]);
  });

  it('a task that acts before its strong dependency is done breaks the dependency order; a weak one does not', () => {
    const early = record({
      journal: [
        {
          time: T0 + 30_000,
          kind: 'weights.set',
          target: 'cluster/web/east',
          changed: true,
          origin: { runId: 'r1', taskId: 'web/clusters', stage: 0 },
        },
      ],
    });
    expect(violationsOf(checkProperties(early))).toEqual(['dependency-order']);
    const weak = record({
      ...early,
      runs: [
        {
          ...record().runs[0]!,
          compiled: compiled([task('web/edge'), task('web/clusters', ['web/edge'], ['web/edge'])]),
        },
      ],
    });
    expect(violationsOf(checkProperties(weak))).toEqual([]);
  });

  it('a missing reading a running task rests on must be announced within one poll', () => {
    const r = record({
      scenario: scenario({ faults: [{ at: '10s', kind: 'metrics-missing', service: 'web', duration: '1m' }] } as never),
      runs: [
        {
          ...record().runs[0]!,
          view: {
            ...record().runs[0]!.view!,
            tasks: [{ id: 'web/edge', state: 'succeeded', startedAt: T0 + 1000, finishedAt: T0 + 60_000 }],
          },
        },
      ],
    });
    const reads = new Map([['drain:web/edge', ['web/west']]]);
    expect(violationsOf(checkProperties(r, reads))).toEqual(['holds-announced']);
    const announced = record({
      ...r,
      events: [
        ...r.events,
        { type: 'health', time: T0 + 15_000, runId: 'r1', taskId: 'web/edge', check: 'c', ok: null },
      ],
    });
    expect(violationsOf(checkProperties(announced, reads))).toEqual([]);
  });
});
