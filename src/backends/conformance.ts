/**
 * The one conformance suite every Backend passes: the simulator in process, the simulator over HTTP, HAProxy.
 * A backend's test file calls `backendConformance(name, make)`; `make` builds a fresh, initialised subject for each
 * test and names a service (and layer) whose weights the backend controls. Only what every backend must do is
 * checked here: weights read/set round trip, idempotent actions, baseline tables, snapshot shape, refusal of
 * unsupported or invalid actions with a clear error, aborted calls, and close.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MaelstromError } from '../model/errors.js';
import type { Layer } from '../model/readings.js';
import type { Action, Backend, WeightTable } from './backend.js';
import { SIM_COMMAND_KINDS } from '../sim/types.js';

export interface ConformanceSubject {
  readonly backend: Backend;
  /** A service whose weight tables at `layer` the backend controls. */
  readonly service: string;
  readonly layer: Layer;
  /** Called after each test (after `backend.close()`), to stop what `make` started. */
  readonly cleanup?: () => Promise<void>;
}

function weightsAction(t: WeightTable, weights: Record<string, number>): Action {
  return { kind: 'weights.set', layer: t.layer, service: t.service, source: t.source, weights };
}

/** A table different from `t` that keeps some weight on one destination: the first two destinations swapped. */
function another(t: WeightTable): Record<string, number> {
  const keys = Object.keys(t.weights).sort();
  const out: Record<string, number> = {};
  keys.forEach((k, i) => {
    out[k] = i === 0 ? 1 : i === 1 ? 3 : t.weights[k]!;
  });
  if (keys.length >= 2 && out[keys[0]!] === t.weights[keys[0]!] && out[keys[1]!] === t.weights[keys[1]!]) {
    out[keys[0]!] = 3;
    out[keys[1]!] = 1;
  }
  if (keys.length === 1) out[keys[0]!] = t.weights[keys[0]!] === 1 ? 2 : 1;
  return out;
}

async function rejection(p: Promise<unknown>): Promise<MaelstromError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(MaelstromError);
    return e as MaelstromError;
  }
  throw new Error('expected the call to be refused');
}

export function backendConformance(name: string, make: () => Promise<ConformanceSubject>): void {
  describe(`backend conformance: ${name}`, () => {
    let subject: ConformanceSubject | undefined;
    const open = async (): Promise<ConformanceSubject> => {
      subject = await make();
      return subject;
    };
    afterEach(async () => {
      if (!subject) return;
      await subject.backend.close();
      await subject.cleanup?.();
      subject = undefined;
    });

    it('reads weight tables of the service at the layer', async () => {
      const { backend, service, layer } = await open();
      const tables = await backend.weights(layer, service);
      expect(tables.length).toBeGreaterThan(0);
      for (const t of tables) {
        expect(t.layer).toBe(layer);
        expect(t.service).toBe(service);
        expect(typeof t.source).toBe('string');
        expect(Object.keys(t.weights).length).toBeGreaterThan(0);
        for (const w of Object.values(t.weights)) expect(w).toBeGreaterThanOrEqual(0);
      }
    });

    it('sets a weight table and reads it back; the same set again changes nothing', async () => {
      const { backend, service, layer } = await open();
      const [table] = await backend.weights(layer, service);
      const target = another(table!);
      const first = await backend.act(weightsAction(table!, target), {
        origin: { runId: 'conformance', taskId: 'web/shift', stage: 0, attempt: 1 },
      });
      expect(first.changed).toBe(true);
      const after = (await backend.weights(layer, service)).find((t) => t.source === table!.source);
      for (const [dest, w] of Object.entries(target)) expect(after!.weights[dest] ?? 0).toBe(w);
      const second = await backend.act(weightsAction(table!, target));
      expect(second.changed).toBe(false);
    });

    it('keeps the baseline tables while weights change, and a restore to them is a change', async () => {
      const { backend, service, layer } = await open();
      const before = await backend.weights(layer, service);
      const baseline = await backend.baselineWeights(layer, service);
      expect(baseline.map((t) => t.source).sort()).toEqual(before.map((t) => t.source).sort());
      const table = baseline[0]!;
      await backend.act(weightsAction(table, another(table)));
      expect(await backend.baselineWeights(layer, service)).toEqual(baseline);
      expect((await backend.act(weightsAction(table, { ...table.weights }))).changed).toBe(true);
      const restored = (await backend.weights(layer, service)).find((t) => t.source === table.source);
      for (const [dest, w] of Object.entries(table.weights)) expect(restored!.weights[dest] ?? 0).toBe(w);
    });

    it('refuses an invalid weight with E_BAD_REQUEST and changes nothing', async () => {
      const { backend, service, layer } = await open();
      const [table] = await backend.weights(layer, service);
      const dest = Object.keys(table!.weights)[0]!;
      const err = await rejection(backend.act(weightsAction(table!, { ...table!.weights, [dest]: -1 })));
      expect(err.code).toBe('E_BAD_REQUEST');
      const now = (await backend.weights(layer, service)).find((t) => t.source === table!.source);
      expect(now!.weights).toEqual(table!.weights);
    });

    it('refuses an action it does not support with a clear error', async () => {
      const { backend } = await open();
      // Every action kind there is: the simulator's commands are exactly the actions.
      const unsupported = SIM_COMMAND_KINDS.find((k) => !backend.supports.has(k));
      const action = (unsupported === undefined
        ? { kind: 'no.such.action' }
        : { kind: unsupported }) as unknown as Action;
      const err = await rejection(backend.act(action));
      expect(err.code).toBe('E_BAD_REQUEST');
      expect(err.message).toContain(unsupported ?? 'no.such.action');
    });

    it('reads a snapshot: its time, and readings of the service that are numbers when present', async () => {
      const { backend, service } = await open();
      const snap = await backend.snapshot();
      expect(Number.isFinite(snap.time)).toBe(true);
      const reading = snap.services[service];
      expect(reading).toBeDefined();
      const dcs = Object.values(reading!.datacenters);
      expect(dcs.length).toBeGreaterThan(0);
      for (const r of dcs) {
        for (const key of [
          'load',
          'capacity',
          'utilization',
          'traffic',
          'errorRate',
          'latencyP99',
          'sessions',
          'replicationLag',
        ] as const) {
          const v = r[key];
          if (v !== undefined) {
            expect(typeof v).toBe('number');
            expect(v).toBeGreaterThanOrEqual(0);
          }
        }
        if (r.errorRate !== undefined) expect(r.errorRate).toBeLessThanOrEqual(1);
        for (const v of Object.values(r.share ?? {})) {
          expect(v).toBeGreaterThanOrEqual(0);
          expect(v).toBeLessThanOrEqual(1 + 1e-9);
        }
      }
    });

    it('refuses an action from a controller fenced off (a stale epoch, a lease check that fails) and changes nothing', async () => {
      const { backend, service, layer } = await open();
      const [t] = await backend.weights(layer, service);
      if (!t) throw new Error('no weight table');
      const current = async (): Promise<void> => undefined;
      const stale = async (): Promise<void> => {
        throw new MaelstromError('E_FENCED', 'fenced: the lease moved on');
      };
      const target = another(t);
      await backend.act(weightsAction(t, target), { epoch: 5, checkLease: current });
      const [after] = await backend.weights(layer, service);
      const err = await rejection(backend.act(weightsAction(t, t.weights), { epoch: 4, checkLease: stale }));
      expect(err.code).toBe('E_FENCED');
      expect((await backend.weights(layer, service))[0]?.weights).toEqual(after?.weights);
      // The current epoch still acts.
      expect((await backend.act(weightsAction(t, t.weights), { epoch: 5, checkLease: current })).changed).toBe(true);
    });

    it('rejects a call whose signal is already aborted', async () => {
      const { backend, service, layer } = await open();
      const controller = new AbortController();
      controller.abort(new Error('stop'));
      await expect(backend.weights(layer, service, { signal: controller.signal })).rejects.toBeDefined();
    });

    it('closes, and closing twice is harmless', async () => {
      const { backend } = await open();
      await backend.close();
      await backend.close();
    });
  });
}
