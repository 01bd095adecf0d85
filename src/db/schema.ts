import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  uuid,
  varchar,
} from 'drizzle-orm/pg-core';
import { CLUSTER_ROLES, SUBJECT_KINDS } from '../access/roles.js';

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
    /** Proxied requests carry Impersonate-User/-Group of the caller, so the cluster's own RBAC applies too (access). */
    impersonate: boolean('impersonate').notNull().default(false),
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
    // --- health scheduling (issue 18): each replica asks every second which enabled clusters are due, oldest check
    // first; this index answers that from its head instead of a scan and sort of the whole fleet.
    index('clusters_health_due_idx').on(sql`${t.lastCheckedAt} ASC NULLS FIRST`, t.id).where(sql`${t.deletedAt} IS NULL AND ${t.enabled}`),
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

// ---------------------------------------------------------------------------------------------------------------------
// Access (src/access): per-cluster grants. The role and subject-kind lists live in access/roles.ts.
// ---------------------------------------------------------------------------------------------------------------------
export const clusterRoleEnum = pgEnum('cluster_role', CLUSTER_ROLES);
export const subjectKindEnum = pgEnum('subject_kind', SUBJECT_KINDS);

export const clusterGrants = pgTable(
  'cluster_grants',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    clusterId: integer('cluster_id')
      .notNull()
      .references(() => clusters.id),
    /** A token's `sub` (kind user) or a name from its `groups` claim (kind group). */
    subject: varchar('subject', { length: 256 }).notNull(),
    subjectKind: subjectKindEnum('subject_kind').notNull(),
    role: clusterRoleEnum('role').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    /** The `sub` of whoever granted it. */
    createdBy: varchar('created_by', { length: 256 }).notNull(),
  },
  (t) => [
    // One grant per subject and cluster: granting again updates the role (INSERT … ON CONFLICT on this index).
    uniqueIndex('cluster_grants_subject_uq').on(t.clusterId, t.subjectKind, t.subject),
    // A caller's grants are looked up by subject on every access decision.
    index('cluster_grants_subject_idx').on(t.subjectKind, t.subject),
  ],
);

export type ClusterGrantRow = typeof clusterGrants.$inferSelect;
// Audit (src/audit): the append-only log of writes, and the claim that lets one replica per interval prune it.
// ---------------------------------------------------------------------------------------------------------------------

export const auditEvents = pgTable(
  'audit_events',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    at: timestamp('at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    actor: text('actor').notNull(),
    action: text('action').notNull(),
    /** No foreign key: the history of a cluster outlives its row (and names it by `cluster_name`). */
    clusterId: integer('cluster_id'),
    clusterName: text('cluster_name'),
    target: text('target'),
    outcome: smallint('outcome').notNull(),
    requestId: text('request_id'),
    sourceIp: text('source_ip'),
  },
  (t) => [
    // Pages are newest first by id (the cursor); `at` serves since/until and pruning; the others serve the filters.
    index('audit_events_at_idx').on(t.at),
    index('audit_events_cluster_idx').on(t.clusterId, t.id),
    index('audit_events_actor_idx').on(t.actor, t.id),
    check('audit_events_outcome_ck', sql`${t.outcome} BETWEEN 100 AND 599`),
  ],
);

/**
 * Periodic work done once per interval across all replicas (audit pruning; reusable by any other pruning job): the
 * replica whose conditional upsert moves `claimed_until` forward runs the job, the others see no row come back.
 */
export const periodicJobClaims = pgTable('periodic_job_claims', {
  job: text('job').primaryKey(),
  claimedBy: text('claimed_by').notNull(),
  claimedUntil: timestamp('claimed_until', { withTimezone: true, precision: 3 }).notNull(),
});

export type ClusterRow = typeof clusters.$inferSelect;
export type DiscoveryTaskRow = typeof discoveryTasks.$inferSelect;
export type HealthStatusValue = (typeof HEALTH_STATUSES)[number];
export type PrometheusSourceValue = (typeof PROMETHEUS_SOURCES)[number];
export type DiscoveryStateValue = (typeof DISCOVERY_STATES)[number];

// ---------------------------------------------------------------------------------------------------------------
// Fleet: health history (issue 14). Every committed health transition is one row, written in the statement that
// commits it (health.repository.ts). Availability is computed from these rows; pruning keeps the newest row before the
// retention cutoff of each cluster, so the state at the start of the retained period stays known.
// ---------------------------------------------------------------------------------------------------------------
export const clusterHealthEvents = pgTable(
  'cluster_health_events',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    clusterId: integer('cluster_id')
      .notNull()
      .references(() => clusters.id),
    at: timestamp('at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    fromStatus: healthStatusEnum('from_status').notNull(),
    toStatus: healthStatusEnum('to_status').notNull(),
    message: text('message'),
  },
  (t) => [
    // Newest-first paging of one cluster's history, and the "state at window start" lookups of availability.
    index('cluster_health_events_cluster_at_idx').on(t.clusterId, t.at, t.id),
    index('cluster_health_events_at_idx').on(t.at),
    check('cluster_health_events_is_transition', sql`${t.fromStatus} <> ${t.toStatus}`),
  ],
);

export type ClusterHealthEventRow = typeof clusterHealthEvents.$inferSelect;

// ---------------------------------------------------------------------------------------------------------------
// Webhooks (issue 14): admin-managed endpoints, the transactional outbox of event occurrences, delivery attempts.
// ---------------------------------------------------------------------------------------------------------------

/** What a webhook may subscribe to (GraphQL `WebhookEvent`, upper-case; REST, lower-case). */
export const WEBHOOK_EVENTS = [
  'cluster_created',
  'cluster_updated',
  'cluster_deleted',
  'cluster_health_changed',
  'credentials_expiring',
  'discovery_finished',
] as const;
/** What a delivery may carry: the subscribable events plus `ping` (testWebhook only, never subscribable). */
export const WEBHOOK_DELIVERY_EVENTS = [...WEBHOOK_EVENTS, 'ping'] as const;
export const WEBHOOK_FORMATS = ['json', 'slack'] as const;
export const WEBHOOK_DELIVERY_STATUSES = ['pending', 'delivering', 'succeeded', 'failed'] as const;

export const webhookEventEnum = pgEnum('webhook_event', WEBHOOK_DELIVERY_EVENTS);
export const webhookFormatEnum = pgEnum('webhook_format', WEBHOOK_FORMATS);
export const webhookDeliveryStatusEnum = pgEnum('webhook_delivery_status', WEBHOOK_DELIVERY_STATUSES);

export const webhooks = pgTable(
  'webhooks',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    /** The URL is a credential too (a Slack incoming-webhook path is its own secret): AES-256-GCM like kubeconfigs. */
    urlCiphertext: text('url_ciphertext').notNull(),
    /** The HMAC signing secret, AES-256-GCM; shown once when created, never read back by any API. */
    secretCiphertext: text('secret_ciphertext').notNull(),
    events: webhookEventEnum('events').array().notNull(),
    format: webhookFormatEnum('format').notNull().default('json'),
    labelSelector: text('label_selector'),
    enabled: boolean('enabled').notNull().default(true),
    createdBy: text('created_by').notNull(),
    ...timestamps,
  },
  (t) => [check('webhooks_events_nonempty', sql`cardinality(${t.events}) > 0`)],
);

/**
 * The outbox of event occurrences: a row is inserted in the same transaction (or statement) as the change it reports,
 * so a committed change is never lost and a rolled-back one never announced. Workers turn each row into one delivery
 * per matching webhook and delete it, in one transaction.
 */
export const webhookEvents = pgTable('webhook_events', {
  id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
  event: webhookEventEnum('event').notNull(),
  clusterId: integer('cluster_id').notNull(),
  data: jsonb('data').notNull().default({}),
  occurredAt: timestamp('occurred_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
});

/** One delivery (an event occurrence for one webhook) and the state of its latest attempt: the delivery log. */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    webhookId: integer('webhook_id')
      .notNull()
      .references(() => webhooks.id, { onDelete: 'cascade' }),
    event: webhookEventEnum('event').notNull(),
    clusterId: integer('cluster_id'),
    /** The JSON message without credentials; the SLACK text is rendered from it at send time. */
    payload: jsonb('payload').notNull(),
    /** Names the occurrence (`event:<outbox id>`, `ping:<uuid>`): one delivery per webhook per occurrence. */
    dedupeKey: text('dedupe_key').notNull(),
    /** Attempts claimed so far (the claim increments it, so each attempt number is claimed by one replica). */
    attempt: integer('attempt').notNull().default(0),
    status: webhookDeliveryStatusEnum('status').notNull().default('pending'),
    responseStatus: integer('response_status'),
    lastError: text('last_error'),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true, precision: 3 }).defaultNow(),
    leaseOwner: text('lease_owner'),
    leaseUntil: timestamp('lease_until', { withTimezone: true, precision: 3 }),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('webhook_deliveries_dedupe_uq').on(t.webhookId, t.dedupeKey),
    index('webhook_deliveries_due_idx').on(t.nextAttemptAt).where(sql`${t.status} IN ('pending', 'delivering')`),
    index('webhook_deliveries_log_idx').on(t.webhookId, t.id),
  ],
);

/**
 * CREDENTIALS_EXPIRING fired once per cluster per credential: the credential's expiry it fired for. Replacing the
 * kubeconfig deletes the row (same transaction), so the next credential fires again when it enters the window.
 */
export const webhookCredentialAlerts = pgTable(
  'webhook_credential_alerts',
  {
    clusterId: integer('cluster_id')
      .notNull()
      .references(() => clusters.id),
    credentialExpiresAt: timestamp('credential_expires_at', { withTimezone: true, precision: 3 }).notNull(),
    firedAt: timestamp('fired_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.clusterId] })],
);

export type WebhookEventValue = (typeof WEBHOOK_EVENTS)[number];
export type WebhookDeliveryEventValue = (typeof WEBHOOK_DELIVERY_EVENTS)[number];
export type WebhookFormatValue = (typeof WEBHOOK_FORMATS)[number];
export type WebhookDeliveryStatusValue = (typeof WEBHOOK_DELIVERY_STATUSES)[number];

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
