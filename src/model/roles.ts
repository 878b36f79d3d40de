/**
 * Who may do what: the roles of API tokens, in order, each allowed everything the ones before it are. The server,
 * the engine, the CLI and the dashboard ask `hasRole` rather than naming roles. Imports nothing, so that the
 * dashboard can ask it too.
 */
export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Whether `role` may do what `needed` may: a viewer reads, an operator also acts, an admin also reads the audit log. */
export function hasRole(role: Role, needed: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}
