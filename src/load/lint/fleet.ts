/** Fleet rules: names, placement, capacities, PoP shares and dependency cycles. */
import type { Fleet } from '../../model/definitions.js';
import { findCycles } from './cycles.js';
import { repeats, type Reporter } from './report.js';
import { suggest } from '../../model/suggest.js';

/**
 * PoP shares are fractions written by hand, and authors round: three PoPs of a third each are written 0.3333 and sum
 * to 0.9999. A sum within this of 1 is accepted; anything further off is a real mistake in the split.
 */
const SHARE_TOLERANCE = 0.001;

export function lintFleet(r: Reporter, fleet: Fleet): void {
  const name = fleet.metadata.name;
  const { datacenters, pops, services } = fleet.spec;
  const dcs = new Set(datacenters.map((d) => d.name));
  const names = new Set(services.map((s) => s.name));
  const err = (code: Parameters<Reporter['error']>[0], path: readonly (string | number)[], message: string): void =>
    r.error(code, 'Fleet', name, ['spec', ...path], message);

  for (const d of repeats(datacenters, (x) => x.name))
    err('E_DUPLICATE', ['datacenters', d.index, 'name'], `duplicate datacenter "${d.name}"`);
  for (const d of repeats(services, (x) => x.name))
    err('E_DUPLICATE', ['services', d.index, 'name'], `duplicate service "${d.name}"`);
  for (const d of repeats(pops, (x) => x.name))
    err('E_DUPLICATE', ['pops', d.index, 'name'], `duplicate pop "${d.name}"`);
  const clusters = datacenters.flatMap((d, i) =>
    d.clusters.map((c, j) => ({ c, path: ['datacenters', i, 'clusters', j] as const })),
  );
  for (const d of repeats(clusters, (x) => x.c))
    err('E_DUPLICATE', clusters[d.index]?.path ?? ['datacenters'], `duplicate cluster "${d.name}"`);

  const total = pops.reduce((sum, p) => sum + p.share, 0);
  if (Math.abs(total - 1) > SHARE_TOLERANCE)
    err(
      'E_POP_SHARES',
      ['pops'],
      `the shares of the pops sum to ${Number(total.toFixed(6))}, not 1 (to within ${SHARE_TOLERANCE})`,
    );
  pops.forEach((p, i) => {
    for (const dc of Object.keys(p.weights)) {
      if (!dcs.has(dc))
        err(
          'E_UNKNOWN_REF',
          ['pops', i, 'weights', dc],
          `pop "${p.name}" weights unknown datacenter "${dc}"${suggest(dc, dcs)}`,
        );
    }
  });

  services.forEach((s, i) => {
    const at = (...path: (string | number)[]): (string | number)[] => ['services', i, ...path];
    if (Object.keys(s.capacity).length === 0)
      err('E_CAPACITY', at('capacity'), `service "${s.name}" has no capacity in any datacenter`);
    for (const [dc, cap] of Object.entries(s.capacity)) {
      if (!dcs.has(dc))
        err(
          'E_UNKNOWN_REF',
          at('capacity', dc),
          `service "${s.name}" has capacity in unknown datacenter "${dc}"${suggest(dc, dcs)}`,
        );
      if (!(cap > 0) || !Number.isFinite(cap))
        err(
          'E_CAPACITY',
          at('capacity', dc),
          `the capacity of "${s.name}" in "${dc}" must be a positive number, not ${cap}`,
        );
    }
    (s.dependsOn ?? []).forEach((d, j) => {
      if (!names.has(d.service))
        err(
          'E_UNKNOWN_REF',
          at('dependsOn', j, 'service'),
          `service "${s.name}" depends on unknown service "${d.service}"${suggest(d.service, names)}`,
        );
    });
    for (const d of repeats(s.dependsOn ?? [], (x) => x.service))
      err('E_DUPLICATE', at('dependsOn', d.index, 'service'), `"${s.name}" lists its dependency on "${d.name}" twice`);
    const placed = (dc: string, path: (string | number)[], what: string): void => {
      if (!dcs.has(dc))
        err('E_PLACEMENT', path, `${what} "${dc}" of "${s.name}" is not a datacenter of the fleet${suggest(dc, dcs)}`);
    };
    if (s.stateful) {
      placed(s.stateful.primary, at('stateful', 'primary'), 'the primary');
      s.stateful.replicas.forEach((dc, j) => {
        placed(dc, at('stateful', 'replicas', j), 'the replica');
      });
      if (s.stateful.replicas.includes(s.stateful.primary))
        err(
          'E_PLACEMENT',
          at('stateful', 'replicas'),
          `"${s.name}" lists its primary "${s.stateful.primary}" among its replicas`,
        );
    }
    if (s.replication) placed(s.replication.source, at('replication', 'source'), 'the replication source');
    if (s.type === 'stateful' && !s.stateful)
      err('E_PLACEMENT', at('type'), `stateful service "${s.name}" needs a stateful: { primary, replicas } section`);
    if (s.type === 'replication' && !s.replication)
      err('E_PLACEMENT', at('type'), `replication service "${s.name}" needs a replication: { source } section`);
  });

  const edges = new Map(services.map((s) => [s.name, (s.dependsOn ?? []).map((d) => d.service)]));
  for (const cycle of findCycles(
    services.map((s) => s.name),
    edges,
  )) {
    const from = cycle[0] ?? '';
    const to = cycle[1] ?? '';
    const i = services.findIndex((s) => s.name === from);
    const j = services[i]?.dependsOn?.findIndex((d) => d.service === to) ?? -1;
    err('E_CYCLE', ['services', i, 'dependsOn', j, 'service'], `dependency cycle: ${cycle.join(' → ')}`);
  }
}
