/**
 * The retrospective timeline read from its sources: the controller's journal in the store, and the simulator's
 * journal (`/journal` of `maelstrom sim`) when one is named. Both are stamped with their process's HLC; merged in
 * HLC order they are one causal history, of which any prefix is a consistent cut (src/model/timeline.ts).
 */
import type { StampedCall } from '../backends/call-journal.js';
import type { StampedJournalEntry, StampedSimChange } from '../backends/sim/backend.js';
import { compareHlc } from '../model/hlc.js';
import { cutAt, mergeTimelines, type Cut, type TimelineEvent } from '../model/timeline.js';
import type { JournalStore } from '../store/store.js';

/** A simulator's journal, as `maelstrom sim` serves it. */
export interface JournalSource {
  journal(): Promise<readonly StampedJournalEntry[]>;
  /** The world's own changes (weights taking effect, faults), when the simulator keeps them. */
  world?(): Promise<readonly StampedSimChange[]>;
}

/**
 * The simulated world's own changes as timeline events: `weights.effective`, `fault.start`, `fault.end`. A weight
 * table's source (a PoP, a datacenter) is its `from`: `source` is the timeline's, the process that recorded it.
 */
export function worldEvents(changes: readonly StampedSimChange[], source = 'sim'): TimelineEvent[] {
  return changes.map((c) => {
    if (c.kind === 'weights.effective') {
      const { kind, hlc, wall, source: from, ...rest } = c;
      return { ...rest, from, hlc, wall, source, type: kind };
    }
    const { kind, hlc, wall, ...rest } = c;
    return { ...rest, hlc, wall, source, type: kind };
  });
}

/** The simulator's entries as timeline events: one `act` per call received, with the call's fields. */
export function simEvents(entries: readonly StampedJournalEntry[], source = 'sim'): TimelineEvent[] {
  return entries
    .filter((e) => typeof e.hlc === 'string')
    .map((e) => {
      const { hlc, wall, origin, ...rest } = e;
      return {
        ...rest,
        hlc,
        wall,
        source,
        type: 'act',
        ...(origin ? { origin, runId: origin.runId, taskId: origin.taskId, stage: origin.stage } : {}),
      };
    });
}

/**
 * The calls of the adapters to programs that carry no HLC (HAProxy, Prometheus), as timeline events placed at the
 * reading of their answer (`sentHlc` is when they went out): an action is an `act` (a weights.set then counts in the
 * cut's backend weights, as the simulator's do), a reading of the fleet a `read`.
 */
export function callEvents(calls: readonly StampedCall[]): TimelineEvent[] {
  return calls.map((c) => ({
    ...(c.detail ?? {}),
    hlc: c.read.hlc,
    wall: c.read.wall,
    sentHlc: c.sent.hlc,
    sentWall: c.sent.wall,
    source: c.adapter,
    type: c.call === 'snapshot' ? 'read' : 'act',
    kind: c.call,
    ...(c.origin ? { origin: c.origin, runId: c.origin.runId, taskId: c.origin.taskId, stage: c.origin.stage } : {}),
    ...(c.error ? { error: c.error } : {}),
  }));
}

export interface TimelineSources {
  readonly store: JournalStore;
  readonly sim?: JournalSource;
  /** The adapters' stamped calls (HAProxy, Prometheus), when the controller of this process drives a real fleet. */
  readonly adapters?: { calls(): Promise<readonly StampedCall[]> };
}

/**
 * Every event of every source with `from ≤ hlc ≤ to` (both optional), merged in HLC order; with `runId`, only that
 * run's (the changes that name it, and the simulator's calls it made).
 */
export async function timelineEvents(
  sources: TimelineSources,
  range: { readonly from?: bigint; readonly to?: bigint; readonly runId?: string } = {},
): Promise<TimelineEvent[]> {
  const fromHlc = range.from?.toString();
  const toHlc = range.to?.toString();
  const [all, sim, world, calls] = await Promise.all([
    sources.store.listJournal({
      ...(fromHlc !== undefined ? { fromHlc } : {}),
      ...(toHlc !== undefined ? { toHlc } : {}),
      ...(range.runId !== undefined ? { runId: range.runId } : {}),
    }),
    sources.sim ? sources.sim.journal().then((j) => simEvents(j)) : Promise.resolve([]),
    sources.sim?.world && range.runId === undefined
      ? sources.sim.world().then((w) => worldEvents(w))
      : Promise.resolve([]),
    sources.adapters ? sources.adapters.calls().then((c) => callEvents(c)) : Promise.resolve([]),
  ]);
  const inRange = (e: TimelineEvent): boolean =>
    (fromHlc === undefined || compareHlc(e.hlc, fromHlc) >= 0) &&
    (toHlc === undefined || compareHlc(e.hlc, toHlc) <= 0) &&
    (range.runId === undefined || e.runId === range.runId);
  const controller = range.runId === undefined ? all : all.filter((e) => e.runId === range.runId);
  return mergeTimelines(controller, sim.filter(inRange), world.filter(inRange), calls.filter(inRange));
}

/** The consistent cut of every source at `at`. */
export async function timelineCut(sources: TimelineSources, at: bigint): Promise<Cut> {
  return cutAt(await timelineEvents(sources, { to: at }), at);
}
