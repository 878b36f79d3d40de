/**
 * Commands sent to the world. Each sets a target state: validated in full before anything changes, and reporting
 * `changed: false` when the world already was (or is already becoming) what it asks for.
 */
import type { Layer } from '../model/readings.js';
import { MaelstromError } from '../model/errors.js';
import { RESTART_SECONDS, SHARD_UNITS } from './constants.js';
import { propagationFactor } from './faults.js';
import type { WorldState } from './state.js';
import type { CommandResult, SimCommand, WeightTableData } from './types.js';
import type { ServiceModel } from './world.js';

function bad(message: string): MaelstromError {
  return new MaelstromError('E_BAD_REQUEST', message);
}

export function serviceOf(st: WorldState, name: string): ServiceModel {
  const i = st.world.serviceIndex.get(name);
  if (i === undefined) throw new MaelstromError('E_NOT_FOUND', `no service "${name}" in the fleet`);
  return st.world.services[i]!;
}

function dcOf(st: WorldState, name: string): number {
  const i = st.world.dcIndex.get(name);
  if (i === undefined) throw new MaelstromError('E_NOT_FOUND', `no datacenter "${name}" in the fleet`);
  return i;
}

function runningDc(st: WorldState, svc: ServiceModel, name: string): number {
  const d = dcOf(st, name);
  if (!svc.deployed[d]) throw bad(`service ${svc.name} does not run in ${name}`);
  return d;
}

function finiteNonNegative(x: unknown, what: string): number {
  if (typeof x !== 'number' || !Number.isFinite(x) || x < 0)
    throw bad(`${what} must be a finite number ≥ 0, got ${JSON.stringify(x)}`);
  return x;
}

/** Clusters of the service's cluster tables: those of every datacenter where it runs. */
function clusterDestinations(st: WorldState, svc: ServiceModel): number[] {
  const out: number[] = [];
  for (let d = 0; d < st.D; d++) if (svc.deployed[d]) out.push(...st.world.dcClusters[d]!);
  return out;
}

export function readWeights(st: WorldState, layer: Layer, serviceName: string, baseline: boolean): WeightTableData[] {
  const svc = serviceOf(st, serviceName);
  const { D, C, P, world } = st;
  const s = svc.index;
  const tables: WeightTableData[] = [];
  if (layer === 'edge') {
    if (!svc.userFacing) return tables;
    const src = baseline ? st.edgeBaseline : st.edgeDesired;
    for (let p = 0; p < P; p++) {
      const weights: Record<string, number> = {};
      for (let d = 0; d < D; d++) {
        const w = src[(s * P + p) * D + d]!;
        if (svc.deployed[d] || w > 0) weights[world.datacenters[d]!] = w;
      }
      tables.push({ layer, service: svc.name, source: world.pops[p]!, weights });
    }
    return tables;
  }
  const src = baseline ? st.clusterBaseline : st.clusterDesired;
  const dests = clusterDestinations(st, svc);
  for (let d = 0; d < D; d++) {
    if (!svc.deployed[d]) continue;
    const weights: Record<string, number> = {};
    for (const c of dests) weights[world.clusters[c]!] = src[(s * D + d) * C + c]!;
    tables.push({ layer, service: svc.name, source: world.datacenters[d]!, weights });
  }
  return tables;
}

function setWeights(st: WorldState, cmd: Extract<SimCommand, { kind: 'weights.set' }>, at: number): CommandResult {
  const svc = serviceOf(st, cmd.service);
  const { D, C, P, world } = st;
  const s = svc.index;
  if (cmd.layer !== 'edge' && cmd.layer !== 'cluster')
    throw bad(`layer must be edge or cluster, got ${JSON.stringify(cmd.layer)}`);
  if (typeof cmd.weights !== 'object' || cmd.weights === null)
    throw bad('weights must be an object of destination → weight');
  let target: Float64Array;
  let current: Float64Array;
  let source: number;
  if (cmd.layer === 'edge') {
    if (!svc.userFacing) throw bad(`service ${svc.name} is not user-facing: it has no edge weights`);
    const p = world.popIndex.get(cmd.source);
    if (p === undefined) throw new MaelstromError('E_NOT_FOUND', `no PoP "${cmd.source}" in the fleet`);
    source = p;
    target = new Float64Array(D);
    for (const [dest, w] of Object.entries(cmd.weights)) {
      const d = dcOf(st, dest);
      const v = finiteNonNegative(w, `weight of ${dest}`);
      if (v > 0 && !svc.deployed[d])
        throw bad(`service ${svc.name} does not run in ${dest}: it cannot take edge traffic`);
      target[d] = v;
    }
    current = st.edgeDesired.subarray((s * P + p) * D, (s * P + p + 1) * D);
  } else {
    source = runningDc(st, svc, cmd.source);
    target = new Float64Array(C);
    for (const [dest, w] of Object.entries(cmd.weights)) {
      const c = world.clusterIndex.get(dest);
      if (c === undefined) throw new MaelstromError('E_NOT_FOUND', `no cluster "${dest}" in the fleet`);
      const v = finiteNonNegative(w, `weight of ${dest}`);
      if (v > 0 && !svc.deployed[world.clusterDc[c]!]) throw bad(`service ${svc.name} does not run in cluster ${dest}`);
      target[c] = v;
    }
    current = st.clusterDesired.subarray((s * D + source) * C, (s * D + source + 1) * C);
  }
  let same = true;
  for (let i = 0; i < target.length; i++)
    if (target[i] !== current[i]) {
      same = false;
      break;
    }
  if (same) return { changed: false };
  current.set(target);
  const change = {
    at: at + st.propagation[cmd.layer] * propagationFactor(st.faults, cmd.layer, s, at),
    seq: st.pendingSeq++,
    layer: cmd.layer,
    service: s,
    source,
    weights: target,
  };
  let i = st.pending.length;
  while (i > 0 && st.pending[i - 1]!.at > change.at) i--;
  st.pending.splice(i, 0, change);
  return { changed: true, detail: `effective at ${new Date(change.at).toISOString()}` };
}

function jobsTargets(st: WorldState, svc: ServiceModel, dcName: string, cluster: string | undefined): number[] {
  const d = runningDc(st, svc, dcName);
  if (cluster === undefined) return st.world.dcClusters[d]!.map((c) => svc.index * st.C + c);
  const c = st.world.clusterIndex.get(cluster);
  if (c === undefined || st.world.clusterDc[c] !== d)
    throw new MaelstromError('E_NOT_FOUND', `no cluster "${cluster}" in ${dcName}`);
  return [svc.index * st.C + c];
}

/** Applies a command at simulated time `at`. Throws a MaelstromError (and changes nothing) when it is invalid. */
export function applyCommand(
  st: WorldState,
  cmd: SimCommand,
  at: number,
  generations: Map<number, string>,
): CommandResult {
  switch (cmd.kind) {
    case 'weights.set':
      return setWeights(st, cmd, at);
    case 'sessions.teardown': {
      const svc = serviceOf(st, cmd.service);
      if (svc.type !== 'sticky') throw bad(`service ${svc.name} is ${svc.type}: it has no sessions to tear down`);
      const d = dcOf(st, cmd.datacenter);
      const rate = finiteNonNegative(cmd.rate, 'rate');
      const j = svc.index * st.D + d;
      if (st.teardownRate[j] === rate) return { changed: false };
      st.teardownRate[j] = rate;
      return { changed: true };
    }
    case 'jobs.stop':
    case 'jobs.start': {
      const svc = serviceOf(st, cmd.service);
      const targets = jobsTargets(st, svc, cmd.datacenter, cmd.cluster);
      const stop = cmd.kind === 'jobs.stop' ? 1 : 0;
      let changed = false;
      for (const i of targets) {
        if (st.stopped[i] === stop) continue;
        changed = true;
        st.stopped[i] = stop;
        if (!st.restarts.has(i)) st.jobFactor[i] = stop ? 0 : 1;
      }
      return { changed };
    }
    case 'jobs.restart': {
      const svc = serviceOf(st, cmd.service);
      const targets = jobsTargets(st, svc, cmd.datacenter, cmd.cluster);
      const rate = finiteNonNegative(cmd.rate, 'rate');
      if (rate === 0) throw bad('a restart rate must be above 0');
      if (typeof cmd.generation !== 'string' || cmd.generation === '') throw bad('a restart names its generation');
      let changed = false;
      for (const i of targets) {
        if (generations.get(i) === cmd.generation) continue;
        changed = true;
        generations.set(i, cmd.generation);
        // A rolling restart at `rate` (fraction of the jobs per second) keeps rate × restart time of them down.
        st.restarts.set(i, { generation: cmd.generation, rate, end: at + 1000 / rate });
        if (!st.stopped[i]) st.jobFactor[i] = 1 - Math.min(0.9, rate * RESTART_SECONDS);
      }
      return { changed };
    }
    case 'replication.source': {
      const svc = serviceOf(st, cmd.service);
      if (svc.type !== 'replication') throw bad(`service ${svc.name} is ${svc.type}: it has no replication source`);
      const d = runningDc(st, svc, cmd.source);
      const pending = st.repoints.get(svc.index);
      if (pending ? pending.to === d : st.replicationSource[svc.index] === d) return { changed: false };
      st.repoints.set(svc.index, { to: d, at: at + svc.applyDelayMs });
      return { changed: true, detail: `effective after the apply delay (${svc.applyDelayMs / 1000}s)` };
    }
    case 'replication.replica': {
      const svc = serviceOf(st, cmd.service);
      if (svc.type !== 'replication' && svc.type !== 'stateful')
        throw bad(`service ${svc.name} is ${svc.type}: it has no replicas`);
      const d = runningDc(st, svc, cmd.datacenter);
      if (typeof cmd.enabled !== 'boolean') throw bad('replication.replica says whether the replica is enabled');
      const pace = cmd.catchUp ?? 'unpaced';
      if (pace !== 'unpaced' && pace !== 'network')
        throw bad(`catchUp must be unpaced or network, got ${JSON.stringify(cmd.catchUp)}`);
      const source = svc.type === 'replication' ? st.replicationSource[svc.index]! : st.primary[svc.index]!;
      if (d === source && !cmd.enabled)
        throw new MaelstromError(
          'E_INVALID_STATE',
          `${cmd.datacenter} is the ${svc.type === 'replication' ? 'source' : 'primary'} of ${svc.name}: move it first`,
        );
      const j = svc.index * st.D + d;
      const stopped = cmd.enabled ? 0 : 1;
      const paced = pace === 'network' ? 1 : 0;
      if (st.replicaStopped[j] === stopped && st.networkPaced[j] === paced) return { changed: false };
      st.replicaStopped[j] = stopped;
      st.networkPaced[j] = paced;
      return { changed: true };
    }
    case 'stateful.primary': {
      const svc = serviceOf(st, cmd.service);
      if (svc.type !== 'stateful') throw bad(`service ${svc.name} is ${svc.type}: it has no primary`);
      const d = runningDc(st, svc, cmd.primary);
      const promo = st.promotions.get(svc.index);
      if (promo ? promo.to === d : st.primary[svc.index] === d) return { changed: false };
      if (promo)
        throw new MaelstromError('E_INVALID_STATE', `service ${svc.name} is already being promoted`, {
          retryable: true,
          retryAfterMs: promo.outageEnd - at,
        });
      if (st.lost[d])
        throw new MaelstromError(
          'E_INVALID_STATE',
          `${cmd.primary} is lost: it cannot become the primary of ${svc.name}`,
        );
      const lag = st.lag[svc.index * st.D + d]!;
      if (cmd.maxLagSeconds !== undefined && lag > cmd.maxLagSeconds) {
        throw new MaelstromError(
          'E_INVALID_STATE',
          `the replica of ${svc.name} in ${cmd.primary} is ${lag.toFixed(1)}s behind (at most ${cmd.maxLagSeconds}s allowed)`,
          { retryable: true },
        );
      }
      const catchUpEnd = at + svc.catchUpMs;
      st.promotions.set(svc.index, { to: d, catchUpEnd, outageEnd: catchUpEnd + svc.writeOutageMs });
      return {
        changed: true,
        detail: `catch-up ${svc.catchUpMs / 1000}s, then a write outage of ${svc.writeOutageMs / 1000}s`,
      };
    }
    case 'shards.place': {
      const svc = serviceOf(st, cmd.service);
      if (svc.type !== 'stateful') throw bad(`service ${svc.name} is ${svc.type}: it has no shards`);
      const from = runningDc(st, svc, cmd.from);
      const to = runningDc(st, svc, cmd.to);
      if (!Number.isInteger(cmd.count) || cmd.count <= 0) throw bad('count must be a positive whole number of shards');
      if (cmd.rate !== undefined) finiteNonNegative(cmd.rate, 'rate');
      const moves = st.shardMoves.get(svc.index) ?? [];
      if (moves.some((m) => m.from === from && m.to === to && m.count === cmd.count)) return { changed: false };
      moves.push({
        from,
        to,
        count: cmd.count,
        remainingUnits: cmd.count * SHARD_UNITS,
        unitsPerSecond: cmd.rate === undefined || cmd.rate === 0 ? Number.POSITIVE_INFINITY : cmd.rate * SHARD_UNITS,
        moved: 0,
      });
      st.shardMoves.set(svc.index, moves);
      return { changed: true };
    }
    case 'config.set': {
      if (typeof cmd.key !== 'string' || cmd.key === '') throw bad('config.set names a key');
      const value = JSON.stringify(cmd.value ?? null);
      if (st.config.get(cmd.key) === value) return { changed: false };
      st.config.set(cmd.key, value);
      return { changed: true };
    }
    case 'alerts.suppress': {
      if (typeof cmd.id !== 'string' || cmd.id === '') throw bad('alerts.suppress names an id');
      const value = JSON.stringify({ matchers: cmd.matchers, until: cmd.until });
      if (st.alerts.get(cmd.id) === value) return { changed: false };
      st.alerts.set(cmd.id, value);
      return { changed: true };
    }
    default: {
      const kind = (cmd as { kind?: unknown }).kind;
      throw bad(`the simulator does not support the action ${JSON.stringify(kind)}`);
    }
  }
}
