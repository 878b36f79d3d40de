import type { Command } from 'commander';
import { MaelstromError } from '../model/errors.js';

export function registerLab(program: Command): void {
  program.command('lab').description('(not yet available)').allowUnknownOption().action(() => {
    throw new MaelstromError('E_BAD_REQUEST', 'lab is not available yet');
  });
}
