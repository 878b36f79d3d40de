/**
 * A generated datacenter evacuation of the shape the paper analyses (one evacuation runbook of 79 tasks with 109
 * dependencies): 68 services over three datacenters, 12 of them user-facing, each drawing up to three dependencies
 * among the next 60 (generate-fleet.ts's default shape), with the reference templates and runbooks. The plan
 * `evacuate-dc0` compiles to 79 tasks and 109 edges in twelve waves; its sticky services are torn down after a
 * two-minute grace, as the paper's drains tear sessions down (the reference emergency plan's settings). The seed
 * (61) is one of those whose plan has that shape. The scenario `evacuate-dc0` drains dc0 at the evening peak.
 *
 * `concurrency` sets the plan's limit on tasks running at once: 16 runs it as a DAG, 1 one task after another.
 */
import { generateFleetDocuments, type FleetShape } from './generate-fleet.js';

export const EVACUATION_SHAPE: FleetShape = {
  services: 68,
  datacenters: 3,
  userFacing: 12,
  maxDependencies: 3,
  seed: 61,
  name: 'evacuation',
};

type Doc = Record<string, unknown> & { kind?: string; metadata?: { name?: string }; spec?: Record<string, unknown> };

/** Every document of the evacuation: fleet, templates, runbooks, plans and the scenario `evacuate-dc0`. */
export function generateEvacuationDocuments({ concurrency = 16 }: { concurrency?: number } = {}): Doc[] {
  const docs: Doc[] = generateFleetDocuments(EVACUATION_SHAPE).map((d: Doc) => {
    if (d.kind !== 'Plan' || d.metadata?.name !== 'evacuate-dc0') return d;
    const runbooks = (d.spec!.runbooks as { runbook: string }[]).map((r) =>
      r.runbook === 'drain-sticky' ? { ...r, with: { grace: '2m', teardownRate: 1000 } } : r,
    );
    return { ...d, spec: { ...d.spec, concurrency, runbooks } };
  });
  docs.push({
    apiVersion: 'maelstrom/v1',
    kind: 'Scenario',
    metadata: { name: 'evacuate-dc0' },
    spec: {
      fleet: EVACUATION_SHAPE.name,
      seed: 7,
      start: '2026-03-02T19:30:00Z',
      duration: '24h',
      load: { curve: 'diurnal', peak: '20:00', trough: 0.45, noise: 0.02 },
      propagation: { edge: '30s', cluster: '10s' },
      run: [{ at: '5m', plan: 'evacuate-dc0' }],
    },
  });
  return docs;
}
