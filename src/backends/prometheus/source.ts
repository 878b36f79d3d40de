/**
 * A MetricsSource over Prometheus' HTTP API (/api/v1/query). Each health function of the expression catalogue is a
 * PromQL query grouped by the `datacenter` label (a default per function, overridable for all services through
 * `queries` or per service through the fleet's `queries`), and `prom("…")` queries are answered as scalars.
 *
 * No data, stale data (a target down, or its last scrape older than `staleAfterMs`) or an unreachable Prometheus
 * leave the reading absent, never a healthy-looking value; the engine holds on an absent reading. Each such
 * problem is reported once through `onIssue` (and again once it changes).
 */
import { z } from 'zod';
import type { Fleet } from '../../model/definitions.js';
import { MaelstromError } from '../../model/errors.js';
import type { DatacenterReading, FleetSnapshot, ServiceReading } from '../../model/readings.js';
import type { MetricsSource, SnapshotOptions } from '../backend.js';
import { createCallJournal } from '../call-journal.js';

export const HEALTH_FUNCTIONS = [
  'load',
  'capacity',
  'utilization',
  'traffic',
  'errorRate',
  'latencyP99',
  'sessions',
  'replicationLag',
] as const;
export type HealthFunction = (typeof HEALTH_FUNCTIONS)[number];

/** Requests per second per datacenter: all of them, and those answered with a 5xx. */
const RATE_ALL = 'sum by (datacenter) (rate(http_requests_total{service="$service"}[$window]))';
const RATE_5XX = 'sum by (datacenter) (rate(http_requests_total{service="$service",code=~"5.."}[$window]))';

/** `$service` and `$window` are replaced; each query answers one value per `datacenter` label. */
export const DEFAULT_QUERIES: Readonly<Record<HealthFunction, string>> = {
  load: RATE_ALL,
  traffic: 'sum by (datacenter) (rate(http_requests_total{service="$service",code!~"5.."}[$window]))',
  // Zero errors is a series-less numerator: `or … * 0` makes it 0 rather than no data.
  errorRate: `(${RATE_5XX} or ${RATE_ALL} * 0) / clamp_min(${RATE_ALL}, 1e-9)`,
  latencyP99:
    'histogram_quantile(0.99, sum by (datacenter, le) (rate(http_request_duration_seconds_bucket{service="$service"}[$window])))',
  capacity: 'sum by (datacenter) (service_capacity_rps{service="$service"})',
  // Absent by default: computed as load / capacity unless a query is given.
  utilization: '',
  sessions: 'sum by (datacenter) (http_sessions_active{service="$service"})',
  replicationLag: 'max by (datacenter) (replication_lag_seconds{service="$service"})',
};

export const PrometheusSourceConfig = z.strictObject({
  url: z.url(),
  queries: z.partialRecord(z.enum(HEALTH_FUNCTIONS), z.string()).optional(),
  /** The rate window in default queries; a few scrape intervals. */
  window: z
    .string()
    .regex(/^\d+(ms|s|m)$/)
    .default('5s'),
  staleAfterMs: z.number().int().positive().default(15_000),
  timeoutMs: z.number().int().positive().default(2_000),
});
export type PrometheusSourceConfig = z.input<typeof PrometheusSourceConfig>;

export interface PrometheusSourceOptions extends PrometheusSourceConfig {
  readonly fleet: Fleet;
  readonly onIssue?: (message: string) => void;
  readonly now?: () => number;
}

const QueryAnswer = z.object({
  status: z.string(),
  error: z.string().optional(),
  data: z
    .object({
      resultType: z.string(),
      result: z.union([
        z.array(z.object({ metric: z.record(z.string(), z.string()), value: z.tuple([z.number(), z.string()]) })),
        z.tuple([z.number(), z.string()]),
      ]),
    })
    .optional(),
});

interface Sample {
  readonly labels: Readonly<Record<string, string>>;
  readonly time: number;
  readonly value: number;
}

export interface PrometheusSource extends MetricsSource {
  /** Runs one PromQL query; an unreachable Prometheus or a refused query is a MaelstromError. */
  query(promql: string, signal?: AbortSignal): Promise<Sample[]>;
}

function num(v: string): number | undefined {
  const x = Number(v);
  return Number.isFinite(x) && x >= 0 ? x : undefined;
}

export function createPrometheusSource(options: PrometheusSourceOptions): PrometheusSource {
  const parsed = PrometheusSourceConfig.safeParse({
    url: options.url,
    queries: options.queries,
    window: options.window,
    staleAfterMs: options.staleAfterMs,
    timeoutMs: options.timeoutMs,
  });
  if (!parsed.success) {
    throw new MaelstromError(
      'E_BAD_REQUEST',
      `prometheus source: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'config'}: ${i.message}`).join('; ')}`,
    );
  }
  const cfg = parsed.data;
  const base = cfg.url.replace(/\/+$/, '');
  const now = options.now ?? Date.now;
  let lastIssues = new Set<string>();

  async function query(promql: string, signal?: AbortSignal): Promise<Sample[]> {
    const timeout = AbortSignal.timeout(cfg.timeoutMs);
    const sig = signal ? AbortSignal.any([signal, timeout]) : timeout;
    let res: Response;
    try {
      res = await fetch(`${base}/api/v1/query`, {
        method: 'POST',
        body: new URLSearchParams({ query: promql }),
        signal: sig,
      });
    } catch (e) {
      if (signal?.aborted) throw new MaelstromError('E_ABORTED', 'prometheus query aborted');
      // fetch's own message is "fetch failed"; what went wrong (ECONNREFUSED…) is its cause's.
      const { cause, message } = e as Error;
      const why = cause instanceof Error ? cause.message : message;
      throw new MaelstromError('E_BACKEND_UNAVAILABLE', `prometheus at ${base} is unreachable (${why})`, {
        retryable: true,
        cause: e,
      });
    }
    const parsed = QueryAnswer.safeParse(await res.json().catch(() => undefined));
    if (!parsed.success)
      throw new MaelstromError(
        'E_BACKEND',
        `prometheus at ${base} answered HTTP ${res.status} with something that is not a query result`,
      );
    const a = parsed.data;
    if (a.status !== 'success' || !a.data)
      throw new MaelstromError(
        'E_BACKEND',
        `prometheus refused the query ${promql}: ${a.error ?? `HTTP ${res.status}`}`,
      );
    const r = a.data.result;
    if (a.data.resultType === 'scalar' && !Array.isArray(r[0])) {
      const [t, v] = r as [number, string];
      const value = Number(v);
      return Number.isFinite(value) ? [{ labels: {}, time: t * 1000, value }] : [];
    }
    return (r as { metric: Record<string, string>; value: [number, string] }[])
      .map((s) => ({ labels: s.metric, time: s.value[0] * 1000, value: Number(s.value[1]) }))
      .filter((s) => Number.isFinite(s.value));
  }

  function queryFor(service: string, fn: HealthFunction): string {
    const own = options.fleet.spec.services.find((s) => s.name === service)?.queries?.[fn];
    const q = own ?? cfg.queries?.[fn] ?? DEFAULT_QUERIES[fn];
    return q.replaceAll('$service', service).replaceAll('$window', cfg.window);
  }

  async function serviceReading(
    service: string,
    dcs: readonly string[],
    issues: Set<string>,
    signal?: AbortSignal,
  ): Promise<ServiceReading> {
    const fns = HEALTH_FUNCTIONS.filter((f) => queryFor(service, f) !== '');
    const all = `rate(http_requests_total{service="${service}"}[${cfg.window}])`;
    const errors = `rate(http_requests_total{service="${service}",code=~"5.."}[${cfg.window}])`;
    const freshness = [
      `max by (datacenter) (timestamp(up{service="${service}"}))`,
      `min by (datacenter) (up{service="${service}"})`,
      `sum(${errors} or ${all} * 0) / clamp_min(sum(${all}), 1e-9)`,
    ];
    const answers = await Promise.all(
      [...fns.map((f) => queryFor(service, f)), ...freshness].map((q) =>
        query(q, signal).then(
          (r) => r,
          (e: unknown) => {
            if (e instanceof MaelstromError && e.code === 'E_ABORTED') throw e;
            issues.add(`${service}: ${(e as Error).message}`);
            return undefined;
          },
        ),
      ),
    );
    const [ts, up, fleetErrors] = answers.slice(fns.length);
    const fresh = new Set<string>();
    for (const dc of dcs) {
      const t = ts?.find((s) => s.labels.datacenter === dc);
      const u = up?.find((s) => s.labels.datacenter === dc);
      if (!t || !u) {
        issues.add(
          `${service}/${dc}: no data in prometheus (no target with labels service="${service}", datacenter="${dc}")`,
        );
        continue;
      }
      if (u.value < 1) {
        issues.add(`${service}/${dc}: a target is down (up=0): its readings are absent`);
        continue;
      }
      const age = t.time - t.value * 1000;
      if (age > cfg.staleAfterMs) {
        issues.add(`${service}/${dc}: data is stale (last scrape ${Math.round(age / 1000)} s ago)`);
        continue;
      }
      fresh.add(dc);
    }
    const datacenters: Record<string, DatacenterReading> = {};
    for (const dc of dcs) {
      const r: Record<string, number> = {};
      if (fresh.has(dc)) {
        fns.forEach((f, i) => {
          const s = answers[i]?.find((x) => x.labels.datacenter === dc);
          const v = s ? num(String(s.value)) : undefined;
          if (v !== undefined) r[f] = f === 'errorRate' ? Math.min(1, v) : v;
        });
        if (r.utilization === undefined && r.load !== undefined && r.capacity !== undefined && r.capacity > 0)
          r.utilization = r.load / r.capacity;
        // A fresh datacenter that serves nothing (drained) has no latency to measure: its p99 is 0, not unknown,
        // or a restore into it would wait forever for a figure that only traffic can produce.
        if (r.latencyP99 === undefined && r.load === 0) r.latencyP99 = 0;
      }
      datacenters[dc] = r;
    }
    const allFresh = dcs.every((dc) => fresh.has(dc));
    const e = fleetErrors?.[0]?.value;
    return { datacenters, ...(allFresh && e !== undefined && e >= 0 ? { errorRate: Math.min(1, e) } : {}) };
  }

  function report(issues: Set<string>): void {
    for (const m of issues) if (!lastIssues.has(m)) options.onIssue?.(`prometheus: ${m} — readings absent, holding`);
    for (const m of lastIssues) if (!issues.has(m)) options.onIssue?.(`prometheus: recovered: ${m}`);
    lastIssues = issues;
  }

  // Prometheus carries no HLC: each reading of the fleet is stamped with this process's clock as sent and as read.
  const calls = createCallJournal('prometheus');

  return {
    query,
    stampedCalls: () => calls.calls(),
    snapshot: (opts?: SnapshotOptions) =>
      calls.record('snapshot', () => snapshot(opts), {
        detail: { services: options.fleet.spec.services.length, queries: opts?.queries?.length ?? 0 },
      }),
  };

  async function snapshot(opts?: SnapshotOptions): Promise<FleetSnapshot> {
    if (opts?.signal?.aborted) throw new MaelstromError('E_ABORTED', 'prometheus snapshot aborted');
    const issues = new Set<string>();
    const services: Record<string, ServiceReading> = {};
    await Promise.all(
      options.fleet.spec.services.map(async (s) => {
        services[s.name] = await serviceReading(s.name, Object.keys(s.capacity), issues, opts?.signal);
      }),
    );
    let queries: Record<string, number | undefined> | undefined;
    if (opts?.queries && opts.queries.length > 0) {
      queries = {};
      await Promise.all(
        opts.queries.map(async (q) => {
          try {
            const r = await query(q, opts.signal);
            if (r.length !== 1) issues.add(`prom("${q}") gave ${r.length} values, not one`);
            queries![q] = r.length === 1 ? r[0]!.value : undefined;
          } catch (e) {
            if (e instanceof MaelstromError && e.code === 'E_ABORTED') throw e;
            issues.add(`prom("${q}"): ${(e as Error).message}`);
            queries![q] = undefined;
          }
        }),
      );
    }
    // One unreachable Prometheus is one message, not one per query.
    const unreachable = [...issues].find((m) => m.includes('is unreachable'));
    report(unreachable ? new Set([unreachable.replace(/^[^:]+: /, '')]) : issues);
    return { time: now(), services, ...(queries ? { queries } : {}) };
  }
}
