/**
 * The retrospective timeline read from its sources: the controller's journal in the store, and the simulator's
 * journal (`/journal` of `maelstrom sim`) when one is named. Both are stamped with their process's HLC; merged in
 * HLC order they are one causal history, of which any prefix is a consistent cut (src/model/timeline.ts).
 */
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

/** The simulated world's own changes as timeline events: `weights.effective`, `fault.start`, `fault.end`. */
export function worldEvents(changes: readonly StampedSimChange[], source = 'sim'): TimelineEvent[] {
  return changes.map((c) => {
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

export interface TimelineSources {
  readonly store: JournalStore;
  readonly sim?: JournalSource;
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
  const [all, sim, world] = await Promise.all([
    sources.store.listJournal({
      ...(fromHlc !== undefined ? { fromHlc } : {}),
      ...(toHlc !== undefined ? { toHlc } : {}),
      ...(range.runId !== undefined ? { runId: range.runId } : {}),
    }),
    sources.sim ? sources.sim.journal().then((j) => simEvents(j)) : Promise.resolve([]),
    sources.sim?.world && range.runId === undefined
      ? sources.sim.world().then((w) => worldEvents(w))
      : Promise.resolve([]),
  ]);
  const inRange = (e: TimelineEvent): boolean =>
    (fromHlc === undefined || compareHlc(e.hlc, fromHlc) >= 0) &&
    (toHlc === undefined || compareHlc(e.hlc, toHlc) <= 0) &&
    (range.runId === undefined || e.runId === range.runId);
  const controller = range.runId === undefined ? all : all.filter((e) => e.runId === range.runId);
  return mergeTimelines(controller, sim.filter(inRange), world.filter(inRange));
}

/** The consistent cut of every source at `at`. */
export async function timelineCut(sources: TimelineSources, at: bigint): Promise<Cut> {
  return cutAt(await timelineEvents(sources, { to: at }), at);
}
