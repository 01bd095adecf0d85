import { sql } from 'drizzle-orm';
import { boolean, check, index, integer, pgEnum, pgTable, text, timestamp, uniqueIndex, uuid, varchar } from 'drizzle-orm/pg-core';

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
  },
  (t) => [
    // Names are unique among live clusters, case-insensitively; a deleted cluster's name can be reused.
    uniqueIndex('clusters_live_name_uq').on(sql`lower(${t.name})`).where(sql`${t.deletedAt} IS NULL`),
    // At most one live default cluster, enforced by the database rather than by check-then-write.
    uniqueIndex('clusters_live_default_uq').on(t.isDefault).where(sql`${t.isDefault} AND ${t.deletedAt} IS NULL`),
    index('clusters_live_idx').on(t.id).where(sql`${t.deletedAt} IS NULL`),
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

// ---- Access: tokens of issued kubeconfigs (issue 13) ----
/**
 * One row per token the gateway put in an issued kubeconfig. The token itself is never stored: its `jti` is, so a
 * revocation (revoked_at) or the row's absence refuses it on the next proxied request.
 */
export const accessTokens = pgTable(
  'access_tokens',
  {
    id: uuid('id').primaryKey(),
    jti: varchar('jti', { length: 64 }).notNull(),
    subject: text('subject').notNull(),
    groups: text('groups').array().notNull().default(sql`'{}'::text[]`),
    clusterId: integer('cluster_id')
      .notNull()
      .references(() => clusters.id),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true, precision: 3 }).notNull(),
    revokedAt: timestamp('revoked_at', { withTimezone: true, precision: 3 }),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true, precision: 3 }),
  },
  (t) => [
    uniqueIndex('access_tokens_jti_uq').on(t.jti),
    index('access_tokens_subject_idx').on(t.subject, t.createdAt),
    check('access_tokens_expiry_ck', sql`${t.expiresAt} > ${t.createdAt}`),
  ],
);

export type AccessTokenRow = typeof accessTokens.$inferSelect;
export type ClusterRow = typeof clusters.$inferSelect;
export type DiscoveryTaskRow = typeof discoveryTasks.$inferSelect;
export type HealthStatusValue = (typeof HEALTH_STATUSES)[number];
export type PrometheusSourceValue = (typeof PROMETHEUS_SOURCES)[number];
export type DiscoveryStateValue = (typeof DISCOVERY_STATES)[number];
