/**
 * Per-cluster roles, lowest first: the one list the database enum (`cluster_role`, db/schema.ts), the GraphQL enum
 * `ClusterRole` (schema/enums.ts), REST's snake_case values and every comparison derive from.
 */
export const CLUSTER_ROLES = ['viewer', 'editor', 'admin'] as const;
export type ClusterRoleValue = (typeof CLUSTER_ROLES)[number];

/** Who a grant names: one user (the token's `sub`) or every member of a group (the token's `groups` claim). */
export const SUBJECT_KINDS = ['user', 'group'] as const;
export type SubjectKindValue = (typeof SUBJECT_KINDS)[number];

/** What every valid token holds on every cluster without a grant (DEFAULT_CLUSTER_ROLE). */
export const DEFAULT_ROLE_CHOICES = ['viewer', 'none'] as const;
export type DefaultClusterRole = (typeof DEFAULT_ROLE_CHOICES)[number];

const rank = (role: ClusterRoleValue | null): number => (role === null ? -1 : CLUSTER_ROLES.indexOf(role));

/** True when `role` is `min` or above; no role (null) is below every role. */
export function roleAtLeast(role: ClusterRoleValue | null, min: ClusterRoleValue): boolean {
  return rank(role) >= rank(min);
}

/** The highest of several roles (null when none is given): a caller's grants add up, the strongest wins. */
export function highestRole(roles: Iterable<ClusterRoleValue | null>): ClusterRoleValue | null {
  let best: ClusterRoleValue | null = null;
  for (const role of roles) if (rank(role) > rank(best)) best = role;
  return best;
}
