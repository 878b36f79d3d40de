/**
 * Definitions the fidelity cases run on: the reference definitions (examples/) as they are, and the same with a
 * fleet whose backbone is sized and whose state is large enough to matter, plus one plan per traffic type and the
 * plans and scenarios of the replication restore.
 *
 * The sized fleet ("example", so that every reference plan and scenario runs on it unchanged):
 * - each datacenter declares its backbone, sized so that the routine drain test at the evening peak keeps every
 *   link within its planned 75 % (east 30,000, west and central 34,000 request units per second: the reference
 *   drain asks at most about 19,000 of east's and 23,000 of the others', the social graph's stream included);
 * - `social-graph`, a large replicated store (source west), streams 1,500 units per second into each replica:
 *   a replica of it stopped for an hour has 5.4 million units to catch up on;
 * - `message-store` is sharded, 1,200 shards of 50,000 units (a third in each datacenter), moved by shards.migrate.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { loadOrFail } from '../../src/load/check.js';
import type { DefinitionSource } from '../../src/load/load.js';
import type { Definitions } from '../../src/model/definitions.js';

type Doc = Record<string, unknown> & { kind: string; metadata: { name: string }; spec: Record<string, unknown> };

const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));
const FILES = ['fleet.yaml', 'templates.yaml', 'runbooks.yaml', 'plans.yaml', 'scenarios.yaml'];

/** Backbone into each datacenter of the sized fleet, request units per second. */
export const SIZED_BACKBONE = { east: 30_000, west: 34_000, central: 34_000 } as const;
/** Shards of the sized fleet's message store. */
export const MESSAGE_STORE_SHARDS = 1200;

/** The reference documents, parsed afresh (callers may change their copy). */
export function referenceDocuments(): Doc[] {
  return FILES.flatMap((f) => parseAllDocuments(readFileSync(`${EXAMPLES}${f}`, 'utf8')).map((d) => d.toJS() as Doc));
}

let reference: Promise<Definitions> | undefined;
let sized: Promise<Definitions> | undefined;

/** The reference definitions (examples/), loaded once. */
export function referenceDefinitions(): Promise<Definitions> {
  reference ??= loadOrFail([EXAMPLES]);
  return reference;
}

/** The sized definitions (see the module's comment), loaded once. */
export function sizedDefinitions(): Promise<Definitions> {
  sized ??= loadOrFail([...sizedFleetDocuments(), ...fidelityDocuments()] as unknown as DefinitionSource[]);
  return sized;
}

function sizedFleetDocuments(): Doc[] {
  return referenceDocuments().map((doc) => {
    if (doc.kind !== 'Fleet') return doc;
    const spec = doc.spec as { datacenters: { name: keyof typeof SIZED_BACKBONE }[]; services: Doc[] };
    for (const dc of spec.datacenters) (dc as Record<string, unknown>).backbone = SIZED_BACKBONE[dc.name];
    const store = spec.services.find((s) => s.name === 'message-store') as Record<string, unknown>;
    (store.stateful as Record<string, unknown>).shards = MESSAGE_STORE_SHARDS;
    spec.services.push({
      name: 'social-graph',
      type: 'replication',
      description: 'A large replicated store: its stream into each replica is 1,500 request units per second.',
      capacity: { east: 15_000, west: 15_000, central: 15_000 },
      replication: { source: 'west', applyDelay: '2m' },
    } as unknown as Doc);
    return doc;
  });
}

const doc = (kind: string, name: string, spec: Record<string, unknown>): Doc => ({
  apiVersion: 'maelstrom/v1',
  kind,
  metadata: { name },
  spec,
});

/** A plan for east that moves only `services`, with the reference pacing. */
const planFor = (
  name: string,
  direction: 'drain' | 'restore',
  services: readonly string[],
  runbooks: readonly Record<string, unknown>[],
): Doc =>
  doc('Plan', name, {
    fleet: 'example',
    direction,
    datacenter: 'east',
    services,
    runbooks,
    concurrency: 8,
    pacing: { mode: 'closed-loop', targetUtilization: 0.85, settle: '60s' },
  });

/** A scenario at the evening peak of the reference drain test that runs `run`. */
const scenarioFor = (name: string, run: readonly Record<string, unknown>[], duration = '6h'): Doc =>
  doc('Scenario', name, {
    fleet: 'example',
    seed: 7,
    start: '2026-03-02T19:30:00Z',
    duration,
    load: { curve: 'diurnal', peak: '20:00', trough: 0.45, noise: 0.02 },
    propagation: { edge: '30s', cluster: '10s' },
    run,
  });

/** The templates, runbooks, plans and scenarios the cases add to the sized fleet. */
function fidelityDocuments(): Doc[] {
  return [
    doc('TaskTemplate', 'migrate-shards', {
      params: { service: { type: 'service' }, datacenter: { type: 'datacenter' } },
      stages: [
        { uses: 'shards.migrate', with: { service: '${{ params.service }}', from: '${{ params.datacenter }}' } },
      ],
    }),
    doc('TaskTemplate', 'replica', {
      params: {
        service: { type: 'service' },
        datacenter: { type: 'datacenter' },
        enabled: { type: 'boolean' },
        catchUp: { type: 'string', enum: ['network', 'unpaced'], default: 'network' },
      },
      stages: [
        {
          uses: 'replication.replica',
          with: {
            service: '${{ params.service }}',
            datacenter: '${{ params.datacenter }}',
            enabled: '${{ params.enabled }}',
            catchUp: '${{ params.catchUp }}',
          },
        },
      ],
    }),
    doc('Runbook', 'drain-sharded', {
      direction: 'drain',
      params: { service: { type: 'service' }, datacenter: { type: 'datacenter' } },
      tasks: [
        {
          name: 'promote',
          template: 'promote-primary',
          with: { service: '${{ params.service }}', datacenter: '${{ params.datacenter }}' },
        },
        {
          name: 'shards',
          template: 'migrate-shards',
          with: { service: '${{ params.service }}', datacenter: '${{ params.datacenter }}' },
          after: ['promote'],
        },
      ],
    }),
    doc('Runbook', 'stop-replica', {
      direction: 'drain',
      params: { service: { type: 'service' }, datacenter: { type: 'datacenter' } },
      tasks: [
        {
          name: 'replica',
          template: 'replica',
          with: { service: '${{ params.service }}', datacenter: '${{ params.datacenter }}', enabled: false },
        },
      ],
    }),
    doc('Runbook', 'start-replica', {
      direction: 'restore',
      params: {
        service: { type: 'service' },
        datacenter: { type: 'datacenter' },
        catchUp: { type: 'string', default: 'network' },
      },
      tasks: [
        {
          name: 'replica',
          template: 'replica',
          with: {
            service: '${{ params.service }}',
            datacenter: '${{ params.datacenter }}',
            enabled: true,
            catchUp: '${{ params.catchUp }}',
          },
        },
      ],
    }),
    // Table 3: one plan per traffic type.
    planFor('type-replication', 'drain', ['search-index'], [{ match: {}, runbook: 'drain-replication' }]),
    planFor('type-stateless', 'drain', ['web'], [{ match: {}, runbook: 'drain-user-facing' }]),
    planFor('type-stateful', 'drain', ['message-store'], [{ match: {}, runbook: 'drain-sharded' }]),
    planFor(
      'type-sticky',
      'drain',
      ['messenger'],
      [{ match: {}, runbook: 'drain-sticky', with: { grace: '0s', teardownRate: 0 } }],
    ),
    planFor(
      'type-sticky-teardown',
      'drain',
      ['messenger'],
      [{ match: {}, runbook: 'drain-sticky', with: { grace: '2m', teardownRate: 1000 } }],
    ),
    ...['replication', 'stateless', 'stateful', 'sticky', 'sticky-teardown'].map((t) =>
      scenarioFor(`type-${t}`, [{ at: '5m', plan: `type-${t}` }], '4h'),
    ),
    // Fig. 6: the routine drain test, given three hours so that a restore in the wrong order shows what it does.
    scenarioFor(
      'restore-order',
      [
        { at: '5m', plan: 'evacuate-east' },
        { after: 'evacuate-east', wait: '30m', plan: 'restore-east' },
      ],
      '3h',
    ),
    // §5.2: the social graph's replica in east stopped for an hour, then started again.
    planFor('stop-graph-replica', 'drain', ['social-graph'], [{ match: {}, runbook: 'stop-replica' }]),
    planFor(
      'restore-graph-unpaced',
      'restore',
      ['social-graph'],
      [{ match: {}, runbook: 'start-replica', with: { catchUp: 'unpaced' } }],
    ),
    planFor(
      'restore-graph-paced',
      'restore',
      ['social-graph'],
      [{ match: {}, runbook: 'start-replica', with: { catchUp: 'network' } }],
    ),
    ...['unpaced', 'paced'].map((pace) =>
      scenarioFor(`graph-restore-${pace}`, [
        { at: '5m', plan: 'stop-graph-replica' },
        { after: 'stop-graph-replica', wait: '1h', plan: `restore-graph-${pace}` },
      ]),
    ),
  ];
}
