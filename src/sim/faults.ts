/** Faults of a scenario, in absolute time, and the questions the model asks of them. */
import type { Fault } from '../model/definitions.js';
import { durationMs } from '../model/duration.js';
import { MaelstromError } from '../model/errors.js';
import type { World } from './world.js';

export interface ActiveFault {
  readonly kind: Fault['kind'];
  readonly start: number;
  readonly end: number;
  /** Datacenter index, or -1 for every datacenter. */
  readonly dc: number;
  /** Service index, or -1 for every service. */
  readonly service: number;
  readonly fraction: number;
  readonly mechanism: string | undefined;
  readonly mode: 'error' | 'hang';
}

export function compileFaults(world: World, faults: readonly Fault[], startMs: number): ActiveFault[] {
  return faults.map((f, i) => {
    const dc = f.datacenter === undefined ? -1 : world.dcIndex.get(f.datacenter);
    if (dc === undefined)
      throw new MaelstromError('E_UNKNOWN_REF', `fault ${i}: no datacenter "${f.datacenter}" in the fleet`);
    const service = f.service === undefined ? -1 : world.serviceIndex.get(f.service);
    if (service === undefined)
      throw new MaelstromError('E_UNKNOWN_REF', `fault ${i}: no service "${f.service}" in the fleet`);
    if ((f.kind === 'datacenter-lost' || f.kind === 'backbone') && dc < 0) {
      throw new MaelstromError('E_SCHEMA', `fault ${i}: a ${f.kind} fault names its datacenter`);
    }
    const start = startMs + durationMs(f.at);
    return {
      kind: f.kind,
      start,
      end: f.duration === undefined ? Number.POSITIVE_INFINITY : start + durationMs(f.duration),
      dc,
      service,
      fraction: f.capacityFraction ?? (f.kind === 'backbone' || f.kind === 'capacity' ? 0.5 : 0),
      mechanism: f.mechanism,
      mode: f.mode ?? 'error',
    };
  });
}

export function isActive(f: ActiveFault, t: number): boolean {
  return t >= f.start && t < f.end;
}

/** The mechanism an action goes through, as fault definitions name it. */
export function mechanismOf(kind: string, layer?: string): string {
  switch (kind) {
    case 'weights.set':
      return layer ?? 'edge';
    case 'sessions.teardown':
      return 'sessions';
    case 'jobs.restart':
    case 'jobs.stop':
    case 'jobs.start':
      return 'jobs';
    case 'replication.source':
    case 'replication.replica':
      return 'replication';
    case 'stateful.primary':
      return 'promote';
    case 'shards.place':
      return 'shards';
    case 'config.set':
      return 'config';
    default:
      return 'alerts';
  }
}
