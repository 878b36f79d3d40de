/**
 * Bearer-token authentication: a token's secret is hashed and looked up in the store, so the store never holds a
 * usable secret. Roles are ordered viewer < operator < admin.
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { Actor } from '../engine/controller.js';
import { MaelstromError } from '../model/errors.js';
import type { Role, TokenRecord, TokenStore } from '../store/store.js';
import { hashTokenSecret } from '../store/tokens.js';

const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

export type AuthEnv = { Variables: { actor: Actor } };

/**
 * How long a looked-up token is trusted without asking the store again: status polling at hundreds of requests per
 * second would otherwise spend most of its time on the lookup. A revoked token stops working within this time.
 */
const CACHE_MS = 5000;
const CACHE_MAX = 1000;

export function bearerAuth(tokens: TokenStore, now: () => number = Date.now): MiddlewareHandler<AuthEnv> {
  // By the raw secret, so that a hit costs no hashing; only tokens the store knows are kept.
  const cache = new Map<string, { readonly record: TokenRecord; readonly until: number }>();
  const lookup = async (secret: string): Promise<TokenRecord | undefined> => {
    const hit = cache.get(secret);
    if (hit && hit.until > now()) return hit.record;
    const record = await tokens.findTokenByHash(hashTokenSecret(secret));
    if (!record) { cache.delete(secret); return undefined; }
    if (cache.size >= CACHE_MAX) cache.clear();
    cache.set(secret, { record, until: now() + CACHE_MS });
    return record;
  };
  return async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m) throw new MaelstromError('E_UNAUTHORIZED', 'missing bearer token: send "Authorization: Bearer <token>"');
    const record = await lookup(m[1]!);
    if (!record || record.revokedAt !== undefined) throw new MaelstromError('E_UNAUTHORIZED', 'unknown or revoked token');
    c.set('actor', { name: record.name, role: record.role });
    await next();
  };
}

export function actorOf(c: Context<AuthEnv>): Actor {
  return c.get('actor');
}

/** Throws E_FORBIDDEN unless the caller has at least `role`. */
export function requireRole(actor: Actor, role: Role): void {
  if (RANK[actor.role] < RANK[role]) {
    throw new MaelstromError('E_FORBIDDEN', `${actor.name} has the ${actor.role} role; this needs ${role} or above`);
  }
}
