/**
 * Restore means restore: after the reference drain test (evacuate-east, then restore-east), east is as it was before
 * the drain — its traffic, the primaries of the stateful services and the source of the replicated one, whose home
 * the fleet places in east. (The stages themselves, and a service whose home is elsewhere: src/stages/reference.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { loadOrFail } from '../src/load/check.js';
import { drainTestOnSim } from './drain-test-fixture.js';

describe('a restore brings back the state whose home is the datacenter', () => {
  it('returns the primaries and the replication source to east after drain-test-east', async () => {
    const definitions = await loadOrFail(['examples']);
    const { outcome, backend } = await drainTestOnSim(definitions, 'drain-test-east');
    expect(outcome).toBe('succeeded');
    const snap = await backend.snapshot();
    expect(snap.services['message-store']!.primary).toBe('east');
    expect(snap.services['user-db']!.primary).toBe('east');
    expect(snap.services['search-index']!.replicationSource).toBe('east');
    // And the traffic: every weight back at its baseline.
    for (const s of ['web', 'feed', 'message-store']) {
      expect(await backend.weights('cluster', s)).toEqual(await backend.baselineWeights('cluster', s));
      expect(await backend.weights('edge', s)).toEqual(await backend.baselineWeights('edge', s));
    }
  }, 120_000);
});
