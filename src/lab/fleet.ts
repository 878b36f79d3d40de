/**
 * The lab's definitions, generated in code: one user-facing stateless service behind one PoP, spread evenly over N
 * datacenters sized so that any N-1 of them carry the load at about 70 % utilisation; a drain and a restore plan for
 * the first datacenter, paced fast (the lab's propagation is HAProxy's: immediate). Every document is validated by
 * the same zod schemas as a file would be.
 */
import { Fleet, Plan, Runbook, TaskTemplate, type Definitions } from '../model/definitions.js';

export const LAB_SERVICE = 'web';
export const LAB_POP = 'lab';

export interface LabFleetOptions {
  readonly datacenters: number;
  readonly rps: number;
  /** Seconds observed after each step. */
  readonly settle?: string;
}

export const labDatacenters = (n: number): string[] => Array.from({ length: n }, (_, i) => `dc${i + 1}`);

/** Capacity per datacenter: the load of one datacenter's share spread over the others lands at 70 %. */
export function labCapacity(n: number, rps: number): number {
  return Math.ceil(rps / Math.max(1, n - 1) / 0.7);
}

export function labDefinitions(options: LabFleetOptions): Definitions {
  const dcs = labDatacenters(options.datacenters);
  const capacity = labCapacity(options.datacenters, options.rps);
  const meta = (name: string, description?: string) => ({
    apiVersion: 'maelstrom/v1' as const,
    metadata: { name, ...(description ? { description } : {}) },
  });
  const fleet = Fleet.parse({
    ...meta('lab', 'The local lab: HAProxy in front of a service in each datacenter'),
    kind: 'Fleet',
    spec: {
      datacenters: dcs.map((name) => ({ name, clusters: [`${name}-a`] })),
      pops: [{ name: LAB_POP, share: 1, weights: Object.fromEntries(dcs.map((d) => [d, 100])) }],
      services: [
        {
          name: LAB_SERVICE,
          type: 'stateless',
          userFacing: true,
          demand: options.rps,
          capacity: Object.fromEntries(dcs.map((d) => [d, capacity])),
        },
      ],
    },
  });
  // The reference shift-traffic template, with the lab's immediate propagation and a latency check.
  const template = TaskTemplate.parse({
    ...meta(
      'lab-shift',
      'Move the service off a datacenter at the edge (drain) or back to its baseline (restore), paced.',
    ),
    kind: 'TaskTemplate',
    spec: {
      params: {
        service: { type: 'service' },
        datacenter: { type: 'datacenter' },
        direction: { type: 'string', enum: ['drain', 'restore'], default: 'drain' },
      },
      stages: [
        {
          uses: 'traffic.shift',
          with: {
            layer: 'edge',
            service: '${{ params.service }}',
            datacenter: '${{ params.datacenter }}',
            propagation: '1s',
            target: '${{ params.direction == "drain" ? "zero" : "baseline" }}',
          },
        },
      ],
      health: [
        {
          name: 'receivers-below-target',
          expr: 'others(params.datacenter).all(dc, utilization(params.service, dc) < 0.90)',
        },
        { name: 'errors-low', expr: 'errorRate(params.service) < 0.001' },
        { name: 'receivers-fast', expr: 'others(params.datacenter).all(dc, latencyP99(params.service, dc) < 0.25)' },
      ],
      pre: [
        {
          expr:
            'params.direction == "restore" || ' +
            'headroom(params.service, others(params.datacenter)) >= load(params.service, params.datacenter)',
          message: "the other datacenters cannot absorb this service's load",
        },
      ],
      post: [{ expr: 'params.direction == "restore" || share(params.service, params.datacenter, "edge") == 0.0' }],
      expectedDuration: '30s',
    },
  });
  const runbook = (direction: 'drain' | 'restore') =>
    Runbook.parse({
      ...meta(`lab-${direction}`),
      kind: 'Runbook',
      spec: {
        direction,
        params: { service: { type: 'service' }, datacenter: { type: 'datacenter' } },
        tasks: [
          {
            name: 'edge',
            template: 'lab-shift',
            with: { service: '${{ params.service }}', datacenter: '${{ params.datacenter }}', direction },
          },
        ],
      },
    });
  const plan = (direction: 'drain' | 'restore') =>
    Plan.parse({
      ...meta(`lab-${direction}-${dcs[0]}`),
      kind: 'Plan',
      spec: {
        fleet: 'lab',
        direction,
        datacenter: dcs[0],
        services: 'all',
        runbooks: [{ match: { type: 'stateless' }, runbook: `lab-${direction}` }],
        pacing: { mode: 'closed-loop', targetUtilization: 0.85, settle: options.settle ?? '1s', firstStep: 0.1 },
      },
    });
  const runbooks = [runbook('drain'), runbook('restore')];
  const plans = [plan('drain'), plan('restore')];
  return {
    fleets: new Map([[fleet.metadata.name, fleet]]),
    templates: new Map([[template.metadata.name, template]]),
    runbooks: new Map(runbooks.map((r) => [r.metadata.name, r])),
    plans: new Map(plans.map((p) => [p.metadata.name, p])),
    scenarios: new Map(),
    schedules: new Map(),
    triggers: new Map(),
    notifiers: new Map(),
    locate: () => undefined,
  };
}
