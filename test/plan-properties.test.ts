import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CompiledPlan } from '../src/model/compiled.js';
import { compilePlan } from '../src/plan/index.js';
import { definitionsOf, meta, smallFleet, smallTemplate } from './plan-fixtures.js';

interface Dep {
  readonly from: number;
  readonly to: number;
  readonly kind: 'rpc' | 'state' | 'bootstrap';
  readonly weak: boolean;
}

/** A random fleet: services with random dependencies (cycles allowed), some left out of the plan. */
const world = fc.integer({ min: 1, max: 14 }).chain((n) =>
  fc.record({
    n: fc.constant(n),
    deps: fc.array(
      fc.record({
        from: fc.nat(n - 1),
        to: fc.nat(n - 1),
        kind: fc.constantFrom('rpc' as const, 'state' as const, 'bootstrap' as const),
        weak: fc.boolean(),
      }),
      { maxLength: n * 2 },
    ),
    types: fc.array(fc.constantFrom('stateless', 'sticky', 'replication', 'stateful'), { minLength: n, maxLength: n }),
    userFacing: fc.array(fc.boolean(), { minLength: n, maxLength: n }),
    selected: fc.array(fc.boolean(), { minLength: n, maxLength: n }),
  }),
);

/** A runbook of three tasks: two in a chain and one on its own, so that both first and last tasks vary. */
const runbook = (direction: 'drain' | 'restore') => ({
  ...meta(`${direction}-all`),
  kind: 'Runbook',
  spec: {
    direction,
    params: { service: { type: 'service' } },
    tasks: [
      { name: 'one', template: 'step', with: { service: '${{ params.service }}' } },
      { name: 'two', template: 'step', with: { service: '${{ params.service }}' }, after: ['one'] },
      { name: 'side', template: 'step', with: { service: '${{ params.service }}' } },
    ],
  },
});

function compileWorld(
  w: { n: number; deps: Dep[]; types: string[]; userFacing: boolean[]; selected: boolean[] },
  direction: 'drain' | 'restore',
): CompiledPlan {
  const name = (i: number) => `s${i}`;
  const services = Array.from({ length: w.n }, (_, i) => ({
    name: name(i),
    type: w.types[i],
    userFacing: w.userFacing[i],
    capacity: { a: 100, b: 100 },
    dependsOn: w.deps.filter((d) => d.from === i).map((d) => ({ service: name(d.to), kind: d.kind, weak: d.weak })),
  }));
  const chosen = services.filter((_, i) => w.selected[i]).map((s) => s.name);
  const defs = definitionsOf({
    fleet: smallFleet(services),
    templates: [smallTemplate],
    runbooks: [runbook(direction)],
    plans: [
      {
        ...meta('p'),
        kind: 'Plan',
        spec: {
          fleet: 'small',
          direction,
          datacenter: 'a',
          services: chosen,
          runbooks: [{ match: {}, runbook: `${direction}-all` }],
        },
      },
    ],
  });
  return compilePlan(defs, 'p');
}

/** Reachability over the service-level "moves before" relation of a direction. */
function reach(n: number, deps: readonly Dep[], direction: 'drain' | 'restore'): boolean[][] {
  const r = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => i === j));
  for (const d of deps) {
    if (d.from === d.to) continue;
    if (direction === 'drain' && d.kind !== 'bootstrap') r[d.from]![d.to] = true;
    if (direction === 'restore') r[d.to]![d.from] = true;
  }
  for (let k = 0; k < n; k++)
    for (let i = 0; i < n; i++) if (r[i]![k]) for (let j = 0; j < n; j++) if (r[k]![j]) r[i]![j] = true;
  return r;
}

function ancestors(plan: CompiledPlan): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const t of plan.tasks) {
    const set = new Set<string>();
    for (const a of t.after) {
      expect(out.has(a), `${a} is listed before ${t.id}`).toBe(true);
      set.add(a);
      for (const x of out.get(a)!) set.add(x);
    }
    out.set(t.id, set);
  }
  return out;
}

describe('plan compiler on random fleets', () => {
  for (const direction of ['drain', 'restore'] as const) {
    it(`${direction}: orders services exactly by the dependencies, moving each cycle as one unit`, () => {
      fc.assert(
        fc.property(world, (w) => {
          const plan = compileWorld(w, direction);
          const anc = ancestors(plan);
          const r = reach(w.n, w.deps, direction);
          const index = (service: string) => Number(service.slice(1));
          expect(new Set(plan.tasks.map((t) => index(t.service)))).toEqual(
            new Set([...Array(w.n).keys()].filter((i) => w.selected[i])),
          );
          const wrong: string[] = [];
          for (const tb of plan.tasks) {
            for (const ta of plan.tasks) {
              const a = index(ta.service),
                b = index(tb.service);
              if (a === b) continue;
              const before = anc.get(tb.id)!.has(ta.id);
              const sameUnit = r[a]![b]! && r[b]![a]!;
              // A service reached from another (directly or through services left out) moves after all of it,
              // unless both are in one cycle, which moves together; and no order exists without a dependency.
              if (before !== (r[a]![b]! && !sameUnit))
                wrong.push(`${ta.id} ${before ? 'is' : 'is not'} before ${tb.id}`);
            }
          }
          expect(wrong).toEqual([]);
          const cycles = (plan.hccGroups ?? []).filter((g) => g.length > 1);
          for (const g of cycles) for (const x of g) for (const y of g) expect(r[index(x)]![index(y)]).toBe(true);
        }),
        { numRuns: 150 },
      );
    });
  }

  it('among tasks ready together, a lower priority class comes first in the task list', () => {
    fc.assert(
      fc.property(world, (w) => {
        const plan = compileWorld(w, 'drain');
        const sources = plan.tasks.filter((t) => t.after.length === 0).map((t) => t.priority);
        // Tasks that wait for nothing are all ready at the start: the list takes them by priority.
        const firstReady = plan.tasks
          .slice(0, sources.length)
          .filter((t) => t.after.length === 0)
          .map((t) => t.priority);
        expect(firstReady).toEqual([...firstReady].sort((x, y) => x - y));
      }),
      { numRuns: 100 },
    );
  });
});
