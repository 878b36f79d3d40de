/** Prometheus text exposition of the simulator's readings: gauges per service and datacenter, and counters. */
import type { DatacenterReading, FleetSnapshot } from '../../model/readings.js';
import type { SimCounters } from '../../sim/types.js';

const GAUGES: readonly {
  readonly name: string;
  readonly help: string;
  readonly pick: (r: DatacenterReading) => number | undefined;
}[] = [
  {
    name: 'maelstrom_sim_load',
    help: 'Requests per second arriving for the service in the datacenter.',
    pick: (r) => r.load,
  },
  {
    name: 'maelstrom_sim_capacity',
    help: 'Requests per second at 100 % utilisation, after faults.',
    pick: (r) => r.capacity,
  },
  { name: 'maelstrom_sim_utilization', help: 'Utilisation, 0..1 (above 1: overloaded).', pick: (r) => r.utilization },
  { name: 'maelstrom_sim_traffic', help: 'Requests per second served.', pick: (r) => r.traffic },
  { name: 'maelstrom_sim_error_rate', help: 'Fraction of requests failing, 0..1.', pick: (r) => r.errorRate },
  { name: 'maelstrom_sim_latency_p99_seconds', help: 'p99 latency, seconds.', pick: (r) => r.latencyP99 },
  { name: 'maelstrom_sim_sessions', help: 'Established sessions.', pick: (r) => r.sessions },
  {
    name: 'maelstrom_sim_replication_lag_seconds',
    help: 'Seconds behind the source or primary.',
    pick: (r) => r.replicationLag,
  },
];

function label(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function num(v: number): string {
  return Number.isFinite(v) ? String(v) : v > 0 ? '+Inf' : v < 0 ? '-Inf' : 'NaN';
}

export function prometheusText(snap: FleetSnapshot, counters: SimCounters): string {
  const lines: string[] = [];
  for (const g of GAUGES) {
    lines.push(`# HELP ${g.name} ${g.help}`, `# TYPE ${g.name} gauge`);
    for (const [service, sr] of Object.entries(snap.services)) {
      for (const [dc, r] of Object.entries(sr.datacenters)) {
        const v = g.pick(r);
        // A missing reading is left out, as a scrape of a real fleet would leave it out.
        if (v !== undefined) lines.push(`${g.name}{service="${label(service)}",datacenter="${label(dc)}"} ${num(v)}`);
      }
    }
  }
  lines.push(
    "# HELP maelstrom_sim_share Share of the service's traffic in the datacenter at a layer, 0..1.",
    '# TYPE maelstrom_sim_share gauge',
  );
  for (const [service, sr] of Object.entries(snap.services)) {
    for (const [dc, r] of Object.entries(sr.datacenters)) {
      for (const [layer, v] of Object.entries(r.share ?? {})) {
        if (v !== undefined)
          lines.push(
            `maelstrom_sim_share{service="${label(service)}",datacenter="${label(dc)}",layer="${layer}"} ${num(v)}`,
          );
      }
    }
  }
  lines.push(
    '# HELP maelstrom_sim_service_error_rate Fleet-wide error rate of the service, 0..1.',
    '# TYPE maelstrom_sim_service_error_rate gauge',
  );
  for (const [service, sr] of Object.entries(snap.services)) {
    if (sr.errorRate !== undefined)
      lines.push(`maelstrom_sim_service_error_rate{service="${label(service)}"} ${num(sr.errorRate)}`);
  }
  lines.push(
    '# HELP maelstrom_sim_overload_seconds_total Seconds above 100 % utilisation.',
    '# TYPE maelstrom_sim_overload_seconds_total counter',
  );
  for (const [service, row] of Object.entries(counters.overloadSeconds)) {
    for (const [dc, v] of Object.entries(row))
      lines.push(
        `maelstrom_sim_overload_seconds_total{service="${label(service)}",datacenter="${label(dc)}"} ${num(v)}`,
      );
  }
  lines.push(
    '# HELP maelstrom_sim_backbone_units_total Request units carried over the links into the datacenter.',
    '# TYPE maelstrom_sim_backbone_units_total counter',
  );
  for (const [dc, v] of Object.entries(counters.backbone))
    lines.push(`maelstrom_sim_backbone_units_total{datacenter="${label(dc)}"} ${num(v)}`);
  lines.push(
    '# HELP maelstrom_sim_failed_requests_total Requests failed since the start.',
    '# TYPE maelstrom_sim_failed_requests_total counter',
    `maelstrom_sim_failed_requests_total ${num(counters.failedRequests)}`,
    '# HELP maelstrom_sim_failures_total Requests failed since the start, by service, datacenter and cause.',
    '# TYPE maelstrom_sim_failures_total counter',
    ...counters.failures.map(
      (f) =>
        `maelstrom_sim_failures_total{service="${label(f.service)}",datacenter="${label(f.datacenter ?? '')}",` +
        `cause="${f.cause}"} ${num(f.requests)}`,
    ),
    '# HELP maelstrom_sim_cross_datacenter_rpc_total Calls that left their datacenter.',
    '# TYPE maelstrom_sim_cross_datacenter_rpc_total counter',
    `maelstrom_sim_cross_datacenter_rpc_total ${num(counters.crossDatacenterRpc)}`,
    '# HELP maelstrom_sim_cross_datacenter_calls_total Calls sent away because the callee is not served where the caller is.',
    '# TYPE maelstrom_sim_cross_datacenter_calls_total counter',
    `maelstrom_sim_cross_datacenter_calls_total ${num(counters.crossDatacenterCalls)}`,
    '# HELP maelstrom_sim_time_seconds Simulated time.',
    '# TYPE maelstrom_sim_time_seconds gauge',
    `maelstrom_sim_time_seconds ${snap.time / 1000}`,
  );
  return `${lines.join('\n')}\n`;
}
