/**
 * The command line's entry: cli/ picks the concrete backend and store for each command, and every controller is
 * built by the composition root in src/compose. Converts anything thrown into a calm one-line error with a stable
 * code; a stack trace is shown only with MAELSTROM_DEBUG=1.
 */
import { CommanderError } from 'commander';
import { buildProgram } from './cli/program.js';
import { errorMapping, toMaelstromError } from './model/errors.js';

/**
 * A reader that goes away (`maelstrom … | head`) closes the pipe: the rest of the output has nobody to read it, so
 * the command ends quietly, as Unix tools do, instead of dying of an unhandled EPIPE.
 */
function endQuietlyOnClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

export async function main(argv: readonly string[]): Promise<number> {
  endQuietlyOnClosedPipe(process.stdout);
  const program = buildProgram();
  program.exitOverride();
  try {
    await program.parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // commander has already printed its message (unknown option, missing argument, --help).
      return e.exitCode === 0 ? 0 : 2;
    }
    const err = toMaelstromError(e);
    process.stderr.write(`maelstrom: error ${err.code}: ${err.message}\n`);
    if (process.env.MAELSTROM_DEBUG === '1') process.stderr.write(`${(e as Error)?.stack ?? String(e)}\n`);
    return errorMapping[err.code].exit;
  }
}
