import { describe, expect, it } from 'vitest';
import { createEmulator, parseBandwidth, parseBurst, parseProbability } from './emulator.js';
import { parseEmulatorSettings } from './emulate.js';

const packet = (n: number): Uint8Array => new Uint8Array(n);

function fates(seed: number, n = 5000): boolean[] {
  const emu = createEmulator({ delayMs: 0, loss: 0.05, burst: { p: 0.01, r: 0.3 }, queueMs: 100, seed });
  const out: boolean[] = [];
  for (let i = 0; i < n; i++) {
    const before = emu.inFlight();
    emu.offer(packet(100), i);
    out.push(emu.inFlight() > before);
  }
  return out;
}

describe('link emulator', () => {
  it('gives the same packets the same fate for a seed, and other fates for another seed', () => {
    expect(fates(42)).toEqual(fates(42));
    expect(fates(42)).not.toEqual(fates(43));
  });

  it('delays every packet by the one-way delay and keeps their order', () => {
    const emu = createEmulator({ delayMs: 50, loss: 0, queueMs: 100, seed: 1 });
    emu.offer(Uint8Array.of(1), 0);
    emu.offer(Uint8Array.of(2), 10);
    expect(emu.takeDue(49.9)).toEqual([]);
    expect(emu.takeDue(50)).toEqual([Uint8Array.of(1)]);
    expect(emu.nextDue()).toBe(60);
    expect(emu.takeDue(1000)).toEqual([Uint8Array.of(2)]);
  });

  it('serialises packets at the bandwidth and drops what would wait longer than the queue', () => {
    // 1 Mbit/s: a 97-byte datagram (125 bytes with IP and UDP headers) takes 1 ms.
    const emu = createEmulator({ delayMs: 0, bandwidthBps: 1e6, loss: 0, queueMs: 5, seed: 1 });
    for (let i = 0; i < 10; i++) emu.offer(packet(97), 0);
    expect(emu.counters.lostQueue).toBe(4);
    const due: number[] = [];
    for (let t = 0; t <= 10; t++) due.push(emu.takeDue(t).length);
    expect(due).toEqual([0, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0]);
  });

  it('loses about the random loss asked for', () => {
    const emu = createEmulator({ delayMs: 0, loss: 0.01, queueMs: 100, seed: 7 });
    for (let i = 0; i < 100_000; i++) emu.offer(packet(10), 0);
    expect(emu.counters.lostRandom / 100_000).toBeGreaterThan(0.009);
    expect(emu.counters.lostRandom / 100_000).toBeLessThan(0.011);
  });

  it('makes Gilbert–Elliott bursts of mean length 1 / R', () => {
    const emu = createEmulator({ delayMs: 0, loss: 0, burst: { p: 0.001, r: 0.25 }, queueMs: 100, seed: 9 });
    for (let i = 0; i < 200_000; i++) emu.offer(packet(10), 0);
    let bursts = 0;
    let lost = 0;
    for (const [len, n] of emu.counters.runs) {
      bursts += n;
      lost += len * n;
    }
    expect(lost / bursts).toBeGreaterThan(3.6);
    expect(lost / bursts).toBeLessThan(4.4);
  });

  it('reads rates, probabilities and bursts as written on the command line, and refuses the malformed', () => {
    expect(parseBandwidth('1gbit', '--bandwidth')).toBe(1e9);
    expect(parseBandwidth('12.5mbps', '--bandwidth')).toBe(1e8);
    expect(parseProbability('0.1%', '--loss')).toBeCloseTo(0.001);
    expect(parseProbability('0.02', '--loss')).toBe(0.02);
    expect(parseBurst('gilbert:0.01%,30%', '--burst')).toEqual({ p: 0.0001, r: 0.3 });
    for (const f of [() => parseBandwidth('fast', '--bandwidth'), () => parseProbability('150%', '--loss')])
      expect(f).toThrow(expect.objectContaining({ code: 'E_BAD_REQUEST' }));
    expect(() => parseBurst('gilbert:1%,0', '--burst')).toThrow(/R must be above 0/);
    expect(() => parseEmulatorSettings({ jitter: '1ms' })).toThrow(expect.objectContaining({ code: 'E_BAD_REQUEST' }));
    expect(parseEmulatorSettings({ delay: '50ms', bandwidth: '1gbit', loss: '0.1%', seed: 3 })).toEqual({
      delayMs: 50,
      bandwidthBps: 1e9,
      loss: 0.001,
      queueMs: 100,
      seed: 3,
    });
  });
});
