/**
 * A fleet compiled into index form: datacenters, clusters, PoPs and services numbered once, so that the per-tick
 * model works on flat typed arrays instead of maps of names.
 */
import type { Fleet, Service, TrafficType } from '../model/definitions.js';
import { durationMs } from '../model/duration.js';
import { MaelstromError } from '../model/errors.js';

export interface Callee {
  readonly service: number;
  /** Calls per request served. */
  readonly fanout: number;
}

export interface ServiceModel {
  readonly index: number;
  readonly name: string;
  readonly type: TrafficType;
  readonly userFacing: boolean;
  /** Global peak demand, requests per second (user-facing services). */
  readonly demand: number;
  /** Nominal capacity per datacenter index (0 where the service does not run). */
  readonly capacity: Float64Array;
  /** Whether the service runs in the datacenter. */
  readonly deployed: Uint8Array;
  /** Run-time callees (rpc and state dependencies); bootstrap dependencies carry no traffic. */
  readonly callees: readonly Callee[];
  readonly sessionMs: number;
  readonly replicationSource: number;
  readonly applyDelayMs: number;
  readonly primary: number;
  readonly catchUpMs: number;
  readonly writeOutageMs: number;
  readonly shards: number;
}

export interface World {
  readonly fleet: Fleet;
  readonly datacenters: readonly string[];
  readonly clusters: readonly string[];
  /** Datacenter index of each cluster. */
  readonly clusterDc: Int32Array;
  /** Cluster indices of each datacenter. */
  readonly dcClusters: readonly (readonly number[])[];
  /** Backbone capacity into each datacenter as the fleet declares it, request units per second; 0 when it does not. */
  readonly backbone: Float64Array;
  readonly pops: readonly string[];
  readonly popShare: Float64Array;
  /** Default edge weights, pop × datacenter. */
  readonly popWeights: Float64Array;
  readonly services: readonly ServiceModel[];
  /** Service indices with callers before callees (dependency cycles broken at the back edge). */
  readonly order: Int32Array;
  readonly dcIndex: ReadonlyMap<string, number>;
  readonly clusterIndex: ReadonlyMap<string, number>;
  readonly popIndex: ReadonlyMap<string, number>;
  readonly serviceIndex: ReadonlyMap<string, number>;
}

function indexOf(names: readonly string[]): Map<string, number> {
  return new Map(names.map((n, i) => [n, i]));
}

function dcOf(map: ReadonlyMap<string, number>, name: string, where: string): number {
  const i = map.get(name);
  if (i === undefined) throw new MaelstromError('E_UNKNOWN_REF', `${where}: no datacenter "${name}" in the fleet`);
  return i;
}

export function compileWorld(fleet: Fleet): World {
  const spec = fleet.spec;
  const datacenters = spec.datacenters.map((d) => d.name);
  const dcIndex = indexOf(datacenters);
  const clusters: string[] = [];
  const clusterDcList: number[] = [];
  const dcClusters: number[][] = [];
  spec.datacenters.forEach((d, di) => {
    dcClusters.push(
      d.clusters.map((c) => {
        clusters.push(c);
        clusterDcList.push(di);
        return clusters.length - 1;
      }),
    );
  });
  const pops = spec.pops.map((p) => p.name);
  const D = datacenters.length;
  const popShare = new Float64Array(pops.length);
  const popWeights = new Float64Array(pops.length * D);
  spec.pops.forEach((p, pi) => {
    popShare[pi] = p.share;
    for (const [dc, w] of Object.entries(p.weights)) popWeights[pi * D + dcOf(dcIndex, dc, `pop ${p.name}`)] = w;
  });
  const serviceIndex = indexOf(spec.services.map((s) => s.name));
  const services = spec.services.map((s, i) => compileService(s, i, dcIndex, serviceIndex, D));
  return {
    fleet,
    datacenters,
    clusters,
    clusterDc: Int32Array.from(clusterDcList),
    dcClusters,
    backbone: Float64Array.from(spec.datacenters, (d) => d.backbone ?? 0),
    pops,
    popShare,
    popWeights,
    services,
    order: topologicalOrder(services),
    dcIndex,
    clusterIndex: indexOf(clusters),
    popIndex: indexOf(pops),
    serviceIndex,
  };
}

function compileService(
  s: Service,
  index: number,
  dcIndex: ReadonlyMap<string, number>,
  serviceIndex: ReadonlyMap<string, number>,
  D: number,
): ServiceModel {
  const capacity = new Float64Array(D);
  const deployed = new Uint8Array(D);
  for (const [dc, c] of Object.entries(s.capacity)) {
    const di = dcOf(dcIndex, dc, `service ${s.name}`);
    capacity[di] = Math.max(0, c);
    deployed[di] = c > 0 ? 1 : 0;
  }
  const callees: Callee[] = [];
  for (const dep of s.dependsOn ?? []) {
    if (dep.kind === 'bootstrap') continue;
    const callee = serviceIndex.get(dep.service);
    if (callee === undefined)
      throw new MaelstromError('E_UNKNOWN_REF', `service ${s.name}: depends on unknown service "${dep.service}"`);
    callees.push({ service: callee, fanout: dep.fanout ?? 1 });
  }
  return {
    index,
    name: s.name,
    type: s.type,
    userFacing: s.userFacing ?? false,
    demand: s.demand ?? 0,
    capacity,
    deployed,
    callees,
    sessionMs: s.session ? durationMs(s.session.meanDuration) : 600_000,
    replicationSource: s.replication ? dcOf(dcIndex, s.replication.source, `service ${s.name}`) : -1,
    applyDelayMs: s.replication?.applyDelay ? durationMs(s.replication.applyDelay) : 60_000,
    primary: s.stateful ? dcOf(dcIndex, s.stateful.primary, `service ${s.name}`) : -1,
    catchUpMs: s.stateful?.catchUp ? durationMs(s.stateful.catchUp) : 30_000,
    writeOutageMs: s.stateful?.writeOutage ? durationMs(s.stateful.writeOutage) : 5_000,
    shards: s.stateful?.shards ?? 0,
  };
}

/** Depth-first post-order over callees, reversed: every caller comes before the services it calls. */
function topologicalOrder(services: readonly ServiceModel[]): Int32Array {
  const state = new Uint8Array(services.length); // 0 new, 1 on the stack, 2 done
  const out: number[] = [];
  const visit = (i: number): void => {
    if (state[i] !== 0) return; // a service on the stack is a cycle's back edge: its traffic lags a tick
    state[i] = 1;
    for (const c of services[i]!.callees) visit(c.service);
    state[i] = 2;
    out.push(i);
  };
  for (let i = 0; i < services.length; i++) visit(i);
  return Int32Array.from(out.reverse());
}
