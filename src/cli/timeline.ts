/**
 * `maelstrom timeline --store S [--backend sim+http://…] (--at TIME|HLC | --from A --to B) [--json] [--step]`: the
 * retrospective timeline. `--at` prints the consistent cut at that instant: every run and task state, the weights
 * per service and layer, the last health verdicts, the operator actions so far. `--from/--to` lists the merged
 * events of every source in HLC order. `--step` (on a terminal) walks the events with the arrow keys, redrawing the
 * cut at each.
 */
import type { Command } from 'commander';
import { createRemoteSimBackend, parseSimUrl } from '../backends/sim/remote.js';
import { MaelstromError } from '../model/errors.js';
import { compareHlc, hlcOf } from '../model/hlc.js';
import { cutAt, parseInstant, type Cut, type TimelineEvent } from '../model/timeline.js';
import { timelineEvents, type TimelineSources } from '../timeline/sources.js';
import { openStore, STORE_HELP } from './run-options.js';

interface TimelineOptions {
  readonly store?: string;
  readonly backend?: string;
  readonly at?: string;
  readonly from?: string;
  readonly to?: string;
  readonly json?: boolean;
  readonly step?: boolean;
}

const pct = (share: number): string => `${Math.round(share * 1000) / 10}%`;

/** The cut as lines for a terminal. */
export function cutLines(cut: Cut): string[] {
  const lines = [`at ${cut.at} (hlc ${cut.hlc}): ${cut.eventCount} events`];
  if (cut.last) lines.push(`  last: ${eventLine(cut.last)}`);
  if (cut.runs.length === 0) lines.push('no runs');
  for (const r of cut.runs) {
    lines.push(`run ${r.id} of ${r.plan}: ${r.state}`);
    for (const t of r.tasks) lines.push(`  ${t.id.padEnd(32)} ${t.state.padEnd(10)} stage ${t.stage}`);
  }
  const services = Object.keys(cut.weights).sort();
  if (services.length > 0) lines.push('traffic still in the drained datacenter:');
  for (const s of services)
    for (const [layer, byDc] of Object.entries(cut.weights[s]!))
      lines.push(
        `  ${s.padEnd(20)} ${layer.padEnd(8)} ${Object.entries(byDc)
          .map(([dc, share]) => `${dc} ${pct(share)}`)
          .join(', ')}`,
      );
  const tables = (title: string, weights: Cut['backendWeights']): void => {
    const services = Object.keys(weights).sort();
    if (services.length > 0) lines.push(title);
    for (const s of services)
      for (const [layer, bySource] of Object.entries(weights[s]!))
        for (const [source, table] of Object.entries(bySource))
          lines.push(
            `  ${s.padEnd(20)} ${layer.padEnd(8)} from ${source}: ${Object.entries(table)
              .map(([dest, w]) => `${dest} ${Math.round(w * 1000) / 1000}`)
              .join(', ')}`,
          );
  };
  tables('weights as the backend received them:', cut.backendWeights);
  tables('weights in effect (propagated):', cut.effectiveWeights);
  const failing = cut.health.filter((h) => h.ok !== true);
  lines.push(`health: ${cut.health.length} checks, ${failing.length} not passing`);
  for (const h of failing) lines.push(`  ${h.runId} ${h.taskId} ${h.check}: ${h.ok === null ? 'no data' : 'failing'}`);
  if (cut.operator.length > 0) lines.push('operator actions:');
  for (const o of cut.operator)
    lines.push(`  ${o.action} by ${o.actor}${o.runId ? ` on ${o.runId}` : ''}${o.reason ? `: ${o.reason}` : ''}`);
  return lines;
}

const DETAIL_KEYS = [
  'taskId',
  'state',
  'stage',
  'uses',
  'service',
  'layer',
  'from',
  'fault',
  'remaining',
  'check',
  'ok',
  'action',
];

/** One event on one line: its HLC's time, its source and type, and its main fields. */
export function eventLine(e: TimelineEvent): string {
  const time = new Date(Number(BigInt(e.hlc) >> 16n)).toISOString();
  const fields = DETAIL_KEYS.filter((k) => e[k] !== undefined)
    .map((k) => `${k}=${typeof e[k] === 'object' ? JSON.stringify(e[k]) : String(e[k] as string | number)}`)
    .join(' ');
  const kind = e.type === 'act' && typeof e.kind === 'string' ? `act ${e.kind} ${String(e.target)}` : e.type;
  return `${time} ${e.hlc} ${e.source.padEnd(10)} ${kind}${e.runId ? ` ${e.runId}` : ''}${fields ? ` ${fields}` : ''}`;
}

/** The arrow keys walk `events` from `start`, redrawing the cut at each; q, Esc or Ctrl-C ends. */
async function step(events: readonly TimelineEvent[], start: number): Promise<void> {
  const stdin = process.stdin;
  if (!stdin.isTTY || !process.stdout.isTTY)
    throw new MaelstromError('E_BAD_REQUEST', '--step needs a terminal (use --json or --from/--to in a script)');
  let i = Math.max(0, Math.min(events.length - 1, start));
  const draw = (): void => {
    const at = events[i] ? BigInt(events[i]!.hlc) : hlcOf(Date.now(), 0);
    const lines = cutLines(cutAt(events, at));
    process.stdout.write(
      `\x1b[2J\x1b[H${lines.join('\n')}\n\nevent ${i + 1} of ${events.length}: ← → step, Home/End, q quits\n`,
    );
  };
  draw();
  stdin.setRawMode(true);
  stdin.resume();
  await new Promise<void>((resolve) => {
    const onData = (data: Buffer): void => {
      const key = data.toString();
      if (key === 'q' || key === '\x03' || key === '\x1b') {
        stdin.off('data', onData);
        stdin.setRawMode(false);
        stdin.pause();
        resolve();
        return;
      }
      if (key === '\x1b[C' || key === 'l') i = Math.min(events.length - 1, i + 1);
      else if (key === '\x1b[D' || key === 'h') i = Math.max(0, i - 1);
      else if (key === '\x1b[H' || key === '\x1b[1~') i = 0;
      else if (key === '\x1b[F' || key === '\x1b[4~') i = events.length - 1;
      draw();
    };
    stdin.on('data', onData);
  });
}

export function registerTimeline(program: Command): void {
  program
    .command('timeline')
    .description(
      'The retrospective timeline: the consistent cut of every run, task, weight and health verdict at an instant ' +
        '(--at), or the merged events of every source in HLC order (--from/--to); --step walks them.',
    )
    .option('--store <store>', STORE_HELP)
    .option('--backend <sim+http://HOST:PORT>', "merge in this simulator's journal of calls")
    .option('--at <time|hlc>', 'the instant: ISO 8601, ms since the epoch, or an HLC')
    .option('--from <time|hlc>', 'the start of the events to list')
    .option('--to <time|hlc>', 'the end of the events to list')
    .option('--json', 'print JSON')
    .option('--step', 'on a terminal: walk the events with the arrow keys, redrawing the cut')
    .action(async (opts: TimelineOptions) => {
      if (opts.at === undefined && opts.from === undefined && opts.to === undefined && !opts.step)
        throw new MaelstromError('E_BAD_REQUEST', 'give --at TIME|HLC for a cut, or --from/--to for the events');
      if (opts.at !== undefined && (opts.from !== undefined || opts.to !== undefined))
        throw new MaelstromError('E_BAD_REQUEST', '--at and --from/--to do not go together');
      const at = opts.at !== undefined ? parseInstant(opts.at, '--at') : undefined;
      const from = opts.from !== undefined ? parseInstant(opts.from, '--from', 'start') : undefined;
      const to = opts.to !== undefined ? parseInstant(opts.to, '--to') : undefined;
      if (from !== undefined && to !== undefined && from > to)
        throw new MaelstromError('E_BAD_REQUEST', '--from is after --to');
      const sim = opts.backend !== undefined ? createRemoteSimBackend(`sim+${parseSimUrl(opts.backend)}`) : undefined;
      const store = await openStore(opts.store, { source: 'cli' });
      const sources: TimelineSources = {
        store,
        ...(sim ? { sim: { journal: () => sim.journal(), world: () => sim.worldJournal() } } : {}),
      };
      const out = (line: string): void => {
        process.stdout.write(`${line}\n`);
      };
      try {
        if (opts.step) {
          const events = await timelineEvents(sources, {
            ...(from !== undefined ? { from } : {}),
            ...(to !== undefined ? { to } : {}),
          });
          const start = at === undefined ? 0 : events.findLastIndex((e) => compareHlc(e.hlc, at.toString()) <= 0);
          await step(events, start);
          return;
        }
        if (at !== undefined) {
          const cut = cutAt(await timelineEvents(sources, { to: at }), at);
          if (opts.json) {
            const { last: _last, ...rest } = cut;
            out(JSON.stringify(rest, null, 2));
          } else for (const line of cutLines(cut)) out(line);
          return;
        }
        const events = await timelineEvents(sources, {
          ...(from !== undefined ? { from } : {}),
          ...(to !== undefined ? { to } : {}),
        });
        if (opts.json) out(JSON.stringify({ events }, null, 2));
        else if (events.length === 0) out('no events in that range');
        else for (const e of events) out(eventLine(e));
      } finally {
        await store.close();
      }
    });
}
