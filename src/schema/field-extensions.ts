/**
 * Field extensions that say, once and on the field itself, why its value cannot come from a rendered cluster list
 * shared between callers. graphql/list-response-cache.ts reads them from the schema; there is no hand-kept list.
 */

/** The value differs per caller (a role, credentials, grants). */
export const PER_CALLER = { perCaller: true } as const;

/** The value is read from outside the cluster list (e.g. discovery tasks), so the list's identity does not date it. */
export const OUTSIDE_CLUSTER_LIST = { outsideClusterList: true } as const;

/** True when a field's extensions forbid answering it from the shared list cache. */
export function servedPerRequest(extensions: Readonly<Record<string, unknown>> | null | undefined): boolean {
  return extensions?.perCaller === true || extensions?.outsideClusterList === true;
}
