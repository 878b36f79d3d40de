import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MaelstromError } from './errors.js';
import {
  compareHlc,
  createHybridClock,
  hlcAtTime,
  hlcOf,
  parseHlc,
  partsOf,
  physicalOf,
  DEFAULT_MAX_OFFSET_MS,
} from './hlc.js';

const T0 = Date.parse('2026-03-02T16:00:00Z');

describe('hybrid logical clock', () => {
  it('keeps the physical ms in the high 48 bits and the counter in the low 16', () => {
    const h = hlcOf(T0, 7);
    expect(h).toBe((BigInt(T0) << 16n) | 7n);
    expect(partsOf(h)).toEqual({ physical: T0, logical: 7 });
    expect(physicalOf(h.toString())).toBe(T0);
    expect(hlcAtTime(T0)).toBe(hlcOf(T0, 0xffff));
    expect(parseHlc(h.toString())).toBe(h);
  });

  it('reads the wall clock while it moves, and counts within a millisecond', () => {
    let wall = T0;
    const clock = createHybridClock({ wall: () => wall });
    expect(partsOf(clock.now())).toEqual({ physical: T0, logical: 0 });
    expect(partsOf(clock.now())).toEqual({ physical: T0, logical: 1 });
    wall += 5;
    expect(partsOf(clock.now())).toEqual({ physical: T0 + 5, logical: 0 });
    const s = clock.stamp();
    expect(s.wall).toBe(T0 + 5);
    expect(partsOf(BigInt(s.hlc))).toEqual({ physical: T0 + 5, logical: 1 });
  });

  it('carries a full counter into the next millisecond rather than wrap', () => {
    const clock = createHybridClock({ wall: () => T0 });
    let last = clock.now();
    for (let i = 0; i < 70_000; i++) {
      const h = clock.now();
      expect(h > last).toBe(true);
      last = h;
    }
    expect(partsOf(last).physical).toBe(T0 + 1);
  });

  it('refuses a remote timestamp more than the max offset ahead, and changes nothing', () => {
    const clock = createHybridClock({ wall: () => T0 });
    clock.now();
    const before = clock.last();
    const err = (() => {
      try {
        clock.update(hlcOf(T0 + DEFAULT_MAX_OFFSET_MS + 1, 0));
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(MaelstromError);
    expect((err as MaelstromError).code).toBe('E_CLOCK_SKEW');
    expect((err as MaelstromError).details).toEqual({ aheadMs: 501, maxOffsetMs: 500 });
    expect(clock.last()).toBe(before);
    // Exactly the max offset ahead is accepted.
    const h = clock.update(hlcOf(T0 + DEFAULT_MAX_OFFSET_MS, 3));
    expect(partsOf(h)).toEqual({ physical: T0 + 500, logical: 4 });
  });

  it('rejects text that is not a 64-bit timestamp with E_BAD_REQUEST', () => {
    for (const bad of ['', '-1', '1.5', 'abc', '18446744073709551616'])
      expect(() => parseHlc(bad)).toThrow(expect.objectContaining({ code: 'E_BAD_REQUEST' }) as Error);
  });

  it('orders decimal strings as the numbers they are', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        (a, b) => {
          expect(Math.sign(compareHlc(a.toString(), b.toString()))).toBe(a < b ? -1 : a > b ? 1 : 0);
        },
      ),
    );
  });

  it('is strictly monotonic whatever the wall clock does, sends and receives included', () => {
    const step = fc.oneof(
      fc.record({ kind: fc.constant('tick' as const), dt: fc.integer({ min: -2000, max: 2000 }) }),
      fc.record({ kind: fc.constant('now' as const) }),
      fc.record({
        kind: fc.constant('recv' as const),
        ahead: fc.integer({ min: -5000, max: 800 }),
        logical: fc.integer({ min: 0, max: 0xffff }),
      }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 200 }), (steps) => {
        let wall = T0;
        const clock = createHybridClock({ wall: () => wall });
        let last = clock.now();
        for (const s of steps) {
          if (s.kind === 'tick') {
            wall += s.dt;
            continue;
          }
          if (s.kind === 'now') {
            const h = clock.now();
            expect(h > last).toBe(true);
            last = h;
            continue;
          }
          const remote = hlcOf(Math.max(0, wall + s.ahead), s.logical);
          if (s.ahead > DEFAULT_MAX_OFFSET_MS) {
            expect(() => clock.update(remote)).toThrow(expect.objectContaining({ code: 'E_CLOCK_SKEW' }) as Error);
            expect(clock.last()).toBe(last);
            continue;
          }
          const h = clock.update(remote);
          // The receive rule: later than the message and than everything before it.
          expect(h > remote).toBe(true);
          expect(h > last).toBe(true);
          last = h;
        }
      }),
    );
  });

  it('stays within the max offset of the wall clock when every peer is within it', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ dt: fc.integer({ min: 0, max: 50 }), ahead: fc.integer({ min: -1000, max: 500 }) }), {
          maxLength: 200,
        }),
        (steps) => {
          let wall = T0;
          const clock = createHybridClock({ wall: () => wall });
          for (const s of steps) {
            wall += s.dt;
            const h = clock.update(hlcOf(wall + s.ahead, 0));
            expect(partsOf(h).physical - wall).toBeLessThanOrEqual(DEFAULT_MAX_OFFSET_MS);
          }
        },
      ),
    );
  });
});

/**
 * Processes with skewed wall clocks exchange messages in a random order; each records its events with its clock.
 * Merged in HLC order, every prefix is a consistent cut: no receive without its send, no event without the events
 * of its own process before it; and HLC order agrees with happened-before (vector clocks) wherever that is defined.
 */
describe('the merged timeline of processes with skewed clocks', () => {
  interface Recorded {
    readonly id: number;
    readonly process: number;
    readonly hlc: bigint;
    /** Index of this event within its process. */
    readonly index: number;
    /** The send this receive answers. */
    readonly sendOf?: number;
    readonly vector: readonly number[];
  }

  const scenario = fc.record({
    processes: fc.integer({ min: 2, max: 5 }),
    // Pairwise within the max offset: each clock within half of it of the true time.
    skews: fc.array(fc.integer({ min: -DEFAULT_MAX_OFFSET_MS / 2, max: DEFAULT_MAX_OFFSET_MS / 2 }), {
      minLength: 5,
      maxLength: 5,
    }),
    steps: fc.array(
      fc.record({
        who: fc.nat(),
        what: fc.constantFrom('local', 'send', 'receive'),
        to: fc.nat(),
        pick: fc.nat(),
        dt: fc.integer({ min: 0, max: 40 }),
      }),
      { minLength: 1, maxLength: 300 },
    ),
  });

  type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

  function play(s: Scenario): Recorded[] {
    const n = s.processes;
    let t = T0;
    const clocks = Array.from({ length: n }, (_, i) => createHybridClock({ wall: () => t + s.skews[i]! }));
    const vectors = Array.from({ length: n }, () => new Array<number>(n).fill(0));
    const counts = new Array<number>(n).fill(0);
    const inFlight: { to: number; hlc: bigint; send: number; vector: number[] }[] = [];
    const out: Recorded[] = [];
    const record = (p: number, hlc: bigint, sendOf?: number): Recorded => {
      vectors[p]![p]! += 1;
      const r: Recorded = {
        id: out.length,
        process: p,
        hlc,
        index: counts[p]!++,
        ...(sendOf !== undefined ? { sendOf } : {}),
        vector: [...vectors[p]!],
      };
      out.push(r);
      return r;
    };
    for (const step of s.steps) {
      t += step.dt;
      const p = step.who % n;
      if (step.what === 'local') record(p, clocks[p]!.now());
      else if (step.what === 'send') {
        const r = record(p, clocks[p]!.now());
        inFlight.push({ to: (p + 1 + (step.to % (n - 1))) % n, hlc: r.hlc, send: r.id, vector: [...r.vector] });
      } else if (inFlight.length > 0) {
        // Messages arrive in any order, not the order they were sent in.
        const [m] = inFlight.splice(step.pick % inFlight.length, 1);
        const q = m!.to;
        for (let i = 0; i < n; i++) vectors[q]![i] = Math.max(vectors[q]![i]!, m!.vector[i]!);
        record(q, clocks[q]!.update(m!.hlc), m!.send);
      }
    }
    return out;
  }

  it('every prefix in HLC order is a consistent cut, for random message orders and skews up to the max offset', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const events = play(s);
        // Equal timestamps are possible only for concurrent records (of different processes): the tie is broken
        // by process, as the timeline breaks it by source.
        const merged = [...events].sort((a, b) =>
          a.hlc < b.hlc ? -1 : a.hlc > b.hlc ? 1 : a.process - b.process || a.index - b.index,
        );
        const inCut = new Set<number>();
        const seenPerProcess = new Array<number>(s.processes).fill(0);
        for (const e of merged) {
          if (e.sendOf !== undefined) expect(inCut.has(e.sendOf), `receive ${e.id} before its send`).toBe(true);
          expect(e.index, `process ${e.process} out of its own order`).toBe(seenPerProcess[e.process]);
          seenPerProcess[e.process]!++;
          inCut.add(e.id);
        }
        // Happened-before (a's vector ≤ b's, a ≠ b) implies a smaller HLC.
        for (const a of events)
          for (const b of events) {
            if (a.id === b.id) continue;
            if (a.vector.every((v, i) => v <= b.vector[i]!)) expect(a.hlc < b.hlc).toBe(true);
          }
      }),
      { numRuns: 200 },
    );
  });

  it('the same records in wall-clock order can show an effect before its cause', () => {
    // A sender 200 ms ahead, a receiver 200 ms behind: the receive's wall time precedes the send's.
    let t = T0;
    const a = createHybridClock({ wall: () => t + 200 });
    const b = createHybridClock({ wall: () => t - 200 });
    const send = a.stamp();
    t += 10;
    const recvHlc = b.update(send.hlc);
    const recvWall = b.wall();
    expect(recvWall < send.wall).toBe(true);
    expect(recvHlc > BigInt(send.hlc)).toBe(true);
  });
});
