/** Small worlds for plan tests, built from plain objects in a few lines. */
import { Fleet, Plan, Runbook, TaskTemplate, type Definitions } from '../src/model/definitions.js';

/** Definitions from plain objects, for small worlds built inside a test. */
export function definitionsOf(docs: {
  fleet: unknown;
  templates?: unknown[];
  runbooks?: unknown[];
  plans?: unknown[];
}): Definitions {
  const fleet = Fleet.parse(docs.fleet);
  const templates = (docs.templates ?? []).map((t) => TaskTemplate.parse(t));
  const runbooks = (docs.runbooks ?? []).map((r) => Runbook.parse(r));
  const plans = (docs.plans ?? []).map((p) => Plan.parse(p));
  return {
    fleets: new Map([[fleet.metadata.name, fleet]]),
    templates: new Map(templates.map((t) => [t.metadata.name, t])),
    runbooks: new Map(runbooks.map((r) => [r.metadata.name, r])),
    plans: new Map(plans.map((p) => [p.metadata.name, p])),
    scenarios: new Map(),
    schedules: new Map(),
    triggers: new Map(),
    notifiers: new Map(),
    locate: () => undefined,
  };
}

export const meta = (name: string) => ({ apiVersion: 'maelstrom/v1', metadata: { name } });
export const smallTemplate = {
  ...meta('step'),
  kind: 'TaskTemplate',
  spec: { params: { service: { type: 'service' } }, stages: [{ uses: 'wait.for', with: { duration: '1m' } }] },
};
export const smallRunbook = (direction: 'drain' | 'restore') => ({
  ...meta(`${direction}-all`),
  kind: 'Runbook',
  spec: {
    direction,
    params: { service: { type: 'service' }, datacenter: { type: 'datacenter' } },
    tasks: [{ name: 'go', template: 'step', with: { service: '${{ params.service }}' } }],
  },
});
export const smallPlan = (direction: 'drain' | 'restore', extra: Record<string, unknown> = {}) => ({
  ...meta(direction === 'drain' ? 'out' : 'in'),
  kind: 'Plan',
  spec: {
    fleet: 'small',
    direction,
    datacenter: 'a',
    runbooks: [{ match: {}, runbook: `${direction}-all` }],
    ...extra,
  },
});
export const service = (name: string, dependsOn: unknown[] = [], extra: Record<string, unknown> = {}) => ({
  name,
  type: 'stateless',
  capacity: { a: 100, b: 100 },
  dependsOn,
  ...extra,
});
export const smallFleet = (services: unknown[]) => ({
  ...meta('small'),
  kind: 'Fleet',
  spec: {
    datacenters: [
      { name: 'a', clusters: ['a1'] },
      { name: 'b', clusters: ['b1'] },
    ],
    pops: [{ name: 'p', share: 1, weights: { a: 50, b: 50 } }],
    services,
  },
});
