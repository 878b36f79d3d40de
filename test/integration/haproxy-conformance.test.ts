/** The HAProxy backend passes the backend conformance suite against a real HAProxy started here. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backendConformance } from '../../src/backends/conformance.js';
import { createHaproxyBackend } from '../../src/backends/haproxy/backend.js';
import { labMapping, startHaproxy } from '../../src/lab/environment.js';
import { haveHaproxy } from './programs.js';

const DCS = ['dc1', 'dc2', 'dc3'];

async function start() {
  const dir = await mkdtemp(join(tmpdir(), 'maelstrom-haproxy-'));
  // Servers on ports where nothing listens: the weights are what is tested, not traffic.
  const haproxy = await startHaproxy(
    dir,
    DCS.map((name, i) => ({ name, port: 1 + i })),
  );
  const backend = createHaproxyBackend({ config: labMapping(haproxy.socket, DCS) });
  await backend.init();
  return {
    backend,
    haproxy,
    cleanup: async () => {
      await haproxy.child.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

describe.skipIf(!haveHaproxy)('haproxy backend', () => {
  backendConformance('haproxy', async () => {
    const { backend, cleanup } = await start();
    return { backend, service: 'web', layer: 'edge', cleanup };
  });

  it('maps fractional weights onto 0..256 and reads them back as set; 0 drains the server, a positive weight readies it', async () => {
    const { backend, cleanup } = await start();
    try {
      const set = {
        kind: 'weights.set',
        layer: 'edge',
        service: 'web',
        source: 'lab',
        weights: { dc1: 0.25, dc2: 1, dc3: 1 },
      } as const;
      expect((await backend.act(set)).changed).toBe(true);
      const state = await backend.api.serversState('web_lab');
      expect(state.map((s) => s.weight)).toEqual([64, 256, 256]);
      expect((await backend.weights('edge', 'web'))[0]!.weights).toEqual({ dc1: 0.25, dc2: 1, dc3: 1 });
      await backend.act({ ...set, weights: { dc1: 0, dc2: 1, dc3: 1 } });
      const drained = (await backend.api.serversState('web_lab')).find((s) => s.server === 'dc1')!;
      expect(drained.weight).toBe(0);
      expect(drained.adminState & 0x08).toBe(0x08);
      expect((await backend.act({ ...set, weights: { dc1: 0, dc2: 1, dc3: 1 } })).changed).toBe(false);
      await backend.act({ ...set, weights: { dc1: 100, dc2: 100, dc3: 100 } });
      const ready = (await backend.api.serversState('web_lab')).find((s) => s.server === 'dc1')!;
      expect(ready.adminState & 0x08).toBe(0);
      expect((await backend.snapshot()).services.web!.datacenters.dc1!.share!.edge).toBeCloseTo(1 / 3, 6);
      expect((await backend.setServerState('web_lab', 'dc2', 'maint')).changed).toBe(true);
      expect((await backend.setServerState('web_lab', 'dc2', 'maint')).changed).toBe(false);
      expect((await backend.weights('edge', 'web'))[0]!.weights.dc2).toBe(0);
      expect(
        (await backend.act({ kind: 'sessions.teardown', service: 'web', datacenter: 'dc3', rate: 100 })).changed,
      ).toBe(true);
    } finally {
      await backend.close();
      await cleanup();
    }
  });

  it('a lost runtime socket is a retryable E_BACKEND_UNAVAILABLE, not a crash', async () => {
    const { backend, haproxy, cleanup } = await start();
    try {
      await haproxy.child.stop();
      const err = await backend.weights('edge', 'web').catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'E_BACKEND_UNAVAILABLE', retryable: true });
      expect((err as Error).message).toContain('unreachable');
      const act = await backend
        .act({ kind: 'weights.set', layer: 'edge', service: 'web', source: 'lab', weights: { dc1: 1, dc2: 1, dc3: 1 } })
        .catch((e: unknown) => e);
      expect(act).toMatchObject({ code: 'E_BACKEND_UNAVAILABLE', retryable: true });
      // The snapshot still answers; the share is absent.
      const snap = await backend.snapshot();
      expect(snap.services.web!.datacenters.dc1?.share).toBeUndefined();
    } finally {
      await backend.close();
      await cleanup();
    }
  });
});
