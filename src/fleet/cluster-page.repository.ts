import { and, eq, inArray, not, or, type SQL, sql } from 'drizzle-orm';
import { liveCluster, RAW_VIEW_COLUMNS, type RawClusterView, viewOfRaw } from '../clusters/cluster.repository.js';
import { executePrepared } from '../db/prepared.js';
import { rowsOf } from '../db/rows.js';
import type { Db } from '../db/client.js';
import { clusters } from '../db/schema.js';
import { type ClusterFilter, type ClusterOrderFieldValue, type ClusterPage, type ClusterQuery, encodeCursor } from './cluster-query.js';
import type { LabelRequirement } from './label-selector.js';

/**
 * Filtered, ordered, keyset-paged cluster lists in SQL. Every condition is sargable against the indexes declared in
 * db/schema.ts (fleet section): equality and `in` on labels use jsonb containment (`@>`) and existence uses `?`, both
 * answered by the GIN index; orders use the (sort key, id) indexes. Nothing loads the whole table into memory.
 *
 * One statement per page: the count of every match (whatever the cursor) left-joined to the page, so the total comes
 * even with an empty page, in one round trip.
 */
export async function selectClusterPage(db: Db, query: ClusterQuery, visibleIds?: readonly number[]): Promise<ClusterPage> {
  if (visibleIds && visibleIds.length === 0) return { items: [], total: 0, pageInfo: { hasNextPage: false, endCursor: null } };
  const rows = rowsOf<RawClusterView & { total: number }>(await executePrepared(db, clusterPageStatement(query, visibleIds)));
  const total = Number(rows[0]?.total ?? 0);
  const found = rows[0]?.id === null || rows[0]?.id === undefined ? [] : rows;
  const hasNextPage = query.first !== undefined && found.length > query.first;
  const items = (hasNextPage ? found.slice(0, query.first) : found).map(viewOfRaw);
  const last = items[items.length - 1];
  return { items, total, pageInfo: { hasNextPage, endCursor: last ? encodeCursor(last, query.order) : null } };
}

/** The page's statement: columns of `RAW_VIEW_COLUMNS` plus `total` (and `sort_key`); one row with null columns when the page is empty. */
export function clusterPageStatement(query: ClusterQuery, visibleIds?: readonly number[]): SQL {
  const matches = and(liveCluster, ...filterConditions(query.filter), visibleIds ? inArray(clusters.id, [...visibleIds]) : undefined);
  const sortKey = SORT_KEYS[query.order.field];
  const dir = query.order.direction === 'desc' ? sql`DESC` : sql`ASC`;
  const after = query.after
    ? sql`AND (${sortKey}, ${clusters.id}) ${query.order.direction === 'desc' ? sql`<` : sql`>`} (${cursorKey(query.order.field, query.after.key)}, ${query.after.id}::int)`
    : sql``;
  // One row beyond the page says whether another page follows.
  const limit = query.first === undefined ? sql`` : sql`LIMIT ${query.first + 1}`;
  const order = query.order.field === 'id' ? sql`${clusters.id} ${dir}` : sql`${sortKey} ${dir}, ${clusters.id} ${dir}`;
  return sql`
    SELECT m.total, p.* FROM (SELECT count(*)::int AS total FROM ${clusters} WHERE ${matches}) m
    LEFT JOIN (
      SELECT ${RAW_VIEW_COLUMNS}, ${sortKey} AS sort_key FROM ${clusters} WHERE ${matches} ${after} ORDER BY ${order} ${limit}
    ) p ON true
    ORDER BY p.sort_key ${dir}, p.id ${dir}`;
}

/** The expression each order sorts by; names sort case-insensitively, matching their case-insensitive uniqueness. */
const SORT_KEYS: Record<ClusterOrderFieldValue, SQL> = {
  id: sql`${clusters.id}`,
  name: sql`lower(${clusters.name})`,
  createdAt: sql`${clusters.createdAt}`,
  updatedAt: sql`${clusters.updatedAt}`,
  // The enum's declaration order: unknown, healthy, warning, error, unavailable.
  healthStatus: sql`${clusters.healthStatus}`,
};

/** A cursor's sort key as a typed parameter comparable with the sort expression. */
function cursorKey(field: ClusterOrderFieldValue, key: string): SQL {
  switch (field) {
    case 'id':
      return sql`${Number(key)}::int`;
    case 'name':
      return sql`lower(${key})`;
    case 'createdAt':
    case 'updatedAt':
      return sql`${key}::timestamptz`;
    case 'healthStatus':
      return sql`${key}::health_status`;
  }
}

function filterConditions(f: ClusterFilter): (SQL | undefined)[] {
  return [
    // A substring test, not LIKE: "%" and "_" in the search text are plain characters.
    f.search !== undefined ? sql`strpos(lower(${clusters.name}), lower(${f.search})) > 0` : undefined,
    f.healthStatus?.length ? inArray(clusters.healthStatus, [...f.healthStatus]) : undefined,
    f.enabled !== undefined ? eq(clusters.enabled, f.enabled) : undefined,
    f.prometheusSource?.length ? inArray(clusters.prometheusSource, [...f.prometheusSource]) : undefined,
    ...(f.labelSelector ?? []).map(labelCondition),
  ];
}

/** `labels @> {"key": "value"}`: true or false, never null, and answered by the GIN index. */
const hasLabel = (key: string, value: string): SQL => sql`${clusters.labels} @> ${JSON.stringify({ [key]: value })}::jsonb`;

function labelCondition({ key, operator, values }: LabelRequirement): SQL {
  switch (operator) {
    case 'exists':
      return sql`${clusters.labels} ? ${key}`;
    case 'notExists':
      return sql`NOT (${clusters.labels} ? ${key})`;
    case 'equals':
      return hasLabel(key, values[0]!);
    case 'notEquals':
      return not(hasLabel(key, values[0]!));
    case 'in':
      return or(...values.map((v) => hasLabel(key, v)))!;
    case 'notIn':
      return not(or(...values.map((v) => hasLabel(key, v)))!);
  }
}
