/** `maelstrom token create --role R [--name N] [--store sqlite:FILE]`: a new API token; the secret is printed once. */
import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { MaelstromError } from '../model/errors.js';
import type { Role, TokenStore } from '../store/store.js';
import { hashTokenSecret, newTokenSecret } from '../store/tokens.js';
import { openStore, STORE_HELP } from './run-options.js';

const ROLES: readonly Role[] = ['viewer', 'operator', 'admin'];

/** Creates a token in the store and returns its secret, which is not kept anywhere. */
export async function createToken(store: TokenStore, role: Role, name: string, now = Date.now()): Promise<string> {
  const secret = newTokenSecret();
  await store.createToken({ id: randomUUID(), name, role, hash: hashTokenSecret(secret), createdAt: now });
  return secret;
}

export function registerToken(program: Command): void {
  const token = program.command('token').description('Manage API tokens of the controller server.');
  token
    .command('create')
    .description('Create a token with a role (viewer, operator or admin); prints the secret once.')
    .requiredOption('--role <role>', 'viewer, operator or admin')
    .option('--name <name>', 'who the token is for, as shown in the audit log', 'api')
    .option('--store <store>', STORE_HELP)
    .action(async (opts: { role: string; name: string; store?: string }) => {
      if (!ROLES.includes(opts.role as Role)) throw new MaelstromError('E_BAD_REQUEST', `--role must be viewer, operator or admin, got "${opts.role}"`);
      if (!/^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$/.test(opts.name)) throw new MaelstromError('E_BAD_REQUEST', `--name must be letters, digits, ".", "_", "@" or "-", got "${opts.name}"`);
      const store = await openStore(opts.store);
      try {
        const secret = await createToken(store, opts.role as Role, opts.name);
        process.stdout.write(`${secret}\n`);
        process.stderr.write(`token for ${opts.name} (${opts.role}) created; the secret above is shown only this once\n`);
      } finally {
        await store.close();
      }
    });
}
