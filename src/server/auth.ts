/**
 * Bearer-token authentication: a token's secret is hashed and looked up in the store, so the store never holds a
 * usable secret. Roles are ordered viewer < operator < admin (model/roles.ts).
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { Actor } from '../engine/controller.js';
import { MaelstromError } from '../model/errors.js';
import { hasRole, type Role } from '../model/roles.js';
import type { TokenRecord, TokenStore } from '../store/store.js';
import { hashTokenSecret } from '../store/tokens.js';

export type AuthEnv = { Variables: { actor: Actor } };

/**
 * Every request looks its token up in the store (by the SHA-256 of the secret), so that a revoked token stops
 * working at once. Under 500 status requests a second this costs about a millisecond at the median and nothing
 * measurable at the 99th percentile (bench/load.bench.ts), not worth a window in which a revoked token still works.
 */
export function bearerAuth(tokens: TokenStore): MiddlewareHandler<AuthEnv> {
  const lookup = (secret: string): Promise<TokenRecord | undefined> => tokens.findTokenByHash(hashTokenSecret(secret));
  return async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m) throw new MaelstromError('E_UNAUTHORIZED', 'missing bearer token: send "Authorization: Bearer <token>"');
    const record = await lookup(m[1]!);
    if (!record || record.revokedAt !== undefined)
      throw new MaelstromError('E_UNAUTHORIZED', 'unknown or revoked token');
    c.set('actor', { name: record.name, role: record.role });
    await next();
  };
}

export function actorOf(c: Context<AuthEnv>): Actor {
  return c.get('actor');
}

/** Throws E_FORBIDDEN unless the caller has at least `role`. */
export function requireRole(actor: Actor, role: Role): void {
  if (!hasRole(actor.role, role)) {
    throw new MaelstromError('E_FORBIDDEN', `${actor.name} has the ${actor.role} role; this needs ${role} or above`);
  }
}
