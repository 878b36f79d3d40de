/**
 * Who may do what: the roles of API tokens. People's roles are ordered, each allowed everything the ones before it
 * are; `alerts` stands outside that order: Alertmanager's token delivers alerts and may do nothing else (not even
 * read). The server, the engine, the CLI and the dashboard ask `hasRole` rather than naming roles. Imports nothing,
 * so that the dashboard can ask it too.
 */
export const PEOPLE_ROLES = ['viewer', 'operator', 'admin'] as const;

/** Every role a token may have: the people's, in order, then `alerts`. */
export const ROLES = [...PEOPLE_ROLES, 'alerts'] as const;
export type Role = (typeof ROLES)[number];

/**
 * Whether `role` may do what `needed` may: a viewer reads, an operator also acts, an admin also reads the audit log;
 * alerts may be delivered by an `alerts` token (and by an admin, who may do anything), and an `alerts` token may do
 * nothing else.
 */
export function hasRole(role: Role, needed: Role): boolean {
  if (needed === 'alerts') return role === 'alerts' || role === 'admin';
  if (role === 'alerts') return false;
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}
