import { describe, expect, it } from 'vitest';
import type { CompiledPlan, PlannedTask } from '../model/compiled.js';
import { withReversedServiceOrder, withoutServiceOrder } from './runner.js';

const task = (id: string, after: string[] = [], weakAfter: string[] = []): PlannedTask =>
  ({ id, service: id.split('/')[0]!, after, weakAfter }) as unknown as PlannedTask;

/** A restore's order: the callee `cache` before its caller `web`, each service with two tasks in order. */
const restore = {
  tasks: [
    task('cache/clusters'),
    task('cache/edge', ['cache/clusters']),
    task('web/clusters', ['cache/edge'], ['cache/edge']),
    task('web/edge', ['web/clusters']),
  ],
} as unknown as CompiledPlan;

const afterOf = (plan: CompiledPlan): Record<string, readonly string[]> =>
  Object.fromEntries(plan.tasks.map((t) => [t.id, t.after]));

describe('what-ifs of the order between services', () => {
  it("turns the order round: the caller's last task before the callee's first, each service's own order kept", () => {
    const reversed = withReversedServiceOrder(restore);
    expect(afterOf(reversed)).toEqual({
      'cache/clusters': ['web/edge'],
      'cache/edge': ['cache/clusters'],
      'web/clusters': [],
      'web/edge': ['web/clusters'],
    });
    // A weak edge stays weak the other way round.
    expect(reversed.tasks.find((t) => t.id === 'cache/clusters')!.weakAfter).toEqual(['web/edge']);
  });

  it('drops the order between services and keeps each one’s own', () => {
    expect(afterOf(withoutServiceOrder(restore))).toEqual({
      'cache/clusters': [],
      'cache/edge': ['cache/clusters'],
      'web/clusters': [],
      'web/edge': ['web/clusters'],
    });
  });
});
