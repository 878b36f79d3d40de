/**
 * The world's mutable state, in flat typed arrays indexed by service × datacenter (s·D + d), service × cluster
 * (s·C + c) and service × PoP × datacenter (s·P·D + p·D + d). Allocated once; a tick allocates nothing.
 */
import type { Layer } from '../model/readings.js';
import type { ActiveFault } from './faults.js';
import type { Curve } from './demand.js';
import type { World } from './world.js';
import { COLD_FACTOR, LINK_FACTOR, TICK_MS, WARM_TAU_S } from './constants.js';
import { gaussian } from './demand.js';
import { FAILURE_CAUSES, type FailureCause } from './types.js';

/** Index of each failure cause in `WorldState.failedByCause`. */
export const CAUSE = Object.fromEntries(FAILURE_CAUSES.map((c, i) => [c, i])) as Record<FailureCause, number>;
export const NCAUSE = FAILURE_CAUSES.length;

export interface PendingWeights {
  readonly at: number;
  readonly seq: number;
  readonly layer: Layer;
  readonly service: number;
  readonly source: number;
  readonly weights: Float64Array;
}

/** A change of the world that takes effect by itself: a weight change propagated, a fault starting or ending. */
export type WorldChange =
  | { readonly kind: 'weights.effective'; readonly at: number; readonly change: PendingWeights }
  | { readonly kind: 'fault.start' | 'fault.end'; readonly at: number; readonly fault: number };

export interface Promotion {
  readonly to: number;
  readonly catchUpEnd: number;
  readonly outageEnd: number;
}
export interface Repoint {
  readonly to: number;
  readonly at: number;
}
export interface ShardMove {
  readonly from: number;
  readonly to: number;
  readonly count: number;
  remainingUnits: number;
  readonly unitsPerSecond: number;
  moved: number;
}
export interface Restart {
  readonly generation: string;
  readonly rate: number;
  readonly end: number;
}

export class WorldState {
  readonly S: number;
  readonly D: number;
  readonly C: number;
  readonly P: number;
  time: number;
  tickNo = 0;
  pendingSeq = 0;

  // routing: desired (as last set), baseline, and effective (normalised fractions after propagation)
  readonly edgeDesired: Float64Array;
  readonly edgeBaseline: Float64Array;
  readonly edgeFrac: Float64Array;
  readonly clusterDesired: Float64Array;
  readonly clusterBaseline: Float64Array;
  /**
   * Effective cluster routes, flat for locality: for service × source datacenter j, `routeLen[j]` destinations at
   * `routeCl` / `routeFr` from j·C on (cluster index and fraction).
   */
  readonly routeCl: Int32Array;
  readonly routeFr: Float64Array;
  readonly routeLen: Int32Array;
  /** Nominal capacity and whether the service runs, per service × datacenter (copies of the world's, flat). */
  readonly nominal: Float64Array;
  readonly deployed: Uint8Array;
  pending: PendingWeights[] = [];
  /** Told of every change that takes effect by itself (the simulator's own journal); nothing by default. */
  onChange: ((change: WorldChange) => void) | undefined = undefined;

  // per service × cluster
  readonly backlog: Float64Array;
  readonly warm: Float64Array;
  readonly jobFactor: Float64Array;
  readonly stopped: Uint8Array;
  readonly ownLatency: Float64Array;
  readonly clusterLoad: Float64Array;
  /** receiver-slow faults: what is left of a cluster's capacity, and the factor on its latency. */
  readonly clusterCap: Float64Array;
  readonly latencyScale: Float64Array;
  readonly restarts = new Map<number, Restart>();

  // per service × datacenter, figures of the last tick (rates per second)
  readonly load: Float64Array;
  readonly served: Float64Array;
  readonly failed: Float64Array;
  readonly capacity: Float64Array;
  readonly effLoad: Float64Array;
  /** Requests per second sent to the datacenter, including those lost on the way (links, a lost datacenter). */
  readonly offered: Float64Array;
  readonly inflight: Float64Array;
  readonly edgeShare: Float64Array;
  readonly rpcIn: Float64Array;
  readonly sessions: Float64Array;
  readonly teardownRate: Float64Array;
  readonly lag: Float64Array;
  readonly catchUp: Float64Array;
  readonly shards: Float64Array;
  readonly capFraction: Float64Array;
  /**
   * What a cold request costs, in warm ones, and the share of the gap to the load a cluster's warm level closes per
   * tick (1 s / the warm-up time constant): the model's constants, raised by a cold-cache fault.
   */
  readonly coldFactor: Float64Array;
  readonly warmRate: Float64Array;
  /** Per service: demand offered at the edge in the last tick, and failures not attributable to a datacenter. */
  readonly demand: Float64Array;
  /** Per service: the demand noise process (a unit-variance AR(1) series), and where it starts. */
  readonly noiseState: Float64Array;
  readonly noiseStart: Float64Array;
  readonly unrouted: Float64Array;
  /** Scratch of `latencies` (readings.ts), per service × datacenter: each cluster's worst, and the full p99. */
  readonly latencyOwn: Float64Array;
  readonly latencyFull: Float64Array;

  // per datacenter
  readonly lost: Uint8Array;
  readonly passFraction: Float64Array;
  readonly inbound: Float64Array;
  readonly linkCapacity: Float64Array;
  readonly backboneCap: Float64Array;
  /** Per service × datacenter: the replica receives no stream (1), and catches up paced by the network (1). */
  readonly replicaStopped: Uint8Array;
  readonly networkPaced: Uint8Array;

  // state machines
  readonly replicationSource: Int32Array;
  readonly repoints = new Map<number, Repoint>();
  readonly primary: Int32Array;
  readonly promotions = new Map<number, Promotion>();
  readonly shardMoves = new Map<number, ShardMove[]>();
  readonly config = new Map<string, string>();
  readonly alerts = new Map<string, string>();
  /** Per fault of `faults`: whether it was active in the last tick (1), as the world's fault state reflects. */
  readonly faultActive: Uint8Array;
  /** Set when the fault state must be recomputed, and every active fault told as starting, on the next tick. */
  faultsUnsettled = false;
  /** Backbone capacity captured when each backbone fault struck, by fault index. */
  readonly faultCaps = new Map<number, number>();
  /** While priming, caches are warm at whatever load arrives (the world starts in its steady state). */
  priming = false;

  // counters since the start
  /** Cross-datacenter RPC this tick, requests per second: calls sent to another datacenter, writes to a primary there. */
  crossRpcRate = 0;
  crossRpcTotal = 0;
  /**
   * The calls among them (requests per second this tick): sent to another datacenter because the callee is not
   * served in the caller's (its cluster table routes the call away, or it does not run there). Writes to a primary
   * elsewhere are not among them: every datacenter but the primary's sends its writes across, whatever the order.
   */
  crossCallRate = 0;
  crossCallTotal = 0;
  failedTotal = 0;
  servedTotal = 0;
  offeredTotal = 0;
  readonly failedByService: Float64Array;
  readonly offeredByService: Float64Array;
  readonly servedByService: Float64Array;
  readonly overloadSeconds: Float64Array;
  readonly maxUtilization: Float64Array;
  readonly backboneTotal: Float64Array;
  /**
   * Failed requests by service, place and cause: index ((s · (D + 1)) + d) · NCAUSE + cause, with d = D for requests
   * that never reached a datacenter (unrouted at the edge).
   */
  readonly failedByCause: Float64Array;
  /**
   * Per datacenter: seconds its links were asked for more than they carry, and the most they were asked for (as a
   * multiple of what they carry).
   */
  readonly linkSaturatedSeconds: Float64Array;
  readonly linkPeak: Float64Array;

  constructor(
    readonly world: World,
    readonly curve: Curve,
    readonly seed: number,
    readonly startMs: number,
    readonly propagation: Readonly<Record<Layer, number>>,
    readonly faults: readonly ActiveFault[],
  ) {
    const S = (this.S = world.services.length);
    const D = (this.D = world.datacenters.length);
    const C = (this.C = world.clusters.length);
    const P = (this.P = world.pops.length);
    this.time = startMs;
    this.faultActive = new Uint8Array(faults.length);
    this.edgeDesired = new Float64Array(S * P * D);
    this.edgeFrac = new Float64Array(S * P * D);
    this.clusterDesired = new Float64Array(S * D * C);
    this.routeCl = new Int32Array(S * D * C);
    this.routeFr = new Float64Array(S * D * C);
    this.routeLen = new Int32Array(S * D);
    this.nominal = new Float64Array(S * D);
    this.deployed = new Uint8Array(S * D);
    for (const svc of world.services) {
      this.nominal.set(svc.capacity, svc.index * D);
      this.deployed.set(svc.deployed, svc.index * D);
    }
    for (const svc of world.services) {
      const s = svc.index;
      if (svc.userFacing) {
        for (let p = 0; p < P; p++) {
          let sum = 0;
          for (let d = 0; d < D; d++) sum += svc.deployed[d]! ? world.popWeights[p * D + d]! : 0;
          for (let d = 0; d < D; d++) {
            // A PoP whose default weights name no datacenter running the service spreads it by capacity.
            this.edgeDesired[(s * P + p) * D + d] =
              sum > 0 ? (svc.deployed[d]! ? world.popWeights[p * D + d]! : 0) : svc.capacity[d]!;
          }
        }
      }
      for (let d = 0; d < D; d++) {
        if (!svc.deployed[d]) continue;
        for (const c of world.dcClusters[d]!) this.clusterDesired[(s * D + d) * C + c] = 1;
      }
    }
    this.edgeBaseline = this.edgeDesired.slice();
    this.clusterBaseline = this.clusterDesired.slice();
    for (let s = 0; s < S; s++) {
      for (let p = 0; p < P; p++) this.applyEdge(s, p, this.edgeDesired.subarray((s * P + p) * D, (s * P + p + 1) * D));
      for (let d = 0; d < D; d++)
        this.applyCluster(s, d, this.clusterDesired.subarray((s * D + d) * C, (s * D + d + 1) * C));
    }

    this.backlog = new Float64Array(S * C);
    this.warm = new Float64Array(S * C);
    this.jobFactor = new Float64Array(S * C).fill(1);
    this.stopped = new Uint8Array(S * C);
    this.ownLatency = new Float64Array(S * C);
    this.clusterLoad = new Float64Array(S * C);
    this.clusterCap = new Float64Array(S * C).fill(1);
    this.latencyScale = new Float64Array(S * C).fill(1);
    const SD = S * D;
    this.load = new Float64Array(SD);
    this.served = new Float64Array(SD);
    this.failed = new Float64Array(SD);
    this.capacity = new Float64Array(SD);
    this.effLoad = new Float64Array(SD);
    this.offered = new Float64Array(SD);
    this.inflight = new Float64Array(SD);
    this.edgeShare = new Float64Array(SD);
    this.rpcIn = new Float64Array(SD);
    this.sessions = new Float64Array(SD);
    this.teardownRate = new Float64Array(SD);
    this.lag = new Float64Array(SD);
    this.catchUp = new Float64Array(SD);
    this.shards = new Float64Array(SD);
    this.capFraction = new Float64Array(SD).fill(1);
    this.coldFactor = new Float64Array(SD).fill(COLD_FACTOR);
    this.warmRate = new Float64Array(SD).fill(TICK_MS / 1000 / WARM_TAU_S);
    this.demand = new Float64Array(S);
    this.noiseStart = Float64Array.from({ length: S }, (_, s) => gaussian(seed, s, -1));
    this.noiseState = this.noiseStart.slice();
    this.unrouted = new Float64Array(S);
    this.latencyOwn = new Float64Array(SD);
    this.latencyFull = new Float64Array(SD);
    this.lost = new Uint8Array(D);
    this.passFraction = new Float64Array(D).fill(1);
    this.inbound = new Float64Array(D);
    this.linkCapacity = new Float64Array(D);
    this.backboneCap = new Float64Array(D).fill(Number.POSITIVE_INFINITY);
    this.replicaStopped = new Uint8Array(SD);
    this.networkPaced = new Uint8Array(SD);
    this.replicationSource = new Int32Array(S);
    this.primary = new Int32Array(S);
    this.failedByService = new Float64Array(S);
    this.offeredByService = new Float64Array(S);
    this.servedByService = new Float64Array(S);
    this.overloadSeconds = new Float64Array(SD);
    this.maxUtilization = new Float64Array(SD);
    this.backboneTotal = new Float64Array(D);
    this.failedByCause = new Float64Array(S * (D + 1) * NCAUSE);
    this.linkSaturatedSeconds = new Float64Array(D);
    this.linkPeak = new Float64Array(D);
    for (const svc of world.services) {
      const s = svc.index;
      this.replicationSource[s] = svc.replicationSource;
      this.primary[s] = svc.primary;
      let deployedCount = 0;
      for (let d = 0; d < D; d++) {
        this.linkCapacity[d] = this.linkCapacity[d]! + LINK_FACTOR * svc.capacity[d]!;
        deployedCount += svc.deployed[d]!;
      }
      if (svc.shards > 0 && deployedCount > 0) {
        // Shards start spread evenly over the datacenters that run the service.
        for (let d = 0; d < D; d++) if (svc.deployed[d]) this.shards[s * D + d] = svc.shards / deployedCount;
      }
    }
    for (let d = 0; d < D; d++) if (world.backbone[d]! > 0) this.linkCapacity[d] = world.backbone[d]!;
  }

  /** Makes a PoP's edge weights effective: normalised fractions (all zero when every weight is zero). */
  applyEdge(s: number, p: number, weights: ArrayLike<number>): void {
    const D = this.D;
    let sum = 0;
    for (let d = 0; d < D; d++) sum += weights[d]!;
    const base = (s * this.P + p) * D;
    for (let d = 0; d < D; d++) this.edgeFrac[base + d] = sum > 0 ? weights[d]! / sum : 0;
  }

  /** Makes a source datacenter's cluster weights effective, as a list of destinations with positive weight. */
  applyCluster(s: number, d: number, weights: ArrayLike<number>): void {
    const C = this.C;
    let sum = 0;
    for (let c = 0; c < C; c++) {
      const w = weights[c]!;
      if (w > 0) sum += w;
    }
    const j = s * this.D + d;
    let k = j * C;
    for (let c = 0; c < C; c++) {
      const w = weights[c]!;
      if (w > 0) {
        this.routeCl[k] = c;
        this.routeFr[k] = w / sum;
        k++;
      }
    }
    this.routeLen[j] = k - j * C;
  }

  /** Whether the service has a cluster table at this source (it runs there, now or at the baseline). */
  hasClusterTable(s: number, d: number): boolean {
    return this.world.services[s]!.deployed[d] === 1;
  }
}
