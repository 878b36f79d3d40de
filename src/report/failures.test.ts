import { describe, expect, it } from 'vitest';
import { failureBreakdown, failureLines, failuresByCause } from './failures.js';

describe('failureBreakdown', () => {
  it('rounds the counts to whole requests that sum exactly to the total, largest first', () => {
    const rows = failureBreakdown(
      [
        { service: 'web', datacenter: 'west', cause: 'overload', requests: 10.4 },
        { service: 'api', datacenter: 'east', cause: 'backbone', requests: 20.4 },
        { service: 'web', datacenter: null, cause: 'unrouted', requests: 0.6 },
        { service: 'db', datacenter: 'west', cause: 'write-outage', requests: 0.2 },
      ],
      32,
    );
    expect(rows).toEqual([
      { service: 'api', datacenter: 'east', cause: 'backbone', requests: 20 },
      { service: 'web', datacenter: 'west', cause: 'overload', requests: 11 },
      { service: 'web', datacenter: null, cause: 'unrouted', requests: 1 },
    ]);
    expect(rows.reduce((a, r) => a + r.requests, 0)).toBe(32);
    expect(failuresByCause(rows)).toEqual([
      { cause: 'backbone', requests: 20 },
      { cause: 'overload', requests: 11 },
      { cause: 'unrouted', requests: 1 },
    ]);
  });

  it('prints one line per row with its share and what the cause means, the rest summed', () => {
    const rows = failureBreakdown(
      [
        { service: 'web', datacenter: 'west', cause: 'overload', requests: 900 },
        { service: 'api', datacenter: null, cause: 'unrouted', requests: 100 },
      ],
      1000,
    );
    expect(failureLines(rows, 1000, 1)).toEqual([
      '1,000 failed requests, by cause and place:',
      '  900    90 %  web in west  overload (queued past the timeout in an overloaded cluster)',
      '  100    10 %  1 more',
    ]);
    expect(failureLines([], 0)).toEqual(['no failed requests']);
  });
});
