import { ValidationError } from '../errors.js';
import type { ClusterQueryInput, QueryFieldNames } from '../fleet/cluster-query.js';

/**
 * C1's optional query parameters (DESIGN.md "REST surface"): `search`, `health_status` (comma list), `label_selector`,
 * `enabled`, `limit`, `cursor`, `order_by` (`name`, `-created_at` …). Without any of them C1 answers exactly as the
 * contract shows, from the cached list (and the cached-read lane keeps answering it).
 */
export const LIST_PARAMS = ['search', 'health_status', 'label_selector', 'enabled', 'limit', 'cursor', 'order_by'] as const;

/** Errors name REST's parameters: `ValidationError` fields are camelCase and the REST mapper snake-cases the head. */
export const REST_QUERY_FIELDS: QueryFieldNames = { first: 'limit', after: 'cursor', orderBy: 'orderBy' };

/** True when a request target (path and query) carries any of C1's list parameters. */
export function hasListParams(target: string): boolean {
  const q = target.indexOf('?');
  if (q === -1) return false;
  const params = new URLSearchParams(target.slice(q + 1));
  return LIST_PARAMS.some((name) => params.has(name));
}

/** C1's parameters as a list request, or undefined when none is given. */
export function listQueryFromParams(params: URLSearchParams): ClusterQueryInput | undefined {
  if (!LIST_PARAMS.some((name) => params.has(name))) return undefined;
  const one = (name: (typeof LIST_PARAMS)[number], field: string): string | undefined => {
    const all = params.getAll(name);
    if (all.length > 1) throw new ValidationError(field, 'is given more than once');
    return all[0];
  };
  const input: ClusterQueryInput = {};
  const search = one('search', 'search');
  if (search !== undefined) input.search = search;
  const health = one('health_status', 'healthStatus');
  if (health !== undefined && health !== '') input.healthStatus = health.split(',').map((s) => s.trim());
  const selector = one('label_selector', 'labelSelector');
  if (selector !== undefined) input.labelSelector = selector;
  const enabled = one('enabled', 'enabled');
  if (enabled !== undefined) {
    if (enabled !== 'true' && enabled !== 'false') throw new ValidationError('enabled', 'must be true or false');
    input.enabled = enabled === 'true';
  }
  const limit = one('limit', 'limit');
  if (limit !== undefined) {
    if (!/^\d{1,7}$/.test(limit)) throw new ValidationError('limit', 'must be an integer from 1 to 1000');
    input.first = Number(limit);
  }
  const cursor = one('cursor', 'cursor');
  if (cursor !== undefined) input.after = cursor;
  const orderBy = one('order_by', 'orderBy');
  if (orderBy !== undefined) {
    const descending = orderBy.startsWith('-');
    input.order = { field: descending ? orderBy.slice(1) : orderBy, direction: descending ? 'desc' : 'asc' };
  }
  return input;
}
