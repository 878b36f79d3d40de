import type { Command } from 'commander';
import { MaelstromError } from '../model/errors.js';

export function registerSim(program: Command): void {
  program.command('sim').description('(not yet available)').allowUnknownOption().action(() => {
    throw new MaelstromError('E_BAD_REQUEST', 'sim is not available yet');
  });
}
