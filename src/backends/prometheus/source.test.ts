import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { Fleet } from '../../model/definitions.js';
import { freePort } from '../../lab/processes.js';
import { createPrometheusSource } from './source.js';

const fleet = Fleet.parse({
  apiVersion: 'maelstrom/v1',
  kind: 'Fleet',
  metadata: { name: 'f' },
  spec: {
    datacenters: [
      { name: 'east', clusters: ['east-a'] },
      { name: 'west', clusters: ['west-a'] },
    ],
    pops: [{ name: 'nyc', share: 1, weights: { east: 1, west: 1 } }],
    services: [{ name: 'web', type: 'stateless', capacity: { east: 10, west: 10 } }],
  },
});

describe('prometheus source', () => {
  it('an unreachable Prometheus leaves every reading absent, says so once, and answers prom() as absent', async () => {
    const port = await freePort();
    const issues: string[] = [];
    const source = createPrometheusSource({
      url: `http://127.0.0.1:${port}`,
      fleet,
      staleAfterMs: 5000,
      onIssue: (m) => issues.push(m),
    });
    const snap = await source.snapshot({ queries: ['sum(up)'] });
    expect(snap.services.web!.datacenters).toEqual({ east: {}, west: {} });
    expect(snap.services.web!.errorRate).toBeUndefined();
    expect(snap.queries).toEqual({ 'sum(up)': undefined });
    await source.snapshot();
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(/^prometheus: prometheus at http:\/\/127\.0\.0\.1:\d+ is unreachable .*holding$/);
  });

  it('refuses a malformed URL', () => {
    expect(() => createPrometheusSource({ url: 'not a url', fleet, staleAfterMs: 1000 })).toThrow(
      /prometheus source: url/,
    );
  });

  it('reads a fresh datacenter; a target down or a stale scrape leaves that datacenter absent, with a message', async () => {
    const now = 1_800_000_000;
    // A stand-in answering like Prometheus: east fresh and up, west's last scrape 60 s old.
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString();
      });
      req.on('end', () => {
        const q = new URLSearchParams(body).get('query') ?? '';
        const vec = (east: number, west: number) => [
          { metric: { datacenter: 'east' }, value: [now, String(east)] },
          { metric: { datacenter: 'west' }, value: [now, String(west)] },
        ];
        const result = q.startsWith('max by (datacenter) (timestamp(up')
          ? vec(now - 1, now - 60)
          : q.startsWith('min by (datacenter) (up')
            ? vec(1, 1)
            : q.startsWith('sum(rate(')
              ? [{ metric: {}, value: [now, '0.01'] }]
              : q.includes('service_capacity_rps')
                ? vec(10, 10)
                : q.includes('histogram_quantile')
                  ? vec(0.05, 0.05)
                  : q.includes('code=~"5.."')
                    ? vec(0.02, 0.02)
                    : vec(5, 5);
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result } }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const issues: string[] = [];
      const source = createPrometheusSource({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        fleet,
        staleAfterMs: 15_000,
        onIssue: (m) => issues.push(m),
      });
      const snap = await source.snapshot();
      expect(snap.services.web!.datacenters.east).toMatchObject({
        load: 5,
        capacity: 10,
        utilization: 0.5,
        latencyP99: 0.05,
        errorRate: 0.02,
      });
      expect(snap.services.web!.datacenters.west).toEqual({});
      // The fleet-wide error rate needs every datacenter: absent while one is stale.
      expect(snap.services.web!.errorRate).toBeUndefined();
      expect(issues).toEqual(['prometheus: web/west: data is stale (last scrape 60 s ago) — readings absent, holding']);
    } finally {
      server.close();
    }
  });
});
