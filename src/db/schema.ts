import { sql } from 'drizzle-orm';
import { boolean, check, index, integer, jsonb, pgEnum, pgTable, text, timestamp, uniqueIndex, varchar } from 'drizzle-orm/pg-core';

/**
 * The one list of each enum's values. Everything else derives from these: the database enums below, the GraphQL enums
 * (schema/enums.ts, upper-case names over these values), the REST zod schemas (rest/responses.ts) and metrics labels.
 */
export const HEALTH_STATUSES = ['unknown', 'healthy', 'warning', 'error', 'unavailable'] as const;
export const PROMETHEUS_SOURCES = ['none', 'auto', 'manual'] as const;
export const DISCOVERY_STATES = ['pending', 'running', 'found', 'not_found', 'failed', 'cancelled'] as const;

export const healthStatusEnum = pgEnum('health_status', HEALTH_STATUSES);
export const prometheusSourceEnum = pgEnum('prometheus_source', PROMETHEUS_SOURCES);
export const discoveryStateEnum = pgEnum('discovery_state', DISCOVERY_STATES);

const timestamps = {
  createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
};

export const clusters = pgTable(
  'clusters',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    name: varchar('name', { length: 100 }).notNull(),
    /** AES-256-GCM envelope of the kubeconfig YAML; see clusters/kubeconfig-cipher.ts. Never selected for lists. */
    kubeconfigCiphertext: text('kubeconfig_ciphertext').notNull(),
    kubeconfigKeyId: varchar('kubeconfig_key_id', { length: 32 }).notNull(),
    isDefault: boolean('is_default').notNull().default(false),
    enabled: boolean('enabled').notNull().default(true),
    healthStatus: healthStatusEnum('health_status').notNull().default('unknown'),
    healthMessage: text('health_message'),
    /** Anti-flapping: the state the last probes pointed to, and how many in a row did. */
    healthCandidateStatus: healthStatusEnum('health_candidate_status'),
    healthCandidateCount: integer('health_candidate_count').notNull().default(0),
    kubernetesVersion: varchar('kubernetes_version', { length: 64 }),
    nodeCount: integer('node_count').notNull().default(0),
    readyNodeCount: integer('ready_node_count'),
    podCount: integer('pod_count').notNull().default(0),
    credentialExpiresAt: timestamp('credential_expires_at', { withTimezone: true, precision: 3 }),
    lastConnectedAt: timestamp('last_connected_at', { withTimezone: true, precision: 3 }),
    lastCheckedAt: timestamp('last_checked_at', { withTimezone: true, precision: 3 }),
    /** A probe round for this cluster is claimed here so N replicas probe it once per interval. */
    healthLeaseOwner: text('health_lease_owner'),
    healthLeaseUntil: timestamp('health_lease_until', { withTimezone: true, precision: 3 }),
    prometheusUrl: text('prometheus_url'),
    prometheusSource: prometheusSourceEnum('prometheus_source').notNull().default('none'),
    ...timestamps,
    deletedAt: timestamp('deleted_at', { withTimezone: true, precision: 3 }),
    // --- fleet (issue 14): labels ---
    /** Kubernetes-style labels, key → value (checked by fleet/labels.ts; at most 64). */
    labels: jsonb('labels').$type<Record<string, string>>().notNull().default({}),
  },
  (t) => [
    // Names are unique among live clusters, case-insensitively; a deleted cluster's name can be reused.
    uniqueIndex('clusters_live_name_uq').on(sql`lower(${t.name})`).where(sql`${t.deletedAt} IS NULL`),
    // At most one live default cluster, enforced by the database rather than by check-then-write.
    uniqueIndex('clusters_live_default_uq').on(t.isDefault).where(sql`${t.isDefault} AND ${t.deletedAt} IS NULL`),
    index('clusters_live_idx').on(t.id).where(sql`${t.deletedAt} IS NULL`),
    // --- fleet (issue 14): selection and keyset pagination ---
    // Label selectors become `labels @> {"k":"v"}` (=, in) and `labels ? 'k'` (existence): both served by this GIN
    // index (jsonb_ops). Negations (!=, notin, !key) are residual filters over what the other conditions left.
    index('clusters_live_labels_gin').using('gin', t.labels).where(sql`${t.deletedAt} IS NULL`),
    // One (sort key, id) index per order, so a page is an index range scan from the cursor, not a sort of every match.
    index('clusters_live_name_order_idx').on(sql`lower(${t.name})`, t.id).where(sql`${t.deletedAt} IS NULL`),
    index('clusters_live_created_order_idx').on(t.createdAt, t.id).where(sql`${t.deletedAt} IS NULL`),
    index('clusters_live_updated_order_idx').on(t.updatedAt, t.id).where(sql`${t.deletedAt} IS NULL`),
    index('clusters_live_health_order_idx').on(t.healthStatus, t.id).where(sql`${t.deletedAt} IS NULL`),
    check('clusters_labels_object_ck', sql`jsonb_typeof(${t.labels}) = 'object'`),
  ],
);

export const discoveryTasks = pgTable(
  'discovery_tasks',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    clusterId: integer('cluster_id')
      .notNull()
      .references(() => clusters.id),
    state: discoveryStateEnum('state').notNull().default('pending'),
    message: text('message'),
    candidatesChecked: integer('candidates_checked').notNull().default(0),
    prometheusUrl: text('prometheus_url'),
    /** Replica that runs the task, and until when its claim holds; an expired lease may be taken over. */
    owner: text('owner'),
    leaseUntil: timestamp('lease_until', { withTimezone: true, precision: 3 }),
    startedAt: timestamp('started_at', { withTimezone: true, precision: 3 }),
    finishedAt: timestamp('finished_at', { withTimezone: true, precision: 3 }),
    ...timestamps,
  },
  (t) => [
    // At most one active task per cluster: two replicas (or two parallel C7 calls) cannot both start one.
    uniqueIndex('discovery_tasks_one_active_uq').on(t.clusterId).where(sql`${t.state} IN ('pending', 'running')`),
    index('discovery_tasks_cluster_idx').on(t.clusterId, t.id),
  ],
);

export type ClusterRow = typeof clusters.$inferSelect;
export type DiscoveryTaskRow = typeof discoveryTasks.$inferSelect;
export type HealthStatusValue = (typeof HEALTH_STATUSES)[number];
export type PrometheusSourceValue = (typeof PROMETHEUS_SOURCES)[number];
export type DiscoveryStateValue = (typeof DISCOVERY_STATES)[number];
