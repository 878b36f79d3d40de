import type { Command } from 'commander';
import { MaelstromError } from '../model/errors.js';

export function registerDrainTest(program: Command): void {
  program.command('drain-test').description('(not yet available)').allowUnknownOption().action(() => {
    throw new MaelstromError('E_BAD_REQUEST', 'drain-test is not available yet');
  });
}
