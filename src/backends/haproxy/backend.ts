/**
 * The HAProxy backend: weight tables are HAProxy backends' server weights, read and set through the runtime API;
 * a weight of 0 also puts the server in `drain` state (and a positive one back in `ready`); `sessions.teardown`
 * shuts down the sessions of the datacenter's server. Readings come from a MetricsSource (Prometheus), to which this
 * backend adds each datacenter's share, computed from the weights it reads.
 *
 * Every action reads the current state first and sends only what differs, so that sending it twice changes nothing.
 */
import { systemClock, type Clock } from '../../model/clock.js';
import type { Fleet } from '../../model/definitions.js';
import { MaelstromError } from '../../model/errors.js';
import type { DatacenterReading, FleetSnapshot, Layer, ServiceReading } from '../../model/readings.js';
import type {
  ActOptions,
  Action,
  ActionKind,
  ActionResult,
  Backend,
  CallOptions,
  MetricsSource,
  SnapshotOptions,
  WeightTable,
} from '../backend.js';
import type { HaproxyConfig, ServiceMapping } from './config.js';
import { RuntimeApi, type ServerState } from './runtime-api.js';
import { sameIntegers, toHaproxyWeights } from './weights.js';
import { createCallJournal } from '../call-journal.js';

export interface HaproxyBackendOptions {
  readonly config: HaproxyConfig;
  /** Where health readings come from; without it a snapshot holds only the shares. */
  readonly metrics?: MetricsSource;
  /** PoP shares and cluster → datacenter, for the share readings. */
  readonly fleet?: Fleet;
  readonly clock?: Clock;
  /** Clear messages when the runtime socket is lost (the run holds meanwhile). */
  readonly onIssue?: (message: string) => void;
}

export interface HaproxyBackend extends Backend {
  /** `set server B/S state ready|drain|maint`, when not already in that state. */
  setServerState(
    backend: string,
    server: string,
    state: 'ready' | 'drain' | 'maint',
    options?: CallOptions,
  ): Promise<ActionResult>;
  readonly api: RuntimeApi;
}

interface TableMap {
  readonly layer: Layer;
  readonly service: string;
  readonly source: string;
  readonly backend: string;
  /** Destination → server. */
  readonly servers: Readonly<Record<string, string>>;
  /** Declared in the mapping. */
  readonly baseline?: Readonly<Record<string, number>>;
}

const SUPPORTS: ReadonlySet<ActionKind> = new Set<ActionKind>(['weights.set', 'sessions.teardown']);
const MAINT_BITS = 0x01 | 0x02 | 0x04 | 0x20;
const DRAIN_BITS = 0x08 | 0x10;

function tablesOf(m: ServiceMapping): TableMap[] {
  return [
    ...(m.edge ?? []).map((e) => ({
      layer: 'edge' as const,
      service: m.service,
      source: e.pop,
      backend: e.backend,
      servers: e.servers,
      ...(e.baseline ? { baseline: e.baseline } : {}),
    })),
    ...(m.cluster ?? []).map((c) => ({
      layer: 'cluster' as const,
      service: m.service,
      source: c.datacenter,
      backend: c.backend,
      servers: c.servers,
      ...(c.baseline ? { baseline: c.baseline } : {}),
    })),
  ];
}

/**
 * The table a restore returns to, when it can be known without looking at HAProxy: declared in the mapping, or
 * derived from the fleet as the simulator does (a PoP's default weights over the datacenters running the service,
 * spread by capacity when they name none; a datacenter's own clusters, evenly). Reading it from HAProxy at start-up
 * would take a drained datacenter's zero for its baseline whenever the controller starts after a drain (a restart,
 * a restore run by another process), and the restore would then silently do nothing.
 */
function declaredBaseline(m: TableMap, fleet: Fleet | undefined): Record<string, number> | undefined {
  const dests = Object.keys(m.servers);
  if (m.baseline) return Object.fromEntries(dests.map((d) => [d, m.baseline![d] ?? 0]));
  if (!fleet) return undefined;
  const service = fleet.spec.services.find((s) => s.name === m.service);
  if (!service) return undefined;
  const runs = (dc: string): boolean => (service.capacity[dc] ?? 0) > 0;
  if (m.layer === 'edge') {
    const pop = fleet.spec.pops.find((p) => p.name === m.source);
    if (!pop) return undefined;
    const weights = Object.fromEntries(dests.map((d) => [d, runs(d) ? (pop.weights[d] ?? 0) : 0]));
    if (Object.values(weights).some((w) => w > 0)) return weights;
    return Object.fromEntries(dests.map((d) => [d, service.capacity[d] ?? 0]));
  }
  const own = new Set(fleet.spec.datacenters.find((d) => d.name === m.source)?.clusters ?? []);
  if (own.size === 0 || !runs(m.source)) return undefined;
  return Object.fromEntries(dests.map((c) => [c, own.has(c) ? 1 : 0]));
}

function checkSignal(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw new MaelstromError('E_ABORTED', `haproxy: ${what} aborted`);
}

/** The weight a server effectively has: none while in maintenance or drain. */
function effectiveWeight(s: ServerState): number {
  return (s.adminState & (MAINT_BITS | DRAIN_BITS)) !== 0 ? 0 : s.weight;
}

export function createHaproxyBackend(options: HaproxyBackendOptions): HaproxyBackend {
  const { config, metrics, fleet } = options;
  const clock = options.clock ?? systemClock;
  const api = new RuntimeApi({ socket: config.spec.socket, timeoutMs: config.spec.timeout });
  // HAProxy carries no HLC: each action is stamped with this process's clock as sent and as its answer is read.
  const calls = createCallJournal('haproxy');
  const maps = config.spec.services.flatMap(tablesOf);
  const key = (layer: Layer, service: string, source: string): string => `${layer}/${service}/${source}`;
  const byKey = new Map(maps.map((m) => [key(m.layer, m.service, m.source), m]));
  /** The last table set by key: reported as set while HAProxy still holds its integer form. */
  const lastSet = new Map<
    string,
    { readonly logical: Record<string, number>; readonly ints: Record<string, number> }
  >();
  const baseline = new Map<string, WeightTable>();
  let closed = false;

  async function states(signal?: AbortSignal): Promise<Map<string, ServerState>> {
    const all = await api.serversState(undefined, signal);
    return new Map(all.map((s) => [`${s.backend}/${s.server}`, s]));
  }

  function readTable(m: TableMap, st: Map<string, ServerState>): { table: WeightTable; ints: Record<string, number> } {
    const ints: Record<string, number> = {};
    for (const [dest, server] of Object.entries(m.servers)) {
      const s = st.get(`${m.backend}/${server}`);
      if (!s)
        throw new MaelstromError(
          'E_BACKEND',
          `haproxy has no server ${m.backend}/${server} (mapped for ${m.service} ${m.layer} ${m.source} → ${dest}); ` +
            'check the mapping against haproxy.cfg',
        );
      ints[dest] = effectiveWeight(s);
    }
    const cached = lastSet.get(key(m.layer, m.service, m.source));
    const weights = cached && sameIntegers(cached.ints, ints) ? { ...cached.logical } : ints;
    return { table: { layer: m.layer, service: m.service, source: m.source, weights }, ints };
  }

  async function read(layer: Layer, service: string, signal?: AbortSignal): Promise<WeightTable[]> {
    if (closed) throw new MaelstromError('E_INVALID_STATE', 'haproxy backend is closed');
    checkSignal(signal, 'reading weights');
    const mine = maps.filter((m) => m.layer === layer && m.service === service);
    if (mine.length === 0)
      throw new MaelstromError('E_NOT_FOUND', `haproxy mapping has no ${layer} tables for service ${service}`);
    const st = await states(signal);
    return mine.map((m) => readTable(m, st).table);
  }

  async function setWeights(
    a: Extract<Action, { kind: 'weights.set' }>,
    signal: AbortSignal | undefined,
    checkLease: ActOptions['checkLease'],
  ): Promise<ActionResult> {
    const m = byKey.get(key(a.layer, a.service, a.source));
    if (!m)
      throw new MaelstromError(
        'E_BAD_REQUEST',
        `haproxy mapping has no ${a.layer} table for service ${a.service} from ${a.source}`,
      );
    for (const [dest, w] of Object.entries(a.weights)) {
      if (!(dest in m.servers))
        throw new MaelstromError(
          'E_BAD_REQUEST',
          `weights.set: ${dest} is not a destination of ${a.service} ${a.layer} ${a.source} (mapped: ${Object.keys(m.servers).join(', ')})`,
        );
      if (!Number.isFinite(w) || w < 0)
        throw new MaelstromError(
          'E_BAD_REQUEST',
          `weights.set: weight of ${dest} must be a non-negative number, got ${w}`,
        );
    }
    const full: Record<string, number> = {};
    for (const dest of Object.keys(m.servers)) full[dest] = a.weights[dest] ?? 0;
    const target = toHaproxyWeights(full);
    const st = await states(signal);
    readTable(m, st); // every mapped server must exist before anything is sent
    const commands: string[] = [];
    for (const [dest, w] of Object.entries(target)) {
      const server = m.servers[dest]!;
      const s = st.get(`${m.backend}/${server}`)!;
      const drained = (s.adminState & DRAIN_BITS) !== 0;
      if (w === 0) {
        if (s.weight !== 0) commands.push(`set server ${m.backend}/${server} weight 0`);
        if (!drained) commands.push(`set server ${m.backend}/${server} state drain`);
      } else {
        if (s.weight !== w) commands.push(`set server ${m.backend}/${server} weight ${w}`);
        if (drained || (s.adminState & MAINT_BITS) !== 0)
          commands.push(`set server ${m.backend}/${server} state ready`);
      }
    }
    lastSet.set(key(m.layer, m.service, m.source), { logical: full, ints: target });
    if (commands.length === 0) return { changed: false, detail: 'already in place' };
    checkSignal(signal, 'setting weights');
    // HAProxy keeps no epoch: the sender's lease is checked with the store right before the command goes out.
    await checkLease?.(signal);
    // One connection, commands separated by `;`: HAProxy applies them together.
    await api.set(commands.join(';'), signal);
    return { changed: true, detail: commands.join('; ') };
  }

  async function teardown(
    a: Extract<Action, { kind: 'sessions.teardown' }>,
    signal: AbortSignal | undefined,
    checkLease: ActOptions['checkLease'],
  ): Promise<ActionResult> {
    const s = config.spec.services.find((x) => x.service === a.service)?.sessions;
    const server = s?.servers[a.datacenter];
    if (!s || !server)
      throw new MaelstromError(
        'E_BAD_REQUEST',
        `sessions.teardown: the haproxy mapping names no sessions server for ${a.service} in ${a.datacenter}`,
      );
    if (!Number.isFinite(a.rate) || a.rate < 0)
      throw new MaelstromError('E_BAD_REQUEST', `sessions.teardown: rate must be a non-negative number, got ${a.rate}`);
    if (a.rate === 0) return { changed: false, detail: 'rate 0: nothing to tear down' };
    await checkLease?.(signal);
    // HAProxy cannot pace a teardown: every remaining session of the server ends at once.
    await api.set(`shutdown sessions server ${s.backend}/${server}`, signal);
    return { changed: true, detail: `shutdown sessions server ${s.backend}/${server}` };
  }

  function shares(service: string, st: Map<string, ServerState>): Record<string, Partial<Record<Layer, number>>> {
    const out: Record<string, Partial<Record<Layer, number>>> = {};
    const clusterDc = new Map<string, string>();
    for (const d of fleet?.spec.datacenters ?? []) for (const c of d.clusters) clusterDc.set(c, d.name);
    const popShare = new Map((fleet?.spec.pops ?? []).map((p) => [p.name, p.share]));
    for (const layer of ['edge', 'cluster'] as const) {
      const mine = maps.filter((m) => m.layer === layer && m.service === service);
      if (mine.length === 0) continue;
      const sources = mine.map((m) => ({ m, w: layer === 'edge' ? (popShare.get(m.source) ?? 1) : 1 }));
      const totalW = sources.reduce((s, x) => s + x.w, 0);
      const acc: Record<string, number> = {};
      for (const { m, w } of sources) {
        const { ints } = readTable(m, st);
        const sum = Object.values(ints).reduce((a, b) => a + b, 0);
        for (const [dest, v] of Object.entries(ints)) {
          const dc = layer === 'edge' ? dest : (clusterDc.get(dest) ?? dest);
          acc[dc] = (acc[dc] ?? 0) + (sum > 0 ? (v / sum) * (w / totalW) : 0);
        }
      }
      for (const [dc, v] of Object.entries(acc)) (out[dc] ??= {})[layer] = Math.min(1, v);
    }
    return out;
  }

  async function snapshot(opts?: SnapshotOptions): Promise<FleetSnapshot> {
    checkSignal(opts?.signal, 'snapshot');
    const base: FleetSnapshot = metrics ? await metrics.snapshot(opts) : { time: clock.now(), services: {} };
    let st: Map<string, ServerState> | undefined;
    try {
      st = await states(opts?.signal);
    } catch (e) {
      // Without the weights there is no share: absent, so a condition on it holds the run.
      options.onIssue?.(`haproxy: shares unknown: ${(e as Error).message}`);
    }
    const services: Record<string, ServiceReading> = { ...base.services };
    for (const sm of config.spec.services) {
      const prev = services[sm.service];
      const dcs: Record<string, DatacenterReading> = { ...(prev?.datacenters ?? {}) };
      const sh = st ? shares(sm.service, st) : {};
      const names = new Set([
        ...Object.keys(dcs),
        ...Object.keys(sh),
        ...(fleet?.spec.services.find((s) => s.name === sm.service)
          ? Object.keys(fleet.spec.services.find((s) => s.name === sm.service)!.capacity)
          : []),
      ]);
      for (const dc of names) dcs[dc] = { ...dcs[dc], ...(sh[dc] ? { share: { ...dcs[dc]?.share, ...sh[dc] } } : {}) };
      services[sm.service] = { ...prev, datacenters: dcs };
    }
    return { ...base, services };
  }

  return {
    name: 'haproxy',
    clock,
    supports: SUPPORTS,
    api,
    async init(opts) {
      closed = false;
      checkSignal(opts?.signal, 'init');
      const st = await states(opts?.signal);
      for (const m of maps) {
        const k = key(m.layer, m.service, m.source);
        if (baseline.has(k)) continue;
        // Reading the table also checks that every mapped server exists.
        const current = readTable(m, st).table;
        const declared = declaredBaseline(m, fleet);
        baseline.set(k, declared ? { ...current, weights: declared } : current);
      }
    },
    async close() {
      closed = true;
    },
    weights: (layer, service, opts) => read(layer, service, opts?.signal),
    async baselineWeights(layer, service, opts) {
      checkSignal(opts?.signal, 'reading baseline weights');
      const mine = maps.filter((m) => m.layer === layer && m.service === service);
      if (mine.length === 0)
        throw new MaelstromError('E_NOT_FOUND', `haproxy mapping has no ${layer} tables for service ${service}`);
      if (mine.some((m) => !baseline.has(key(m.layer, m.service, m.source))))
        throw new MaelstromError('E_INVALID_STATE', 'haproxy backend: init() reads the baseline weights first');
      return mine.map((m) => baseline.get(key(m.layer, m.service, m.source))!);
    },
    async act(action: Action, opts?: ActOptions): Promise<ActionResult> {
      if (closed) throw new MaelstromError('E_INVALID_STATE', 'haproxy backend is closed');
      checkSignal(opts?.signal, `${action.kind}`);
      if (action.kind === 'weights.set')
        return calls.record(action.kind, () => setWeights(action, opts?.signal, opts?.checkLease), {
          detail: { action },
          origin: opts?.origin,
        });
      if (action.kind === 'sessions.teardown')
        return calls.record(action.kind, () => teardown(action, opts?.signal, opts?.checkLease), {
          detail: { action },
          origin: opts?.origin,
        });
      throw new MaelstromError(
        'E_BAD_REQUEST',
        `haproxy backend does not support ${(action as { kind: string }).kind}`,
      );
    },
    stampedCalls: () => [...calls.calls(), ...(metrics?.stampedCalls?.() ?? [])],
    snapshot,
    async setServerState(backend, server, state, opts) {
      const st = await states(opts?.signal);
      const s = st.get(`${backend}/${server}`);
      if (!s) throw new MaelstromError('E_NOT_FOUND', `haproxy has no server ${backend}/${server}`);
      const now = (s.adminState & MAINT_BITS) !== 0 ? 'maint' : (s.adminState & DRAIN_BITS) !== 0 ? 'drain' : 'ready';
      if (now === state) return { changed: false };
      await api.set(`set server ${backend}/${server} state ${state}`, opts?.signal);
      return { changed: true };
    },
  };
}
