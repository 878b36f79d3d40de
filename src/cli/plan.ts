import type { Command } from 'commander';
import { MaelstromError } from '../model/errors.js';

export function registerPlan(program: Command): void {
  program.command('plan').description('(not yet available)').allowUnknownOption().action(() => {
    throw new MaelstromError('E_BAD_REQUEST', 'plan is not available yet');
  });
}
