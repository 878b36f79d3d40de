/**
 * The fleet simulator: a fleet and a scenario become a world that steps in fixed ticks, takes commands at given
 * simulated times, and answers readings, time series and counters. Deterministic: the same fleet, scenario, seed
 * and commands at the same times give the same figures, bit for bit, however the caller steps it.
 */
import type { Fleet, Scenario } from '../model/definitions.js';
import { LoadCurve } from '../model/definitions.js';
import { durationMs } from '../model/duration.js';
import { MaelstromError } from '../model/errors.js';
import type { FleetSnapshot, Layer } from '../model/readings.js';
import { applyCommand, readWeights, serviceOf } from './commands.js';
import { DEFAULT_CLUSTER_PROPAGATION_MS, DEFAULT_EDGE_PROPAGATION_MS, SESSION_RPS, TICK_MS } from './constants.js';
import { compileCurve } from './demand.js';
import { compileFaults, isActive, mechanismOf, type ActiveFault } from './faults.js';
import { ReadingHistory } from './lag.js';
import { snapshot, truth } from './readings.js';
import { SeriesRecorder } from './series.js';
import { NCAUSE, WorldState, type WorldChange } from './state.js';
import { tick } from './tick.js';
import {
  FAILURE_CAUSES,
  type CommandResult,
  type FailureCount,
  type SeriesMetric,
  type SeriesQuery,
  type Series,
  type SimCommand,
  type SimCounters,
  type WeightTableData,
} from './types.js';
import { compileWorld, type World } from './world.js';

export interface SimulationOptions {
  readonly fleet: Fleet;
  /** Without one, a steady world: seed 1, the default diurnal curve, default propagation, no faults. */
  readonly scenario?: Scenario;
  /** Overrides the scenario's seed. */
  readonly seed?: number;
  /** Overrides the scenario's start (ms since the epoch). */
  readonly startMs?: number;
  /** Recording resolution of time series, a multiple of the 1-second tick (default 10 s); 0 records none. */
  readonly seriesResolutionMs?: number;
}

/** Start of the default steady world: an evening shortly before the default daily peak. */
export const DEFAULT_START_MS = Date.parse('2026-03-02T19:30:00Z');

export interface Simulation {
  readonly world: World;
  readonly startMs: number;
  /** End of the scenario, if one was given. */
  readonly endMs: number | undefined;
  readonly tickMs: number;
  /** The world's time: the end of the last tick computed. */
  now(): number;
  /** Steps the world through every whole tick ending at or before `t`. */
  advanceTo(t: number): void;
  /** Carries out a command at simulated time `at` (default: the world's time). */
  apply(command: SimCommand, at?: number): CommandResult;
  /** The mechanism fault that a command would meet at time `at`, if any. */
  faultFor(command: SimCommand, at: number): ActiveFault | undefined;
  weights(layer: Layer, service: string): WeightTableData[];
  baselineWeights(layer: Layer, service: string): WeightTableData[];
  snapshot(): FleetSnapshot;
  truth(service: string): { capacity: Record<string, number>; load: Record<string, number> };
  propagationMs(layer: Layer): number;
  series(metric: SeriesMetric, query?: SeriesQuery): Series;
  counters(): SimCounters;
  /** Requests offered, served and failed since the start, and in flight now (for the conservation invariant). */
  conservation(): { offered: number; served: number; failed: number; inflight: number };
  /** Bytes held by recorded time series. */
  seriesBytes(): number;
  /** The raw state, for tests and the metrics endpoint. */
  readonly state: WorldState;
  /** Tells `listener` of every change that takes effect by itself from now on (one listener; undefined: none). */
  onChange(listener: ((change: SimChange) => void) | undefined): void;
}

/** A change of the simulated world that no call made at that instant: the simulator's own journal. */
export type SimChange =
  | {
      readonly kind: 'weights.effective';
      /** Simulated time it took effect. */
      readonly time: number;
      readonly layer: Layer;
      readonly service: string;
      readonly source: string;
      readonly weights: Readonly<Record<string, number>>;
    }
  | {
      readonly kind: 'fault.start' | 'fault.end';
      readonly time: number;
      readonly fault: string;
      readonly datacenter?: string;
      readonly service?: string;
    };

export function createSimulation(options: SimulationOptions): Simulation {
  const { fleet, scenario } = options;
  if (scenario && scenario.spec.fleet !== fleet.metadata.name) {
    throw new MaelstromError(
      'E_FLEET',
      `scenario ${scenario.metadata.name} is for fleet ${scenario.spec.fleet}, not ${fleet.metadata.name}`,
    );
  }
  const world = compileWorld(fleet);
  const startMs = options.startMs ?? (scenario ? Date.parse(scenario.spec.start) : DEFAULT_START_MS);
  const seed = options.seed ?? scenario?.spec.seed ?? 1;
  const curve = compileCurve(scenario?.spec.load ?? LoadCurve.parse({}));
  const propagation: Record<Layer, number> = {
    edge: scenario ? durationMs(scenario.spec.propagation.edge) : DEFAULT_EDGE_PROPAGATION_MS,
    cluster: scenario ? durationMs(scenario.spec.propagation.cluster) : DEFAULT_CLUSTER_PROPAGATION_MS,
  };
  const faults = compileFaults(world, scenario?.spec.faults ?? [], startMs);
  const st = new WorldState(world, curve, seed, startMs, propagation, faults);
  prime(st);
  const resolution = options.seriesResolutionMs ?? 10_000;
  if (resolution < 0 || resolution % TICK_MS !== 0)
    throw new MaelstromError('E_BAD_REQUEST', `series resolution must be a multiple of ${TICK_MS} ms`);
  const recorder = resolution > 0 ? new SeriesRecorder(st, resolution) : undefined;
  const history = faults.some((f) => f.kind === 'metrics-lag')
    ? new ReadingHistory(
        faults,
        world.datacenters,
        world.services.map((s) => s.name),
      )
    : undefined;
  const generations = new Map<number, string>();
  const byDc = (arr: Float64Array): Record<string, Record<string, number>> => {
    const out: Record<string, Record<string, number>> = {};
    for (const svc of world.services) {
      const row: Record<string, number> = {};
      for (let d = 0; d < st.D; d++) if (svc.deployed[d]) row[world.datacenters[d]!] = arr[svc.index * st.D + d]!;
      out[svc.name] = row;
    }
    return out;
  };

  /**
   * The readings of the last tick, built once: a drill's tasks, health checks and stages read the world many times
   * at one instant (about twice per tick read in a drain test), and a snapshot is plain data nobody changes.
   * Forgotten at every tick and every command.
   */
  let current: FleetSnapshot | undefined;
  const readings = (): FleetSnapshot => (current ??= snapshot(st));

  return {
    world,
    startMs,
    tickMs: TICK_MS,
    state: st,
    endMs: scenario ? startMs + durationMs(scenario.spec.duration) : undefined,
    now: () => st.time,
    advanceTo(t) {
      while (st.time + TICK_MS <= t) {
        current = undefined;
        tick(st);
        recorder?.record();
        if (history?.wants(st.time)) history.record(readings());
      }
    },
    apply(command, at = st.time) {
      current = undefined;
      return applyCommand(st, command, at, generations);
    },
    faultFor(command, at) {
      const mech = mechanismOf(command.kind, command.kind === 'weights.set' ? command.layer : undefined);
      const svcName = 'service' in command ? command.service : undefined;
      const dcName =
        'datacenter' in command
          ? command.datacenter
          : command.kind === 'weights.set' && command.layer === 'cluster'
            ? command.source
            : undefined;
      return faults.find(
        (f) =>
          f.kind === 'mechanism' &&
          isActive(f, at) &&
          (f.mechanism === undefined || f.mechanism === mech) &&
          (f.service < 0 || world.services[f.service]!.name === svcName) &&
          (f.dc < 0 || dcName === undefined || world.datacenters[f.dc] === dcName),
      );
    },
    weights: (layer, service) => readWeights(st, layer, service, false),
    baselineWeights: (layer, service) => readWeights(st, layer, service, true),
    snapshot: () => (history ? history.apply(readings()) : readings()),
    truth: (service) => truth(st, serviceOf(st, service).index),
    propagationMs: (layer) => propagation[layer],
    series(metric, query) {
      if (!recorder) throw new MaelstromError('E_BAD_REQUEST', 'this simulation records no time series');
      return recorder.query(metric, query);
    },
    counters() {
      const backbone: Record<string, number> = {};
      const backboneSaturatedSeconds: Record<string, number> = {};
      const backbonePeakUtilization: Record<string, number> = {};
      world.datacenters.forEach((n, d) => {
        backbone[n] = st.backboneTotal[d]!;
        backboneSaturatedSeconds[n] = st.linkSaturatedSeconds[d]!;
        backbonePeakUtilization[n] = st.linkPeak[d]!;
      });
      const failedByService: Record<string, number> = {};
      for (const svc of world.services) failedByService[svc.name] = st.failedByService[svc.index]!;
      return {
        time: st.time,
        failedRequests: st.failedTotal,
        servedRequests: st.servedTotal,
        crossDatacenterRpc: st.crossRpcTotal,
        crossDatacenterCalls: st.crossCallTotal,
        backbone,
        backboneSaturatedSeconds,
        backbonePeakUtilization,
        overloadSeconds: byDc(st.overloadSeconds),
        maxUtilization: byDc(st.maxUtilization),
        failedByService,
        failures: failuresOf(st),
      };
    },
    conservation() {
      let inflight = 0;
      for (let i = 0; i < st.backlog.length; i++) inflight += st.backlog[i]!;
      for (let i = 0; i < st.rpcIn.length; i++) inflight += st.rpcIn[i]!; // calls queued for the next tick (cycles)
      return { offered: st.offeredTotal, served: st.servedTotal, failed: st.failedTotal, inflight };
    },
    seriesBytes: () => recorder?.bytes() ?? 0,
    onChange(listener) {
      st.onChange = listener && ((c) => listener(namedChange(c)));
    },
  };

  function namedChange(c: WorldChange): SimChange {
    if (c.kind === 'weights.effective') {
      const { layer, service, source, weights } = c.change;
      const names = layer === 'edge' ? world.datacenters : world.clusters;
      const table: Record<string, number> = {};
      weights.forEach((w, i) => {
        if (w > 0 || layer === 'edge') table[names[i]!] = w;
      });
      return {
        kind: c.kind,
        time: c.at,
        layer,
        service: world.services[service]!.name,
        source: (layer === 'edge' ? world.pops : world.datacenters)[source]!,
        weights: table,
      };
    }
    const f = faults[c.fault]!;
    return {
      kind: c.kind,
      time: c.at,
      fault: f.kind,
      ...(f.dc >= 0 ? { datacenter: world.datacenters[f.dc]! } : {}),
      ...(f.service >= 0 ? { service: world.services[f.service]!.name } : {}),
    };
  }
}

/**
 * Brings the world to its steady state before the start: sessions established, caches warm at the load they carry,
 * replicas caught up. Then time, queues and counters return to zero.
 */
function prime(st: WorldState): void {
  const { D } = st;
  const f = st.curve.factor(st.startMs);
  for (const svc of st.world.services) {
    if (svc.type !== 'sticky' || !svc.userFacing) continue;
    const P = st.P;
    for (let p = 0; p < P; p++) {
      for (let d = 0; d < D; d++) {
        const j = svc.index * D + d;
        st.sessions[j] =
          st.sessions[j]! +
          (svc.demand * f * st.world.popShare[p]! * st.edgeFrac[(svc.index * P + p) * D + d]!) / SESSION_RPS;
      }
    }
  }
  st.priming = true;
  for (let i = 0; i < 3; i++) tick(st);
  st.priming = false;
  for (const svc of st.world.services) {
    if (svc.type !== 'sticky' || svc.userFacing) continue;
    for (let d = 0; d < D; d++) st.sessions[svc.index * D + d] = st.served[svc.index * D + d]! / SESSION_RPS;
  }
  st.time = st.startMs;
  st.tickNo = 0;
  st.noiseState.set(st.noiseStart);
  st.backlog.fill(0);
  st.rpcIn.fill(0);
  st.crossRpcTotal = 0;
  st.crossCallTotal = 0;
  st.failedTotal = 0;
  st.servedTotal = 0;
  st.offeredTotal = 0;
  st.failedByService.fill(0);
  st.failedByCause.fill(0);
  st.offeredByService.fill(0);
  st.servedByService.fill(0);
  st.overloadSeconds.fill(0);
  st.maxUtilization.fill(0);
  st.backboneTotal.fill(0);
  st.linkSaturatedSeconds.fill(0);
  st.linkPeak.fill(0);
  st.faultCaps.clear();
  st.faultActive.fill(0); // recomputed on the first tick, where the faults active from the start are told
  st.faultsUnsettled = true;
}

/** Failed requests by service, place and cause, in the fleet's order of services, datacenters and causes. */
function failuresOf(st: WorldState): FailureCount[] {
  const { D, world } = st;
  const out: FailureCount[] = [];
  for (const svc of world.services) {
    for (let d = 0; d <= D; d++) {
      for (let k = 0; k < NCAUSE; k++) {
        const requests = st.failedByCause[(svc.index * (D + 1) + d) * NCAUSE + k]!;
        if (requests <= 0) continue;
        out.push({
          service: svc.name,
          datacenter: d < D ? world.datacenters[d]! : null,
          cause: FAILURE_CAUSES[k]!,
          requests,
        });
      }
    }
  }
  return out;
}
