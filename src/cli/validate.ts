import type { Command } from 'commander';
import { MaelstromError } from '../model/errors.js';

export function registerValidate(program: Command): void {
  program.command('validate').description('(not yet available)').allowUnknownOption().action(() => {
    throw new MaelstromError('E_BAD_REQUEST', 'validate is not available yet');
  });
}
