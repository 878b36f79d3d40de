import type { Command } from 'commander';
import { MaelstromError } from '../model/errors.js';

export function registerServe(program: Command): void {
  program.command('serve').description('(not yet available)').allowUnknownOption().action(() => {
    throw new MaelstromError('E_BAD_REQUEST', 'serve is not available yet');
  });
}
