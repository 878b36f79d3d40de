/**
 * Stages that move state: replication.repoint, replication.replica, stateful.promote and shards.migrate. In a drain
 * they move it out of a datacenter (`away`); in a restore, with `home: DC`, replication.repoint and stateful.promote
 * bring back the source or the primary whose home (the fleet's placement) is that datacenter, once the replica there
 * has caught up, and do nothing for a service whose home is elsewhere. Each reads where the state is now, does nothing
 * when it is already where it should be, and checkpoints its choice of destination before acting, so a re-run after a
 * crash sends the same target (which the backend sees as no change).
 */
import { MaelstromError, isMaelstromError } from '../model/errors.js';
import type { ServiceReading } from '../model/readings.js';
import { act, type StageContext, type StageFn, type StageResult } from './stage.js';
import { readParams } from './params.js';
import { serviceReading } from './sessions.js';
import { sleepWithin } from './wait.js';

const POLL_MS = 5_000;

interface Choice {
  readonly to: string;
}

/** The datacenters outside `away` where the service runs, by the fleet. */
function elsewhere(ctx: StageContext, service: string, away: string): string[] {
  const svc = ctx.fleet.spec.services.find((s) => s.name === service);
  const placed = svc?.stateful ? [svc.stateful.primary, ...svc.stateful.replicas] : Object.keys(svc?.capacity ?? {});
  return [...new Set(placed)].filter((dc) => dc !== away && (svc?.capacity[dc] ?? 0) > 0).sort();
}

/** The candidate with the smallest replication lag (ties by name, for determinism); undefined lags last. */
function mostCaughtUp(
  reading: ServiceReading | undefined,
  candidates: readonly string[],
): { dc: string; lag: number | undefined } | undefined {
  const ranked = candidates
    .map((dc) => ({ dc, lag: reading?.datacenters[dc]?.replicationLag }))
    .sort((a, b) => (a.lag ?? Infinity) - (b.lag ?? Infinity) || a.dc.localeCompare(b.dc));
  return ranked[0];
}

/** Where the fleet places the state of a service: the replication source or the primary. */
function homeOf(ctx: StageContext, service: string): string | undefined {
  const svc = ctx.fleet.spec.services.find((s) => s.name === service);
  return svc?.stateful?.primary ?? svc?.replication?.source;
}

/**
 * `home: DC`: whether there is anything to bring back. A service whose home is another datacenter is none of this
 * restore's business: moving it would undo a choice made elsewhere.
 */
function notHome(ctx: StageContext, service: string, home: string, what: string): StageResult | undefined {
  const placed = homeOf(ctx, service);
  if (placed === home) return undefined;
  return {
    outcome: 'success',
    detail: `the ${what} of ${service} lives in ${placed ?? 'no datacenter'}, not ${home}: nothing to bring back`,
  };
}

/**
 * Waits until the replica in `dc` is at most `maxLagMs` behind (when given): a source or primary moved back before
 * its new home has caught up would serve stale data. Undefined when it has; a timeout result when the deadline passes.
 */
async function caughtUp(
  ctx: StageContext,
  service: string,
  dc: string,
  maxLagMs: number | undefined,
): Promise<StageResult | undefined> {
  if (maxLagMs === undefined) return undefined;
  for (;;) {
    const lag = (await serviceReading(ctx, service))?.datacenters[dc]?.replicationLag;
    if (lag !== undefined && lag * 1000 <= maxLagMs) return undefined;
    if (ctx.deadline !== undefined && ctx.clock.now() >= ctx.deadline)
      return {
        outcome: 'timeout',
        detail: `the replica of ${service} in ${dc} did not catch up within ${maxLagMs / 1000}s of lag`,
      };
    await sleepWithin(ctx, POLL_MS, ctx.deadline);
  }
}

export const replicationRepoint: StageFn = async (ctx): Promise<StageResult> => {
  const p = readParams('replication.repoint', ctx.with);
  const service = p.string('service', ctx.service);
  const home = p.optionalString('home');
  if (home !== undefined) {
    const none = notHome(ctx, service, home, 'replication source');
    if (none) return none;
  }
  // Bringing the source home moves it away from wherever it is now, not away from its home.
  const away = home !== undefined ? '' : p.string('away', ctx.datacenter);
  const wanted = home ?? p.optionalString('to');
  const saved = (ctx.state as Choice | undefined)?.to;
  let reading = await serviceReading(ctx, service);
  const source = reading?.replicationSource;
  if (saved === undefined && source !== undefined && source !== away && (wanted === undefined || source === wanted)) {
    return { outcome: 'success', detail: `${service} already replicates from ${source}` };
  }
  if (home !== undefined && saved === undefined) {
    // Paced like a drain's promotion: the replica at home catches up before it becomes the source again.
    const waited = await caughtUp(ctx, service, home, p.optionalDuration('maxLag'));
    if (waited) return waited;
    reading = await serviceReading(ctx, service);
  }
  let to = saved ?? wanted;
  if (to === undefined) {
    to = mostCaughtUp(reading, elsewhere(ctx, service, away))?.dc;
    if (to === undefined)
      return { outcome: 'failure', detail: `${service} runs nowhere outside ${away} to replicate from` };
  }
  if (saved === undefined) await ctx.checkpoint({ to } satisfies Choice);
  const result = await act(ctx, { kind: 'replication.source', service, source: to });
  return {
    outcome: 'success',
    detail: `${service} replicates from ${to}${result.detail ? ` (${result.detail})` : ''}`,
  };
};

/**
 * replication.replica: stop the service's replica in the datacenter (`enabled: false`; it falls behind), or start it
 * again and wait until it has caught up to within `maxLag` (default 60s). A started replica catches up paced by the
 * network (`catchUp: network`, the default: only what the links into its datacenter have to spare below their
 * planned utilisation) or as fast as the source sends (`catchUp: unpaced`), which can saturate the links.
 */
export const replicationReplica: StageFn = async (ctx): Promise<StageResult> => {
  const p = readParams('replication.replica', ctx.with);
  const service = p.string('service', ctx.service);
  const datacenter = p.string('datacenter', ctx.datacenter);
  const enabled = p.boolean('enabled', true);
  const catchUp = p.string('catchUp', 'network');
  if (catchUp !== 'network' && catchUp !== 'unpaced')
    throw new MaelstromError('E_PARAM', `replication.replica: catchUp must be network or unpaced, got ${catchUp}`);
  const maxLagMs = p.duration('maxLag', '60s');
  await act(ctx, { kind: 'replication.replica', service, datacenter, enabled, catchUp });
  if (!enabled) return { outcome: 'success', detail: `replication of ${service} into ${datacenter} stopped` };
  for (;;) {
    const lag = (await serviceReading(ctx, service))?.datacenters[datacenter]?.replicationLag;
    if (lag !== undefined && lag * 1000 <= maxLagMs)
      return { outcome: 'success', detail: `the replica of ${service} in ${datacenter} is ${lag.toFixed(1)}s behind` };
    if (ctx.deadline !== undefined && ctx.clock.now() >= ctx.deadline) {
      return {
        outcome: 'timeout',
        detail: `the replica of ${service} in ${datacenter} is ${lag === undefined ? 'an unknown time' : `${lag.toFixed(0)}s`} behind`,
      };
    }
    await sleepWithin(ctx, POLL_MS, ctx.deadline);
  }
};

export const statefulPromote: StageFn = async (ctx): Promise<StageResult> => {
  const p = readParams('stateful.promote', ctx.with);
  const service = p.string('service', ctx.service);
  const home = p.optionalString('home');
  if (home !== undefined) {
    const none = notHome(ctx, service, home, 'primary');
    if (none) return none;
  }
  // Bringing the primary home moves it away from wherever it is now, not away from its home.
  const away = home !== undefined ? '' : p.string('away', ctx.datacenter);
  const wanted = home ?? p.optionalString('to');
  const maxLagMs = p.optionalDuration('maxLag');
  let choice = ctx.state as Choice | undefined;

  for (;;) {
    const reading = await serviceReading(ctx, service);
    const primary = reading?.primary;
    if (
      choice === undefined &&
      primary !== undefined &&
      primary !== away &&
      (wanted === undefined || primary === wanted)
    ) {
      return { outcome: 'success', detail: `the primary of ${service} is in ${primary}` };
    }
    if (choice !== undefined && primary === choice.to)
      return { outcome: 'success', detail: `promoted ${service} in ${choice.to}` };

    if (choice === undefined) {
      const best =
        wanted !== undefined
          ? { dc: wanted, lag: reading?.datacenters[wanted]?.replicationLag }
          : mostCaughtUp(reading, elsewhere(ctx, service, away));
      if (!best) return { outcome: 'failure', detail: `${service} has no replica outside ${away}` };
      const caughtUp = best.lag !== undefined && (maxLagMs === undefined || best.lag * 1000 <= maxLagMs);
      if (caughtUp) {
        choice = { to: best.dc };
        await ctx.checkpoint(choice);
      }
    }
    if (choice !== undefined) {
      try {
        await act(ctx, {
          kind: 'stateful.primary',
          service,
          primary: choice.to,
          ...(maxLagMs !== undefined ? { maxLagSeconds: maxLagMs / 1000 } : {}),
        });
      } catch (e) {
        // A replica that fell behind again, or a promotion still under way: try again after a poll.
        if (!isMaelstromError(e) || !e.retryable) throw e;
      }
    }
    if (ctx.deadline !== undefined && ctx.clock.now() >= ctx.deadline) {
      return {
        outcome: 'timeout',
        detail: choice
          ? `${service} was still being promoted in ${choice.to}`
          : wanted !== undefined
            ? `the replica of ${service} in ${wanted} did not catch up within ${(maxLagMs ?? 0) / 1000}s of lag`
            : `no replica of ${service} outside ${away} caught up within ${(maxLagMs ?? 0) / 1000}s of lag`,
      };
    }
    await sleepWithin(ctx, POLL_MS, ctx.deadline);
  }
};

/**
 * shards.migrate: place `count` shards of the service from `from` (default: the datacenter) into `to`, or spread
 * over the other datacenters where it runs, moved at `rate` shards per second (paced by network capacity), then wait
 * until they have arrived (`wait: false` returns once they are placed). A backend that does not read shards is
 * taken at its word.
 */
export const shardsMigrate: StageFn = async (ctx): Promise<StageResult> => {
  const p = readParams('shards.migrate', ctx.with);
  const service = p.string('service', ctx.service);
  const from = p.string('from', ctx.datacenter);
  const svc = ctx.fleet.spec.services.find((s) => s.name === service);
  const count = p.number('count', svc?.stateful?.shards ?? 1);
  if (!Number.isInteger(count) || count <= 0)
    return { outcome: 'failure', detail: `shards.migrate: count must be a positive whole number, got ${count}` };
  const rate = p.optionalNumber('rate');
  const targets = p.list('to').length > 0 ? p.list('to') : elsewhere(ctx, service, from);
  if (targets.length === 0)
    return { outcome: 'failure', detail: `${service} runs nowhere outside ${from} to move shards to` };
  // An even, deterministic split, so that a re-run sends exactly the same placements.
  const parts = targets
    .map((to, i) => ({ to, count: Math.floor(count / targets.length) + (i < count % targets.length ? 1 : 0) }))
    .filter((x) => x.count > 0);
  const held = async (): Promise<number | undefined> => (await serviceReading(ctx, service))?.datacenters[from]?.shards;
  // What `from` will hold once the shards have left, read before they start to (kept for a re-run after a crash).
  let left = (ctx.state as { left?: number } | undefined)?.left;
  if (left === undefined) {
    const before = await held();
    if (before !== undefined) {
      left = Math.max(0, before - count);
      await ctx.checkpoint({ left });
    }
  }
  let changed = 0;
  for (const part of parts) {
    const r = await act(ctx, {
      kind: 'shards.place',
      service,
      from,
      to: part.to,
      count: part.count,
      ...(rate !== undefined ? { rate } : {}),
    });
    if (r.changed) changed++;
  }
  const to = parts.map((x) => `${x.to} (${x.count})`).join(', ');
  const placed = `${count} shards of ${service} placed from ${from} to ${to}`;
  const detail = `${placed}${changed === 0 ? ', already under way' : ''}`;
  if (!p.boolean('wait', true) || left === undefined) return { outcome: 'success', detail };
  for (;;) {
    const now = await held();
    if (now === undefined || now <= left + SHARD_EPSILON) return { outcome: 'success', detail: `${placed}, and moved` };
    if (ctx.deadline !== undefined && ctx.clock.now() >= ctx.deadline)
      return { outcome: 'timeout', detail: `${placed}; ${now.toFixed(1)} shards still in ${from}` };
    await sleepWithin(ctx, POLL_MS, ctx.deadline);
  }
};

/** A shard in flight is counted fractionally; this much of one left is arrival. */
const SHARD_EPSILON = 1e-6;
