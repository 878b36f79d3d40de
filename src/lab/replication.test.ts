import { describe, expect, it } from 'vitest';
import { startReplicationStream } from './replication.js';

describe('lab replication stream', () => {
  it('replicates every record across a link whose path loses 2 % of packets, and says what the link rebuilt', async () => {
    const stream = await startReplicationStream({
      from: 'east',
      to: 'west',
      recordsPerSecond: 2000,
      path: { delayMs: 5, loss: 0.02, seed: 4 },
    });
    await new Promise((r) => setTimeout(r, 600));
    const report = await stream.stop();
    expect(report.recordsSent).toBeGreaterThan(500);
    expect(report.recordsMissing).toBe(0);
    expect(report.recovered).toBeGreaterThan(0);
    expect(report.link).toBe('east-west');
  });
});
