/**
 * Where the controller keeps everything it must not lose: runs, task and stage progress, events, task-duration
 * history, API tokens and the audit log. SQLite (embedded, the default) and PostgreSQL implement it and pass the
 * same conformance suite. Every write is committed before the call returns, so the engine can persist a state
 * change before acting on it.
 *
 * The run-related part is defined by the engine's needs (see below); tokens and audit are used by the server.
 */
export type Role = 'viewer' | 'operator' | 'admin';

export interface TokenRecord {
  readonly id: string;
  readonly name: string;
  readonly role: Role;
  /** SHA-256 of the secret, hex; the secret itself is never stored. */
  readonly hash: string;
  readonly createdAt: number;
  readonly revokedAt?: number;
}

export interface AuditEntry {
  readonly id?: number;
  readonly time: number;
  readonly actor: string;
  readonly action: string;
  readonly target?: string;
  readonly reason?: string;
  readonly details?: unknown;
}

export interface TokenStore {
  createToken(record: TokenRecord): Promise<void>;
  findTokenByHash(hash: string): Promise<TokenRecord | undefined>;
  listTokens(): Promise<readonly TokenRecord[]>;
  revokeToken(id: string, at: number): Promise<void>;
}

export interface AuditLog {
  appendAudit(entry: AuditEntry): Promise<number>;
  listAudit(options?: { readonly limit?: number; readonly afterId?: number }): Promise<readonly AuditEntry[]>;
}
