import { platform } from 'node:os';
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { cpuBetween, LabCpuTracker, labCpuSeconds, processCpuSeconds } from './cpu.js';

describe.runIf(platform() === 'linux')('the lab CPU time', () => {
  it('counts the CPU this process spends, and grows as it works', () => {
    const before = labCpuSeconds()!;
    // Until this process has spent 50 ms more of CPU (a /proc tick is 10 ms), however busy the machine is.
    const cpu0 = process.cpuUsage();
    let x = 0;
    while (process.cpuUsage(cpu0).user < 50_000) for (let i = 0; i < 1000; i++) x += Math.sqrt(x + 1);
    expect(x).toBeGreaterThan(0);
    expect(before).toBeGreaterThanOrEqual(0);
    expect(labCpuSeconds()!).toBeGreaterThan(before);
  });

  it('has no reading for a process that does not exist', () => {
    expect(labCpuSeconds(2 ** 22 + 1)).toBeUndefined();
    expect(processCpuSeconds(2 ** 22 + 1)).toBeUndefined();
  });

  it("reads one process's own CPU time", () => {
    const own = processCpuSeconds(process.pid)!;
    expect(own).toBeGreaterThan(0);
    expect(own).toBeLessThanOrEqual(labCpuSeconds()!);
  });

  it('keeps the CPU of a child that ended after it was sampled, and sorts it by what it is', async () => {
    const tracker = new LabCpuTracker();
    const from = tracker.mark()!;
    // A child that spins for 100 ms of CPU, then idles until killed.
    const child = spawn(process.execPath, [
      '-e',
      'const t = process.cpuUsage(); while (process.cpuUsage(t).user < 100000); setInterval(() => {}, 1000);',
      'service.mjs',
    ]);
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if ((processCpuSeconds(child.pid!) ?? 0) >= 0.1) {
          clearInterval(poll);
          resolve();
        }
      }, 20);
    });
    tracker.sample();
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const spent = cpuBetween(from, tracker.mark()!);
    expect(spent.byPart.services).toBeGreaterThanOrEqual(0.1);
    expect(spent.total).toBeGreaterThanOrEqual(spent.byPart.services);
  });
});
