import { describe, expect, it } from 'vitest';
import { Fleet } from '../../model/definitions.js';
import { freePort } from '../../lab/processes.js';
import { createPrometheusSource } from './source.js';

const fleet = Fleet.parse({
  apiVersion: 'maelstrom/v1', kind: 'Fleet', metadata: { name: 'f' },
  spec: {
    datacenters: [{ name: 'east', clusters: ['east-a'] }, { name: 'west', clusters: ['west-a'] }],
    pops: [{ name: 'nyc', share: 1, weights: { east: 1, west: 1 } }],
    services: [{ name: 'web', type: 'stateless', capacity: { east: 10, west: 10 } }],
  },
});

describe('prometheus source', () => {
  it('an unreachable Prometheus leaves every reading absent, says so once, and answers prom() as absent', async () => {
    const port = await freePort();
    const issues: string[] = [];
    const source = createPrometheusSource({ url: `http://127.0.0.1:${port}`, fleet, staleAfterMs: 5000, onIssue: (m) => issues.push(m) });
    const snap = await source.snapshot({ queries: ['sum(up)'] });
    expect(snap.services.web!.datacenters).toEqual({ east: {}, west: {} });
    expect(snap.services.web!.errorRate).toBeUndefined();
    expect(snap.queries).toEqual({ 'sum(up)': undefined });
    await source.snapshot();
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(/^prometheus: prometheus at http:\/\/127\.0\.0\.1:\d+ is unreachable .*holding$/);
  });

  it('refuses a malformed URL', () => {
    expect(() => createPrometheusSource({ url: 'not a url', fleet, staleAfterMs: 1000 })).toThrow(/prometheus source: url/);
  });
});
