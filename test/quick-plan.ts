/**
 * The reference definitions plus evacuate-east restricted to thirteen services, every kind of runbook among them
 * (sixteen tasks, three of two stages): 1,850 s of simulated time. The crash tests drive it through real processes.
 */
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const PLAN = 'evacuate-east-quick';

/** The thirteen services of the quick plan. */
export const QUICK_SERVICES = [
  'web',
  'api',
  'photos',
  'feed',
  'ranking',
  'profile',
  'auth',
  'cache',
  'blob',
  'config',
  'messenger',
  'search-index',
  'user-db',
] as const;

/** evacuate-east restricted to `services`, as plan `PLAN`. */
export const quickPlanYaml = (services: readonly string[]): string => `apiVersion: maelstrom/v1
kind: Plan
metadata: { name: ${PLAN} }
spec:
  fleet: example
  direction: drain
  datacenter: east
  services: [${services.join(', ')}]
  runbooks:
    - { match: { type: stateless, userFacing: true }, runbook: drain-user-facing }
    - { match: { type: stateless }, runbook: drain-internal }
    - { match: { type: sticky }, runbook: drain-sticky, with: { grace: 2m } }
    - { match: { type: replication }, runbook: drain-replication }
    - { match: { type: stateful }, runbook: drain-stateful }
  concurrency: 8
  pacing: { mode: closed-loop, targetUtilization: 0.85, settle: 60s }
  restorePlan: restore-east
`;

export const PLAN_YAML = quickPlanYaml(QUICK_SERVICES);

const ROOT = join(import.meta.dirname, '..');

/**
 * Writes the reference definitions (examples/) and the quick plan, as `file`, into `dir`/defs; answers that folder.
 */
export function quickDefinitions(dir: string, file: string, planYaml = PLAN_YAML): string {
  const defs = join(dir, 'defs');
  mkdirSync(defs);
  for (const f of readdirSync(join(ROOT, 'examples'))) copyFileSync(join(ROOT, 'examples', f), join(defs, f));
  writeFileSync(join(defs, file), planYaml);
  return defs;
}
