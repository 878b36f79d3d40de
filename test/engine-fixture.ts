/**
 * A small world for engine tests: a two-datacenter fleet with two services (front calls back, weakly), an
 * in-process simulator on a virtual clock, an in-memory SQLite store, a controller built by the composition root,
 * and a controllable stand-in for one stage (config.set) that records every run of itself.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSimBackend, type SimBackend } from '../src/backends/sim/backend.js';
import { act } from '../src/stages/stage.js';
import { stages } from '../src/stages/index.js';
import type { StageFn, StageLibrary } from '../src/stages/stage.js';
import { loadOrFail } from '../src/load/check.js';
import type { Definitions } from '../src/model/definitions.js';
import { VirtualClock } from '../src/model/virtual-clock.js';
import { createSqliteStore, type SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { createController, type EngineController, type ControllerOptions } from '../src/compose/controller.js';
import type { Actor } from '../src/engine/controller.js';
import type { EngineEvent } from '../src/model/events.js';
import { MaelstromError } from '../src/model/errors.js';
import type { Backend } from '../src/backends/backend.js';
import type { FleetSnapshot } from '../src/model/readings.js';

export const MINI = `
apiVersion: maelstrom/v1
kind: Fleet
metadata: { name: mini }
spec:
  datacenters:
    - { name: east, clusters: [east-a] }
    - { name: west, clusters: [west-a] }
  pops:
    - { name: nyc, share: 1, weights: { east: 50, west: 50 } }
  services:
    - name: front
      type: stateless
      userFacing: true
      demand: 100
      capacity: { east: 1000, west: 1000 }
      dependsOn: [ { service: back, kind: rpc, fanout: 1, weak: true } ]
    - name: back
      type: stateless
      capacity: { east: 1000, west: 1000 }
---
apiVersion: maelstrom/v1
kind: TaskTemplate
metadata: { name: step }
spec:
  params:
    service: { type: service }
    datacenter: { type: datacenter }
  stages:
    - name: first
      uses: config.set
      with: { key: '\${{ params.service }}-first', value: done }
    - name: second
      uses: config.set
      with: { key: '\${{ params.service }}-second', value: done }
  health:
    - name: errors-low
      expr: errorRate(params.service) < 0.5
  pre:
    - name: capacity-left
      expr: utilization(params.service, "west") < 0.99
---
apiVersion: maelstrom/v1
kind: TaskTemplate
metadata: { name: gate }
spec:
  params:
    service: { type: service }
    datacenter: { type: datacenter }
  stages:
    - uses: approval
      with: { prompt: go }
    - name: after
      uses: config.set
      with: { key: '\${{ params.service }}-after', value: done }
---
apiVersion: maelstrom/v1
kind: Runbook
metadata: { name: steps }
spec:
  direction: drain
  params: { service: { type: service }, datacenter: { type: datacenter } }
  tasks:
    - { name: step, template: step, with: { service: '\${{ params.service }}', datacenter: '\${{ params.datacenter }}' } }
---
apiVersion: maelstrom/v1
kind: Runbook
metadata: { name: gated }
spec:
  direction: drain
  params: { service: { type: service }, datacenter: { type: datacenter } }
  tasks:
    - { name: gate, template: gate, with: { service: '\${{ params.service }}', datacenter: '\${{ params.datacenter }}' } }
---
apiVersion: maelstrom/v1
kind: Runbook
metadata: { name: back-steps }
spec:
  direction: restore
  params: { service: { type: service }, datacenter: { type: datacenter } }
  tasks:
    - { name: step, template: step, with: { service: '\${{ params.service }}', datacenter: '\${{ params.datacenter }}' } }
---
apiVersion: maelstrom/v1
kind: Plan
metadata: { name: mini-drain }
spec: { fleet: mini, direction: drain, datacenter: east, runbooks: [ { match: {}, runbook: steps } ], concurrency: 4, restorePlan: mini-restore }
---
apiVersion: maelstrom/v1
kind: Plan
metadata: { name: mini-drain-again }
spec: { fleet: mini, direction: drain, datacenter: east, services: [back], runbooks: [ { match: {}, runbook: steps } ] }
---
apiVersion: maelstrom/v1
kind: Plan
metadata: { name: mini-gated }
spec: { fleet: mini, direction: drain, datacenter: west, services: [front], runbooks: [ { match: {}, runbook: gated } ] }
---
apiVersion: maelstrom/v1
kind: Plan
metadata: { name: mini-restore }
spec: { fleet: mini, direction: restore, datacenter: east, runbooks: [ { match: {}, runbook: back-steps } ] }
`;

export async function loadMini(extra = ''): Promise<Definitions> {
  const dir = mkdtempSync(join(tmpdir(), 'maelstrom-engine-'));
  writeFileSync(join(dir, 'mini.yaml'), MINI + extra);
  return loadOrFail([dir]);
}

export type Behaviour = 'succeed' | 'fail' | 'hang';

/** A config.set stand-in: records each call, then acts (through the gate) or fails or hangs as told. */
export interface FakeStage {
  readonly calls: { taskId: string; stage: number; attempt: number; time: number }[];
  readonly behaviour: Map<string, Behaviour>;
  /** How long (virtual ms) each call takes before acting. */
  durationMs: number;
  readonly fn: StageFn;
}

export function fakeStage(): FakeStage {
  const fake: FakeStage = {
    calls: [],
    behaviour: new Map(),
    durationMs: 1000,
    fn: async (ctx) => {
      fake.calls.push({ taskId: ctx.taskId, stage: ctx.stageIndex, attempt: ctx.attempt, time: ctx.clock.now() });
      const b = fake.behaviour.get(`${ctx.taskId}#${ctx.stageIndex}`) ?? fake.behaviour.get(ctx.taskId) ?? 'succeed';
      if (b === 'fail') return { outcome: 'failure', detail: 'told to fail' };
      if (b === 'hang') {
        await ctx.clock.sleep(100 * 3600_000, ctx.signal);
        return { outcome: 'success' };
      }
      await ctx.clock.sleep(fake.durationMs, ctx.signal);
      await act(ctx, { kind: 'config.set', key: String(ctx.with.key), value: ctx.with.value });
      return { outcome: 'success' };
    },
  };
  return fake;
}

export interface World {
  readonly defs: Definitions;
  readonly clock: VirtualClock;
  readonly backend: SimBackend;
  readonly store: SqliteStore;
  readonly fake: FakeStage;
  readonly controller: EngineController;
  readonly events: EngineEvent[];
  /** Runs virtual time until the predicate holds (or a day passes). */
  until(done: () => boolean, limitMs?: number): Promise<boolean>;
  /**
   * Closes the world's controller (the last one made) and builds another on the same store, which takes the lease
   * it gave up.
   */
  newController(over?: Partial<ControllerOptions>): Promise<EngineController>;
}

export const operator: Actor = { name: 'ana', role: 'operator' };

/** The code of the MaelstromError `p` rejects with (or says it rejected with something else, or did not reject). */
export async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return e instanceof MaelstromError ? e.code : `not a MaelstromError: ${String(e)}`;
  }
  return 'no error';
}

/** `real`, except that its fleet reads as `read` turns the real reading (missing metrics, a datacenter full…). */
export function readingAs(real: SimBackend, read: (real: FleetSnapshot) => FleetSnapshot): Backend {
  return {
    ...real,
    name: real.name,
    clock: real.clock,
    supports: real.supports,
    init: () => real.init(),
    close: () => real.close(),
    weights: (...a) => real.weights(...a),
    baselineWeights: (...a) => real.baselineWeights(...a),
    act: (...a) => real.act(...a),
    snapshot: async (o) => read(await real.snapshot(o)),
  };
}

export async function makeWorld(
  options: {
    defs?: Definitions;
    fleet?: string;
    library?: Partial<StageLibrary>;
    store?: SqliteStore;
    backend?: SimBackend;
    clock?: VirtualClock;
    controller?: Partial<ControllerOptions>;
  } = {},
): Promise<World> {
  const defs = options.defs ?? (await loadMini());
  const fleet = defs.fleets.get(options.fleet ?? 'mini')!;
  const clock = options.clock ?? new VirtualClock(Date.parse('2026-03-02T12:00:00Z'));
  const backend = options.backend ?? createSimBackend({ fleet, clock });
  await backend.init();
  const store = options.store ?? createSqliteStore({ path: ':memory:' });
  if (!options.store) await store.init();
  const fake = fakeStage();
  const library: StageLibrary = { ...stages, 'config.set': fake.fn, ...options.library };
  let n = 0;
  let current: EngineController | undefined;
  const newController = async (over: Partial<ControllerOptions> = {}): Promise<EngineController> => {
    await current?.close();
    current = await createController({
      definitions: defs,
      backend,
      store,
      clock,
      stages: library,
      idGenerator: () => `run-${++n}`,
      engine: { pollMs: 1000, healthPollMs: 1000, preBlockAfterMs: 30_000, postTimeoutMs: 60_000 },
      // Tests apply requests by calling pollRequests(), at a moment of their choosing.
      requestPollMs: false,
      ...options.controller,
      ...over,
    });
    return current;
  };
  const controller = await newController();
  const events: EngineEvent[] = [];
  controller.subscribe((e) => {
    events.push(e);
  });
  return {
    defs,
    clock,
    backend,
    store,
    fake,
    controller,
    events,
    newController,
    until: (done, limitMs = 24 * 3600_000) => clock.runUntil(done, clock.now() + limitMs),
  };
}
