/** Faults of a scenario, in absolute time, and the questions the model asks of them. */
import { CONTROLLER_FAULT_KINDS, type ControllerFaultKind, type Fault } from '../model/definitions.js';
import type { Layer } from '../model/readings.js';
import { durationMs } from '../model/duration.js';
import { MaelstromError } from '../model/errors.js';
import type { World } from './world.js';

/** Faults of the world; stage and controller faults are a drill's to inject, and the world never sees them. */
export type WorldFaultKind = Exclude<Fault['kind'], ControllerFaultKind>;

export interface ActiveFault {
  readonly kind: WorldFaultKind;
  readonly start: number;
  readonly end: number;
  /** Datacenter index, or -1 for every datacenter. */
  readonly dc: number;
  /** Service index, or -1 for every service. */
  readonly service: number;
  readonly fraction: number;
  readonly mechanism: string | undefined;
  readonly mode: 'error' | 'hang';
  /** propagation-slow: the layer it slows (undefined: both), and by how much. */
  readonly layer: Layer | undefined;
  readonly factor: number;
}

const isWorldFault = (f: Fault): f is Fault & { kind: WorldFaultKind } =>
  !(CONTROLLER_FAULT_KINDS as readonly string[]).includes(f.kind);

/** Default slow-down of a propagation-slow fault. */
export const DEFAULT_PROPAGATION_FACTOR = 4;

export function compileFaults(world: World, faults: readonly Fault[], startMs: number): ActiveFault[] {
  return faults.flatMap((f, i) => {
    if (!isWorldFault(f)) return [];
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
    const fault: ActiveFault = {
      kind: f.kind,
      start,
      end: f.duration === undefined ? Number.POSITIVE_INFINITY : start + durationMs(f.duration),
      dc,
      service,
      fraction: f.capacityFraction ?? (f.kind === 'backbone' || f.kind === 'capacity' ? 0.5 : 0),
      mechanism: f.mechanism,
      mode: f.mode ?? 'error',
      layer: f.layer,
      factor: f.factor ?? DEFAULT_PROPAGATION_FACTOR,
    };
    return [fault];
  });
}

/** How many times longer a weight change of `layer` for service `s` set at `t` takes to propagate (1: as usual). */
export function propagationFactor(faults: readonly ActiveFault[], layer: Layer, s: number, t: number): number {
  let factor = 1;
  for (const f of faults) {
    if (f.kind !== 'propagation-slow' || !isActive(f, t)) continue;
    if ((f.layer === undefined || f.layer === layer) && (f.service < 0 || f.service === s)) factor *= f.factor;
  }
  return factor;
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
