/**
 * The fleet: per service and datacenter, the edge traffic share and the utilisation, with totals per datacenter. At a
 * past instant of the time slider it shows the fleet as it was: the totals from the traffic series at that time, each
 * service's shares from the weight tables the backend had received then (or the share the controller had left in the
 * drained datacenter); utilisation is not journalled and shows as —.
 */
import type { FleetView, SeriesView, TimelineCut } from './api';
import { pct, rps } from './api';

/** The fleet at a past instant, as far as the timeline and the traffic series know it. */
export interface FleetThen {
  /** Requests per second per datacenter at the instant. */
  readonly totals: Readonly<Record<string, number | undefined>>;
  /** service → datacenter → share of its traffic. */
  readonly shares: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

/** The series' last value at or before `time`. */
function valueAt(s: SeriesView | undefined, time: number): number | undefined {
  if (!s) return undefined;
  let value: number | undefined;
  for (let k = 0; k < s.times.length && (s.times[k] ?? Infinity) <= time; k++) value = s.values[k];
  return value;
}

/** Shares of one weight table per source, averaged over the sources: where a service's traffic went. */
function sharesOf(tables: Readonly<Record<string, Readonly<Record<string, number>>>>): Record<string, number> {
  const out: Record<string, number> = {};
  const sources = Object.values(tables);
  for (const table of sources) {
    const sum = Object.values(table).reduce((a, b) => a + b, 0);
    if (sum <= 0) continue;
    for (const [dc, w] of Object.entries(table)) out[dc] = (out[dc] ?? 0) + w / sum / sources.length;
  }
  return out;
}

export function fleetAt(
  cut: TimelineCut,
  series: Readonly<Record<string, SeriesView | undefined>>,
  time: number | undefined,
  dcs: readonly string[],
): FleetThen {
  const totals = Object.fromEntries(dcs.map((dc) => [dc, time === undefined ? undefined : valueAt(series[dc], time)]));
  const shares: Record<string, Record<string, number>> = {};
  for (const [service, layers] of Object.entries(cut.weights)) {
    const left = layers.edge ?? layers.cluster;
    if (left) shares[service] = { ...left };
  }
  // What the backend had received, or better what was in effect then (propagated), when the simulator says so.
  for (const weights of [cut.backendWeights, cut.effectiveWeights])
    for (const [service, layers] of Object.entries(weights)) {
      const tables = layers.edge ?? layers.cluster;
      if (tables) shares[service] = sharesOf(tables);
    }
  return { totals, shares };
}

function utilClass(u: number | undefined): string {
  if (u === undefined) return 'muted';
  return u >= 0.9 ? 'bad' : u >= 0.75 ? 'warn' : '';
}

export function Fleet({ fleet, draining, then }: { fleet: FleetView; draining?: string; then?: FleetThen }) {
  const dcs = fleet.datacenters.map((d) => d.name);
  const totals = dcs.map((dc) =>
    then ? (then.totals[dc] ?? 0) : fleet.services.reduce((a, s) => a + (s.reading?.datacenters[dc]?.traffic ?? 0), 0),
  );
  const all = totals.reduce((a, b) => a + b, 0);
  return (
    <table className="grid-table fleet" data-testid="fleet" data-past={then ? 'true' : 'false'}>
      <thead>
        <tr>
          <th rowSpan={2}>service</th>
          {dcs.map((dc) => (
            <th key={dc} colSpan={2} className={dc === draining ? 'draining' : ''}>
              {dc}
            </th>
          ))}
          <th rowSpan={2}>err</th>
        </tr>
        <tr className="sub">{dcs.map((dc) => [<th key={`${dc}s`}>share</th>, <th key={`${dc}u`}>util</th>])}</tr>
      </thead>
      <tbody>
        <tr className="total">
          <td>all traffic</td>
          {dcs.map((dc, i) => [
            <td
              key={`${dc}s`}
              className="num"
              data-testid={`dc-share-${dc}`}
              data-value={all > 0 ? (totals[i] ?? 0) / all : 0}
            >
              {pct(all > 0 ? (totals[i] ?? 0) / all : undefined, 1)}
            </td>,
            <td key={`${dc}u`} className="num muted">
              {rps(totals[i])}
            </td>,
          ])}
          <td />
        </tr>
        {fleet.services.map((s) => (
          <tr key={s.name}>
            <td title={s.type}>{s.name}</td>
            {dcs.map((dc) => {
              const r = then ? undefined : s.reading?.datacenters[dc];
              const share = then ? then.shares[s.name]?.[dc] : (r?.share?.edge ?? r?.share?.cluster);
              return [
                <td key={`${dc}s`} className="num">
                  {pct(share)}
                </td>,
                <td key={`${dc}u`} className={`num ${utilClass(r?.utilization)}`}>
                  {pct(r?.utilization)}
                </td>,
              ];
            })}
            <td className={`num ${!then && (s.reading?.errorRate ?? 0) > 0.01 ? 'bad' : 'muted'}`}>
              {pct(then ? undefined : s.reading?.errorRate, 2)}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
