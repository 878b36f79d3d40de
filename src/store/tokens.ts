/** API token secrets are stored only as their SHA-256, so a copy of the store does not hand out access. */
import { createHash, randomBytes } from 'node:crypto';

/** The hex SHA-256 of a token secret: what TokenRecord.hash holds and findTokenByHash looks up. */
export function hashTokenSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** A new random secret, shown to its owner once. */
export function newTokenSecret(): string {
  return `mst_${randomBytes(24).toString('base64url')}`;
}
