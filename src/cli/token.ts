/**
 * `maelstrom token create --role R [--name N]`: a new API token, whose secret is printed once; `token list`: the
 * tokens (never a secret); `token revoke ID`: the token stops working at once, also on a running server.
 */
import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { MaelstromError } from '../model/errors.js';
import { ROLES, type Role } from '../model/roles.js';
import type { TokenStore } from '../store/store.js';
import { hashTokenSecret, newTokenSecret } from '../store/tokens.js';
import { actorOf, openStore, STORE_HELP } from './run-options.js';

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
    .description(
      "Create a token with a role (viewer, operator or admin; alerts for Alertmanager's webhook); prints the secret once.",
    )
    .requiredOption('--role <role>', 'viewer, operator, admin, or alerts (may only deliver alerts)')
    .option('--name <name>', 'who the token is for, as shown in the audit log', 'api')
    .option('--store <store>', STORE_HELP)
    .action(async (opts: { role: string; name: string; store?: string }) => {
      if (!ROLES.includes(opts.role as Role))
        throw new MaelstromError(
          'E_BAD_REQUEST',
          `--role must be viewer, operator, admin or alerts, got "${opts.role}"`,
        );
      if (!/^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$/.test(opts.name))
        throw new MaelstromError(
          'E_BAD_REQUEST',
          `--name must be letters, digits, ".", "_", "@" or "-", got "${opts.name}"`,
        );
      const store = await openStore(opts.store);
      try {
        const secret = await createToken(store, opts.role as Role, opts.name);
        await store.appendAudit({
          time: Date.now(),
          actor: `${actorOf(undefined).name} (cli)`,
          action: 'token.create',
          target: opts.name,
          details: { role: opts.role },
        });
        process.stdout.write(`${secret}\n`);
        process.stderr.write(
          `token for ${opts.name} (${opts.role}) created; the secret above is shown only this once\n`,
        );
      } finally {
        await store.close();
      }
    });
  token
    .command('list')
    .description('List the tokens: id, name, role, when created, whether revoked (never a secret).')
    .option('--store <store>', STORE_HELP)
    .option('--json', 'one JSON document')
    .action(async (opts: { store?: string; json?: boolean }) => {
      const store = await openStore(opts.store);
      try {
        const tokens = (await store.listTokens()).map(({ hash: _hash, ...t }) => t);
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ tokens }, null, 2)}\n`);
          return;
        }
        if (tokens.length === 0) {
          process.stdout.write('no tokens\n');
          return;
        }
        const rows = tokens.map((t) => [
          t.id,
          t.name,
          t.role,
          new Date(t.createdAt).toISOString(),
          t.revokedAt !== undefined ? `revoked ${new Date(t.revokedAt).toISOString()}` : 'active',
        ]);
        const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
        for (const r of rows)
          process.stdout.write(
            `${r
              .map((c, i) => c.padEnd(widths[i]!))
              .join('  ')
              .trimEnd()}\n`,
          );
      } finally {
        await store.close();
      }
    });
  token
    .command('revoke')
    .description('Revoke a token by its id (from `token list`).')
    .argument('<id>', 'the token id')
    .option('--store <store>', STORE_HELP)
    .action(async (id: string, opts: { store?: string }) => {
      const store = await openStore(opts.store);
      try {
        const token = (await store.listTokens()).find((t) => t.id === id);
        if (!token) throw new MaelstromError('E_NOT_FOUND', `no token with id "${id}" (see \`maelstrom token list\`)`);
        if (token.revokedAt !== undefined) {
          process.stdout.write(`token ${id} (${token.name}) was already revoked\n`);
          return;
        }
        await store.revokeToken(id, Date.now());
        await store.appendAudit({
          time: Date.now(),
          actor: `${actorOf(undefined).name} (cli)`,
          action: 'token.revoke',
          target: id,
          details: { name: token.name, role: token.role },
        });
        process.stdout.write(
          `token ${id} (${token.name}, ${token.role}) revoked; servers on this store refuse it from now on\n`,
        );
      } finally {
        await store.close();
      }
    });
}
