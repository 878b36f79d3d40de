/**
 * Faults of a scenario, in absolute time, and the questions the model asks of them. Each kind acts through the
 * model's own mechanisms (schedule.ts applies them as they start and end):
 * - `datacenter-lost`, `capacity` (a fraction of the capacity left), `backbone` (the links keep a fraction of what
 *   they carried), `mechanism` (an action errors or hangs), `metrics-missing` (readings absent);
 * - `receiver-slow`: one cluster of a datacenter keeps `capacityFraction` of its capacity (default 0.5) and its
 *   latency is `latencyFactor` times what its load gives (default 3), for every service or the one named;
 * - `metrics-lag`: readings of the datacenter (or every datacenter), for the service (or every service), show the
 *   world as it was `delay` ago (default 1m), stamped with the time they describe (`sampledAt`);
 * - `cold-cache`: the model's cold-cache factor and warm-up time constant are raised to `coldFactor` (default 4)
 *   and `warmUp` (default 10m) for the window: moved traffic costs more, for longer, until the caches warm;
 * - `propagation-slow`: weight changes of the layer (or both) take `factor` times longer to take effect.
 */
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
  /** receiver-slow: the cluster's index, and the factor on its latency. */
  readonly cluster: number;
  readonly latencyFactor: number;
  /** metrics-lag: how far behind the readings are, ms. */
  readonly delayMs: number;
  /** cold-cache: the cost of a cold request, and the caches' warm-up time constant, ms. */
  readonly coldFactor: number;
  readonly warmUpMs: number;
}

/** Defaults of the faults' figures (see the module's comment). */
export const FAULT_DEFAULTS = {
  fraction: 0.5,
  latencyFactor: 3,
  delayMs: 60_000,
  coldFactor: 4,
  warmUpMs: 10 * 60_000,
} as const;

function durationOr(text: string | undefined, fallback: number): number {
  return text === undefined ? fallback : durationMs(text);
}

const isWorldFault = (f: Fault): f is Fault & { kind: WorldFaultKind } =>
  !(CONTROLLER_FAULT_KINDS as readonly string[]).includes(f.kind);

/** Default slow-down of a propagation-slow fault. */
export const DEFAULT_PROPAGATION_FACTOR = 4;

export function compileFaults(world: World, faults: readonly Fault[], startMs: number): ActiveFault[] {
  // Pushed onto one literal rather than flat-mapped: V8 then makes every such list, empty or not, an array of the
  // same kind once one has held a fault, and the per-tick loops over it keep one shape whatever the scenario.
  const out: ActiveFault[] = [];
  faults.forEach((f, i) => {
    if (!isWorldFault(f)) return;
    const dc = f.datacenter === undefined ? -1 : world.dcIndex.get(f.datacenter);
    if (dc === undefined)
      throw new MaelstromError('E_UNKNOWN_REF', `fault ${i}: no datacenter "${f.datacenter}" in the fleet`);
    const service = f.service === undefined ? -1 : world.serviceIndex.get(f.service);
    if (service === undefined)
      throw new MaelstromError('E_UNKNOWN_REF', `fault ${i}: no service "${f.service}" in the fleet`);
    if ((f.kind === 'datacenter-lost' || f.kind === 'backbone' || f.kind === 'receiver-slow') && dc < 0) {
      throw new MaelstromError('E_SCHEMA', `fault ${i}: a ${f.kind} fault names its datacenter`);
    }
    let cluster = -1;
    if (f.kind === 'receiver-slow') {
      const own = world.dcClusters[dc]!;
      cluster = f.cluster === undefined ? own[0]! : (world.clusterIndex.get(f.cluster) ?? -1);
      if (!own.includes(cluster))
        throw new MaelstromError(
          'E_UNKNOWN_REF',
          `fault ${i}: no cluster "${f.cluster}" in datacenter "${f.datacenter}" (it has ${own.map((c) => world.clusters[c]).join(', ')})`,
        );
    } else if (f.cluster !== undefined) {
      throw new MaelstromError('E_SCHEMA', `fault ${i}: only a receiver-slow fault names a cluster`);
    }
    const start = startMs + durationMs(f.at);
    const fractional = f.kind === 'backbone' || f.kind === 'capacity' || f.kind === 'receiver-slow';
    const fault: ActiveFault = {
      kind: f.kind,
      start,
      end: f.duration === undefined ? Number.POSITIVE_INFINITY : start + durationMs(f.duration),
      dc,
      service,
      fraction: f.capacityFraction ?? (fractional ? FAULT_DEFAULTS.fraction : 0),
      mechanism: f.mechanism,
      mode: f.mode ?? 'error',
      layer: f.layer,
      factor: f.factor ?? DEFAULT_PROPAGATION_FACTOR,
      cluster,
      latencyFactor: f.latencyFactor ?? FAULT_DEFAULTS.latencyFactor,
      delayMs: durationOr(f.delay, FAULT_DEFAULTS.delayMs),
      coldFactor: f.coldFactor ?? FAULT_DEFAULTS.coldFactor,
      warmUpMs: Math.max(1000, durationOr(f.warmUp, FAULT_DEFAULTS.warmUpMs)),
    };
    out.push(fault);
  });
  return out;
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
