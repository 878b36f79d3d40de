/**
 * `--clock-offset MS` (run, serve, sim): shifts this process's wall clock, the physical part of its hybrid logical
 * clock, by MS milliseconds (negative: behind). For tests and drills of clock skew between processes: the
 * retrospective timeline must stay causal however the clocks disagree, and a peer more than the max offset ahead
 * is refused. `--max-clock-offset MS` sets that max offset (500 ms by default).
 */
import type { Command } from 'commander';
import { MaelstromError } from '../model/errors.js';
import { configureProcessClock, DEFAULT_MAX_OFFSET_MS } from '../model/hlc.js';

export interface ClockOffsetOptions {
  readonly clockOffset?: string;
  readonly maxClockOffset?: string;
}

export function addClockOptions(command: Command): Command {
  return command
    .option('--clock-offset <ms>', "shift this process's wall clock by MS ms (for tests and drills of clock skew)")
    .option(
      '--max-clock-offset <ms>',
      `refuse a peer's clock more than MS ms ahead of this one (default ${DEFAULT_MAX_OFFSET_MS})`,
    );
}

function ms(text: string, what: string, min: number): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < min)
    throw new MaelstromError(
      'E_BAD_REQUEST',
      `${what} must be a number of milliseconds${min === 0 ? ' ≥ 0' : ''}, got "${text}"`,
    );
  return n;
}

/** Sets up the process clock from the options; call first thing in the command, before any store or backend. */
export function applyClockOptions(opts: ClockOffsetOptions): void {
  const offsetMs = opts.clockOffset === undefined ? 0 : ms(opts.clockOffset, '--clock-offset', -Infinity);
  const maxOffsetMs = opts.maxClockOffset === undefined ? undefined : ms(opts.maxClockOffset, '--max-clock-offset', 0);
  configureProcessClock({ offsetMs, ...(maxOffsetMs !== undefined ? { maxOffsetMs } : {}) });
}
