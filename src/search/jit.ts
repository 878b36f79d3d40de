/**
 * V8 flags for the processes and threads that run a fault search's executions: none by default. An execution is a
 * whole drill (engine, stages, store, expressions, simulator), run a few hundred times per search, each time with
 * other faults, so V8 keeps optimising code as new faults bring new shapes and paths: beside a worker's own thread,
 * the optimising compiler's threads cost another 30–45 % over a search's first 40 executions, less as it goes on
 * (the garbage collector's threads are about 2 % of it). A larger interrupt budget (`--interrupt-budget=270336`,
 * four times V8's default) halves the compiler's share, but on worker threads it made the worker's own thread slower
 * by more than it saved (docs/fault-search.md), so the defaults stay.
 */
import { setFlagsFromString } from 'node:v8';

/** The flags set by default: none (see above). */
export const EXECUTION_V8_FLAGS: readonly string[] = [];

let tuned = false;

/**
 * Sets the flags once per process, before it runs executions or starts worker threads (whose isolates take the
 * process's flags as they start). `MAELSTROM_EXECUTION_V8_FLAGS` (space-separated) replaces them: to measure one.
 */
export function tuneForExecutions(): void {
  if (tuned) return;
  tuned = true;
  const flags = process.env.MAELSTROM_EXECUTION_V8_FLAGS?.split(/\s+/) ?? EXECUTION_V8_FLAGS;
  for (const flag of flags) if (flag !== '') setFlagsFromString(flag);
}
