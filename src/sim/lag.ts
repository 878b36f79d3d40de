/**
 * `metrics-lag` faults: readings that show the world as it was `delay` ago, as a slow scrape or a delayed metrics
 * pipeline does. The world records its readings tick by tick from `delay` before such a fault until it ends, and a
 * snapshot taken meanwhile answers the lagged services and datacenters from that record, each lagged reading
 * stamped with the time it describes (`sampledAt`) so that a careful reader can tell it is old.
 */
import type { DatacenterReading, FleetSnapshot, ServiceReading } from '../model/readings.js';
import { isActive, type ActiveFault } from './faults.js';

export class ReadingHistory {
  private readonly lags: readonly ActiveFault[];
  private readonly longest: number;
  /** Recorded snapshots, oldest first. */
  private past: FleetSnapshot[] = [];

  constructor(
    faults: readonly ActiveFault[],
    private readonly datacenters: readonly string[],
    private readonly services: readonly string[],
  ) {
    this.lags = faults.filter((f) => f.kind === 'metrics-lag');
    this.longest = Math.max(0, ...this.lags.map((f) => f.delayMs));
  }

  /** Whether the readings at `t` must be kept: a lag fault will show them (or shows them now). */
  wants(t: number): boolean {
    return this.lags.some((f) => t >= f.start - f.delayMs && t < f.end);
  }

  /** Keeps the snapshot of the tick just computed, and forgets what no lag can show any more. */
  record(snapshot: FleetSnapshot): void {
    this.past.push(snapshot);
    const horizon = snapshot.time - this.longest;
    let drop = 0;
    // Keep the last snapshot at or before the horizon: it answers a lag of exactly `longest`.
    while (drop + 1 < this.past.length && this.past[drop + 1]!.time <= horizon) drop++;
    if (drop > 0) this.past = this.past.slice(drop);
  }

  /** The snapshot with the lagged readings replaced by those recorded `delay` before its time. */
  apply(snapshot: FleetSnapshot): FleetSnapshot {
    const active = this.lags.filter((f) => isActive(f, snapshot.time));
    if (active.length === 0 || this.past.length === 0) return snapshot;
    const services: Record<string, ServiceReading> = { ...snapshot.services };
    for (const f of active) {
      const then = this.at(snapshot.time - f.delayMs);
      for (const [s, name] of this.services.entries()) {
        if (f.service >= 0 && f.service !== s) continue;
        const now = services[name];
        const old = then.services[name];
        if (!now || !old) continue;
        const datacenters: Record<string, DatacenterReading> = { ...now.datacenters };
        for (const [d, dc] of this.datacenters.entries()) {
          if (f.dc >= 0 && f.dc !== d) continue;
          const reading = old.datacenters[dc];
          if (reading) datacenters[dc] = { ...reading, sampledAt: reading.sampledAt ?? then.time };
        }
        const fleetWide = f.dc < 0 && old.errorRate !== undefined ? { errorRate: old.errorRate } : {};
        services[name] = { ...now, ...fleetWide, datacenters };
      }
    }
    return { ...snapshot, services };
  }

  /** The last recorded snapshot at or before `t` (the oldest one when none is that old). */
  private at(t: number): FleetSnapshot {
    let found = this.past[0]!;
    for (const s of this.past) {
      if (s.time > t) break;
      found = s;
    }
    return found;
  }
}
