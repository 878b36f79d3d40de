/** Figures shared by the pacers and the traffic.shift stage: a receiver's capacity and headroom at the target. */
import type { ReceiverReading } from './pacer.js';

/** Capacity from the reading, or derived from load and utilisation when only those were read. */
export function capacityOf(r: ReceiverReading): number | undefined {
  if (r.capacity !== undefined) return r.capacity;
  if (r.load !== undefined && r.utilization !== undefined && r.utilization > 0) return r.load / r.utilization;
  return undefined;
}

/**
 * Requests per second the receiver can still take before reaching the target utilisation (never negative). When
 * the measured utilisation says the receiver is busier than its load alone suggests (cold caches, slow requests),
 * the busier figure counts.
 */
export function headroomOf(r: ReceiverReading, target: number): number | undefined {
  const capacity = capacityOf(r);
  if (capacity === undefined) return undefined;
  const byLoad = r.load;
  const byUtilization = r.utilization !== undefined ? r.utilization * capacity : undefined;
  if (byLoad === undefined && byUtilization === undefined) return undefined;
  const used = Math.max(byLoad ?? 0, byUtilization ?? 0);
  return Math.max(0, capacity * target - used);
}

export function utilizationOf(r: ReceiverReading): number | undefined {
  if (r.utilization !== undefined) return r.utilization;
  const capacity = capacityOf(r);
  if (r.load !== undefined && capacity !== undefined && capacity > 0) return r.load / capacity;
  return undefined;
}

/** Names of receivers whose load or capacity could not be read. */
export function missingReadings(receivers: readonly ReceiverReading[], target: number): string[] {
  return receivers.filter((r) => headroomOf(r, target) === undefined).map((r) => r.name);
}

export function pct(x: number): string {
  return `${(x * 100).toFixed(1)} %`;
}
