import type { ClusterView } from '../clusters/cluster.view.js';
import { HEALTH_STATUSES, type HealthStatusValue, PROMETHEUS_SOURCES, type PrometheusSourceValue } from '../db/schema.js';
import { ValidationError } from '../errors.js';
import { type LabelRequirement, LabelSelectorError, parseLabelSelector } from './label-selector.js';

/** Sort keys of a cluster list; `id` is the default (oldest first, today's order) and every order's tie-breaker. */
export const CLUSTER_ORDER_FIELDS = ['id', 'name', 'createdAt', 'updatedAt', 'healthStatus'] as const;
export type ClusterOrderFieldValue = (typeof CLUSTER_ORDER_FIELDS)[number];
export type OrderDirectionValue = 'asc' | 'desc';

export interface ClusterOrder {
  field: ClusterOrderFieldValue;
  direction: OrderDirectionValue;
}

/** Which clusters match; every given part must hold (AND). An empty array means "no constraint" for that part. */
export interface ClusterFilter {
  /** Case-insensitive substring of the name. */
  search?: string;
  healthStatus?: readonly HealthStatusValue[];
  labelSelector?: readonly LabelRequirement[];
  enabled?: boolean;
  prometheusSource?: readonly PrometheusSourceValue[];
}

/** Where a page starts: the sort key and id of the last row of the previous page (keyset pagination). */
export interface ClusterCursor {
  field: ClusterOrderFieldValue;
  direction: OrderDirectionValue;
  /** The sort key as text: name, ISO timestamp, health status, or the id again. */
  key: string;
  id: number;
}

/** A parsed, validated list request. `first` undefined means every match (today's C1 and `clusters`). */
export interface ClusterQuery {
  filter: ClusterFilter;
  order: ClusterOrder;
  first?: number;
  after?: ClusterCursor;
}

export interface ClusterPage {
  items: readonly ClusterView[];
  /** Matches of the filter, whatever page this is. */
  total: number;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/** A list request as a transport hands it over (GraphQL arguments, or REST's query parameters mapped). */
export interface ClusterQueryInput {
  search?: string;
  healthStatus?: readonly string[];
  labelSelector?: string;
  enabled?: boolean;
  prometheusSource?: readonly string[];
  first?: number;
  after?: string;
  order?: { field: string; direction: string };
}

/** Input field names as the transport calls them, for `ValidationError.field` (REST: `limit`, `cursor`, `orderBy`). */
export interface QueryFieldNames {
  first: string;
  after: string;
  orderBy: string;
}

const GRAPHQL_NAMES: QueryFieldNames = { first: 'first', after: 'after', orderBy: 'orderBy' };
export const MAX_PAGE_SIZE = 1000;
const MAX_SEARCH_LENGTH = 100;

/** Today's order (oldest first). `parseClusterQuery` returns this very object when no order is given. */
export const DEFAULT_ORDER: ClusterOrder = Object.freeze({ field: 'id', direction: 'asc' });

export function isEmptyFilter(f: ClusterFilter): boolean {
  return f.search === undefined && !f.healthStatus?.length && !f.labelSelector?.length && f.enabled === undefined && !f.prometheusSource?.length;
}

function oneOf<V extends string>(allowed: readonly V[], raw: readonly string[] | undefined, field: string): V[] | undefined {
  if (raw === undefined) return undefined;
  return raw.map((v) => {
    const lower = v.toLowerCase() as V;
    if (!allowed.includes(lower)) throw new ValidationError(field, `"${v.slice(0, 40)}" is not one of ${allowed.join(', ')}`);
    return lower;
  });
}

/** Validates a transport's list request; every problem is a `ValidationError` naming the input field. */
export function parseClusterQuery(input: ClusterQueryInput, names: QueryFieldNames = GRAPHQL_NAMES): ClusterQuery {
  const filter: ClusterFilter = {};
  if (input.search !== undefined) {
    if (input.search.length > MAX_SEARCH_LENGTH) throw new ValidationError('search', `must be at most ${MAX_SEARCH_LENGTH} characters`);
    if (input.search !== '') filter.search = input.search;
  }
  filter.healthStatus = oneOf(HEALTH_STATUSES, input.healthStatus, 'healthStatus');
  filter.prometheusSource = oneOf(PROMETHEUS_SOURCES, input.prometheusSource, 'prometheusSource');
  if (input.enabled !== undefined) filter.enabled = input.enabled;
  if (input.labelSelector !== undefined) {
    try {
      filter.labelSelector = parseLabelSelector(input.labelSelector);
    } catch (err) {
      if (err instanceof LabelSelectorError) throw new ValidationError('labelSelector', err.message);
      throw err;
    }
  }

  let order = DEFAULT_ORDER;
  if (input.order) {
    const field = CLUSTER_ORDER_FIELDS.find((f) => f !== 'id' && f.toLowerCase() === input.order!.field.replaceAll('_', '').toLowerCase());
    if (!field) throw new ValidationError(names.orderBy, 'must order by name, created_at, updated_at or health_status');
    const direction = input.order.direction.toLowerCase();
    if (direction !== 'asc' && direction !== 'desc') throw new ValidationError(names.orderBy, 'the direction must be ASC or DESC');
    order = { field, direction };
  }

  const query: ClusterQuery = { filter, order };
  if (input.first !== undefined) {
    if (!Number.isInteger(input.first) || input.first < 1 || input.first > MAX_PAGE_SIZE) {
      throw new ValidationError(names.first, `must be an integer from 1 to ${MAX_PAGE_SIZE}`);
    }
    query.first = input.first;
  }
  if (input.after !== undefined && input.after !== '') query.after = decodeCursor(input.after, order, names.after);
  return query;
}

/** The sort key of a cluster under an order, as the cursor carries it. */
function sortKeyOf(c: ClusterView, field: ClusterOrderFieldValue): string {
  switch (field) {
    case 'id':
      return String(c.id);
    case 'name':
      return c.name;
    case 'createdAt':
      return c.createdAt.toISOString();
    case 'updatedAt':
      return c.updatedAt.toISOString();
    case 'healthStatus':
      return c.healthStatus;
  }
}

/**
 * Opaque to clients (base64url of a small JSON): the order it belongs to, the last row's sort key and id. It names a
 * position, not an offset, so rows inserted or deleted before it never shift the next page.
 */
export function encodeCursor(c: ClusterView, order: ClusterOrder): string {
  return Buffer.from(JSON.stringify([order.field, order.direction, sortKeyOf(c, order.field), c.id])).toString('base64url');
}

function decodeCursor(raw: string, order: ClusterOrder, field: string): ClusterCursor {
  let parsed: unknown;
  try {
    if (raw.length > 1024 || !/^[A-Za-z0-9_-]+$/.test(raw)) throw new Error('not base64url');
    parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw new ValidationError(field, 'is not a cursor this API returned');
  }
  if (!Array.isArray(parsed) || parsed.length !== 4) throw new ValidationError(field, 'is not a cursor this API returned');
  const [f, d, key, id] = parsed as unknown[];
  if (typeof key !== 'string' || !Number.isInteger(id) || (id as number) < 1 || (id as number) > 2_147_483_647) {
    throw new ValidationError(field, 'is not a cursor this API returned');
  }
  if (f !== order.field || d !== order.direction) throw new ValidationError(field, 'belongs to a different order; start again without it');
  const valid =
    order.field === 'createdAt' || order.field === 'updatedAt'
      ? !Number.isNaN(Date.parse(key))
      : order.field === 'healthStatus'
        ? (HEALTH_STATUSES as readonly string[]).includes(key)
        : order.field === 'id'
          ? key === String(id)
          : key.length <= 400;
  if (!valid) throw new ValidationError(field, 'is not a cursor this API returned');
  return { field: order.field, direction: order.direction, key, id: id as number };
}

/** A page over an already ordered (id ascending) full list: the cached-list path for unfiltered paging. */
export function pageOfWholeList(items: readonly ClusterView[], query: ClusterQuery): ClusterPage {
  let start = 0;
  if (query.after) {
    const afterId = query.after.id;
    start = items.findIndex((c) => c.id > afterId);
    if (start === -1) start = items.length;
  }
  const end = query.first === undefined ? items.length : Math.min(items.length, start + query.first);
  const slice = start === 0 && end === items.length ? items : items.slice(start, end);
  const last = slice[slice.length - 1];
  return {
    items: slice,
    total: items.length,
    pageInfo: { hasNextPage: end < items.length, endCursor: last ? encodeCursor(last, DEFAULT_ORDER) : null },
  };
}
