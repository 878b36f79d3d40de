import type { Command } from 'commander';
import { MaelstromError } from '../model/errors.js';

export function registerDemo(program: Command): void {
  program.command('demo').description('(not yet available)').allowUnknownOption().action(() => {
    throw new MaelstromError('E_BAD_REQUEST', 'demo is not available yet');
  });
}
