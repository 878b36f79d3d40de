import type { Command } from 'commander';
import { MaelstromError } from '../model/errors.js';

export function registerRun(program: Command): void {
  program.command('run').description('(not yet available)').allowUnknownOption().action(() => {
    throw new MaelstromError('E_BAD_REQUEST', 'run is not available yet');
  });
}
