/** The fleet: per service and datacenter, the edge traffic share and the utilisation, with totals per datacenter. */
import type { FleetView } from './api';
import { pct, rps } from './api';

function utilClass(u: number | undefined): string {
  if (u === undefined) return 'muted';
  return u >= 0.9 ? 'bad' : u >= 0.75 ? 'warn' : '';
}

export function Fleet({ fleet, draining }: { fleet: FleetView; draining?: string }) {
  const dcs = fleet.datacenters.map((d) => d.name);
  const totals = dcs.map((dc) => fleet.services.reduce((a, s) => a + (s.reading?.datacenters[dc]?.traffic ?? 0), 0));
  const all = totals.reduce((a, b) => a + b, 0);
  return (
    <table className="grid-table fleet" data-testid="fleet">
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
              const r = s.reading?.datacenters[dc];
              const share = r?.share?.edge ?? r?.share?.cluster;
              return [
                <td key={`${dc}s`} className="num">
                  {pct(share)}
                </td>,
                <td key={`${dc}u`} className={`num ${utilClass(r?.utilization)}`}>
                  {pct(r?.utilization)}
                </td>,
              ];
            })}
            <td className={`num ${(s.reading?.errorRate ?? 0) > 0.01 ? 'bad' : 'muted'}`}>
              {pct(s.reading?.errorRate, 2)}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
