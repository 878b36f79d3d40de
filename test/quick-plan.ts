/**
 * The reference definitions plus evacuate-east restricted to thirteen services, every kind of runbook among them
 * (sixteen tasks, three of two stages): 1,850 s of simulated time. The crash tests drive it through real processes.
 */
export const PLAN = 'evacuate-east-quick';
export const PLAN_YAML = `apiVersion: maelstrom/v1
kind: Plan
metadata: { name: ${PLAN} }
spec:
  fleet: example
  direction: drain
  datacenter: east
  services: [web, api, photos, feed, ranking, profile, auth, cache, blob, config, messenger, search-index, user-db]
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
