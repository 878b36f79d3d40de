/**
 * The journal of changes, the controller's part of the retrospective timeline (see src/model/timeline.ts): every
 * event the store persists, every run created, lease change and operator request, stamped with this process's
 * hybrid logical clock and its source, kept for a retention window (14 days by default) and indexed by HLC.
 * Shared by the SQL stores, so SQLite and PostgreSQL journal the same rows.
 *
 * The store is also a channel between processes (an operator's CLI, standby controllers): reading a request or
 * taking the lease is a receive, so the clock absorbs the HLC written by the other side (or refuses it when it is
 * too far ahead, and reports that).
 */
import type { EngineEvent } from '../model/events.js';
import { processHybridClock, type HybridClock, type Stamp } from '../model/hlc.js';
import { MaelstromError } from '../model/errors.js';
import type { TimelineEvent } from '../model/timeline.js';
import type { Row, SqlValue } from './codec.js';
import type { Lease, RunRecord, TaskRecord } from './store.js';

/** The store migration that creates the journal: a store opened with fewer migrations (tests of them) journals nothing. */
export const JOURNAL_MIGRATION = 8;

/** 14 days. */
export const DEFAULT_JOURNAL_RETENTION_MS = 14 * 24 * 3600 * 1000;
/** Entries appended between two prunings of what the retention window no longer holds. */
export const PRUNE_EVERY = 10_000;

export interface JournalOptions {
  /** Who records: `controller` (the default), `cli`, `server`… */
  readonly source?: string;
  /** This process's clock, by default the process's one. */
  readonly clock?: HybridClock;
  readonly retentionMs?: number;
  /** Told of a timestamp refused as too far ahead; by default a line on stderr. */
  readonly onSkew?: (error: MaelstromError) => void;
}

export interface Journal {
  readonly source: string;
  readonly clock: HybridClock;
  readonly retentionMs: number;
  stamp(): Stamp;
  /** A receive of `hlc` written by another process: absorbed, or refused and reported. */
  receive(hlc: string | undefined, from: string): void;
  /** True once every PRUNE_EVERY entries: time to drop what is past the retention window. */
  due(appended: number): boolean;
  /** The padded HLC below which entries are past the retention window. */
  horizon(): string;
}

export function createJournal(options: JournalOptions = {}): Journal {
  const clock = options.clock ?? processHybridClock();
  const source = options.source ?? 'controller';
  const retentionMs = options.retentionMs ?? DEFAULT_JOURNAL_RETENTION_MS;
  const onSkew =
    options.onSkew ??
    ((e: MaelstromError) => {
      process.stderr.write(`maelstrom: warning: ${e.message}\n`);
    });
  let sincePrune = 0;
  return {
    source,
    clock,
    retentionMs,
    stamp: () => clock.stamp(),
    receive(hlc, from) {
      if (hlc === undefined || hlc === '') return;
      try {
        clock.update(hlc);
      } catch (e) {
        if (e instanceof MaelstromError && e.code === 'E_CLOCK_SKEW')
          onSkew(new MaelstromError('E_CLOCK_SKEW', `${from}: ${e.message}`, { details: e.details }));
        else throw e;
      }
    },
    due(appended) {
      sincePrune += appended;
      if (sincePrune < PRUNE_EVERY) return false;
      sincePrune = 0;
      return true;
    },
    horizon: () => padHlc((BigInt(Math.max(0, Math.floor(clock.wall() - retentionMs))) << 16n).toString()),
  };
}

/** HLCs are kept as 20-digit text, so that text order is number order in both dialects (and no 2^53 limit). */
export function padHlc(hlc: string): string {
  return hlc.padStart(20, '0');
}
export function unpadHlc(text: string): string {
  return text.replace(/^0+(?=\d)/, '');
}

export const JOURNAL_COLUMNS = ['hlc', 'wall', 'source', 'type', 'run_id', 'body'] as const;

/** The journal entry of an event the store persists (with its `seq` and the HLC it was stamped with). */
export function eventEntry(e: EngineEvent, stamp: Stamp, source: string): TimelineEvent {
  return { ...e, hlc: stamp.hlc, wall: stamp.wall, source };
}

/** A run as created, with every task: the cut knows the tasks before any of them changes state. */
export function runCreatedEntry(
  run: RunRecord,
  tasks: readonly TaskRecord[],
  stamp: Stamp,
  source: string,
): TimelineEvent {
  return {
    hlc: stamp.hlc,
    wall: stamp.wall,
    source,
    type: 'run.created',
    runId: run.id,
    time: run.createdAt,
    plan: run.plan,
    datacenter: run.datacenter,
    direction: run.direction,
    state: run.state,
    tasks: tasks.map((t) => ({ id: t.id, state: t.state, stage: t.stage })),
    ...(run.actor !== undefined ? { actor: run.actor } : {}),
  };
}

export function entryOf(
  fields: { readonly type: string; readonly runId?: string | undefined; readonly [field: string]: unknown },
  stamp: Stamp,
  source: string,
): TimelineEvent {
  const { runId, ...rest } = fields;
  return { ...rest, ...(runId !== undefined ? { runId } : {}), hlc: stamp.hlc, wall: stamp.wall, source };
}

/**
 * The journal entry of a lease taken (by a new holder, at a new epoch, or after it ran out), or none for a renewal:
 * a controller renews every few seconds, and a renewal changes nobody's view of who leads.
 */
export function leaseEntry(
  current: Lease | undefined,
  next: Lease,
  now: number,
  journal: Pick<Journal, 'stamp' | 'source'>,
): TimelineEvent | undefined {
  const renewal = current !== undefined && current.holder === next.holder && current.epoch === next.epoch;
  if (renewal && current.expiresAt > now) return undefined;
  return entryOf(
    {
      type: 'lease',
      name: next.name,
      holder: next.holder,
      expiresAt: next.expiresAt,
      epoch: next.epoch,
      ...(current && current.holder !== next.holder ? { previous: current.holder } : {}),
    },
    journal.stamp(),
    journal.source,
  );
}

/** The journal entry of a lease given up by its holder while it held it, or none. */
export function releasedEntry(
  before: Lease | undefined,
  holder: string,
  journal: Pick<Journal, 'stamp' | 'source'>,
): TimelineEvent | undefined {
  if (!before || before.holder !== holder || before.expiresAt === 0) return undefined;
  return entryOf(
    { type: 'lease.released', name: before.name, holder, epoch: before.epoch },
    journal.stamp(),
    journal.source,
  );
}

export function journalRow(e: TimelineEvent): SqlValue[] {
  return [padHlc(e.hlc), e.wall, e.source, e.type, e.runId ?? null, JSON.stringify(e)];
}

export function rowJournal(row: Row): TimelineEvent {
  return JSON.parse(String(row.body)) as TimelineEvent;
}

/** The WHERE clause of a range of the journal (HLC bounds inclusive). */
export function journalRange(options: {
  readonly fromHlc?: string;
  readonly toHlc?: string;
  readonly runId?: string;
}): { where: string; args: SqlValue[] } {
  const where: string[] = [];
  const args: SqlValue[] = [];
  if (options.fromHlc !== undefined) {
    where.push('hlc >= ?');
    args.push(padHlc(options.fromHlc));
  }
  if (options.toHlc !== undefined) {
    where.push('hlc <= ?');
    args.push(padHlc(options.toHlc));
  }
  if (options.runId !== undefined) {
    where.push('(run_id = ? OR run_id IS NULL)');
    args.push(options.runId);
  }
  return { where: where.length ? `WHERE ${where.join(' AND ')}` : '', args };
}

/** An operator request as recorded by the process that asked (`maelstrom pause RUN` in a second terminal). */
export function requestEntry(
  id: number,
  request: { readonly actor: string; readonly role: string; readonly runId?: string; readonly body: unknown },
  stamp: Stamp,
  source: string,
): TimelineEvent {
  const body = request.body as { kind?: unknown; command?: { action?: unknown; type?: unknown } } | null;
  const action =
    body?.kind === 'halt'
      ? 'halt'
      : typeof body?.command?.action === 'string'
        ? body.command.action
        : typeof body?.command?.type === 'string'
          ? body.command.type
          : 'request';
  return entryOf(
    {
      type: 'request',
      runId: request.runId,
      requestId: id,
      action: String(action),
      actor: request.actor,
      role: request.role,
      body: request.body,
    },
    stamp,
    source,
  );
}
