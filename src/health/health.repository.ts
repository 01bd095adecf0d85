import { sql } from 'drizzle-orm';
import { liveCluster } from '../clusters/cluster.repository.js';
import type { Db } from '../db/client.js';
import { rowsOf } from '../db/rows.js';
import type { HealthStatusValue } from '../db/schema.js';
import type { EventBus } from '../events/event-bus.js';
import type { TransactionalOutbox } from '../events/outbox.js';
import type { HealthDecision, Observation } from './health-evaluator.js';

/** What a probe needs about one cluster, read in the same statement that claims it. */
export interface ClusterToProbe {
  id: number;
  ciphertext: string;
  status: HealthStatusValue;
  message: string | null;
  candidateStatus: HealthStatusValue | null;
  candidateCount: number;
  kubernetesVersion: string | null;
  nodeCount: number;
  readyNodeCount: number | null;
  podCount: number;
  /**
   * When this check was claimed (scheduled probes): stored as `last_checked_at`, so the next claim is due one interval
   * after this one started, whatever the probe and the write then took; the stamp is the start of the check.
   */
  claimedAt?: Date | string;
}

const probeColumns = sql`id, kubeconfig_ciphertext AS ciphertext, health_status AS status, health_message AS message,
  health_candidate_status AS "candidateStatus", health_candidate_count AS "candidateCount",
  kubernetes_version AS "kubernetesVersion", node_count AS "nodeCount", ready_node_count AS "readyNodeCount", pod_count AS "podCount"`;

/** A committed change of a cluster's shown health state: one `cluster_health_events` row. */
export interface HealthTransition {
  clusterId: number;
  from: HealthStatusValue;
  to: HealthStatusValue;
  message: string | null;
  at: Date;
}

/** What storing one result did: whether the row was written, and the transition it committed, if any. */
export interface RecordOutcome {
  written: boolean;
  transition: HealthTransition | null;
}

/** One probe result to store (see `HealthRepository.recordMany`). */
export interface HealthWrite {
  before: ClusterToProbe;
  observation: Observation;
  decision: HealthDecision;
  credentialExpiresAt: Date | null;
  /** Write only while this replica holds the cluster's lease (scheduled probes); absent for explicit tests. */
  owner?: string;
  /**
   * Scheduled probes: the stamp (`before.claimedAt`) is at most this many seconds older than the write, so a cluster
   * whose probe took longer than that still rests before its next one instead of being probed back to back.
   */
  maxStampAgeSeconds?: number;
}

/**
 * Health bookkeeping in PostgreSQL. A probe round for a cluster is claimed with a lease (`FOR UPDATE SKIP LOCKED`) and
 * gated on `last_checked_at`, so N replicas on one database probe each cluster once per interval, not N times; a
 * replica that dies mid-probe loses its claim when the lease runs out.
 */
export class HealthRepository {
  constructor(
    private readonly db: Db,
    private readonly events: EventBus,
    /** Health transitions are recorded for webhooks in the very statement that stores them (events/outbox.ts). */
    private readonly outbox?: TransactionalOutbox,
  ) {}

  /** Claims up to `limit` due clusters in one statement (one round trip however many replicas compete). */
  async claimDue(owner: string, intervalSeconds: number, leaseSeconds: number, limit: number): Promise<ClusterToProbe[]> {
    const result = await this.db.execute(sql`
      UPDATE clusters SET health_lease_owner = ${owner}, health_lease_until = now() + make_interval(secs => ${leaseSeconds})
      WHERE id IN (
        SELECT id FROM clusters
        WHERE ${liveCluster} AND enabled
          AND (last_checked_at IS NULL OR last_checked_at <= now() - make_interval(secs => ${intervalSeconds}))
          AND (health_lease_until IS NULL OR health_lease_until < now())
        ORDER BY last_checked_at ASC NULLS FIRST, id
        LIMIT ${limit}
        FOR UPDATE SKIP LOCKED
      )
      RETURNING ${probeColumns}, now() AS "claimedAt"`);
    return rowsOf<ClusterToProbe>(result);
  }

  async load(id: number): Promise<(ClusterToProbe & { name: string; enabled: boolean }) | undefined> {
    const result = await this.db.execute(sql`SELECT ${probeColumns}, name, enabled FROM clusters WHERE id = ${id} AND ${liveCluster}`);
    return rowsOf<ClusterToProbe & { name: string; enabled: boolean }>(result)[0];
  }

  /**
   * Stores decisions, many in one statement (a sweep writes thousands; a statement per result cost more than the
   * probes). Each row is written only while `owner` (when given) still holds its lease: a replica whose lease expired
   * must not overwrite a newer result. Each row publishes its own health event, and only when something a client can
   * see changed; the writes and their events commit together. A change of the shown state is also a history row
   * (`cluster_health_events`), inserted by the same statement: the old state is read under the row lock the update
   * takes, so `from` is what was really replaced, whatever the probe saw when it was claimed. Returns, per input,
   * whether its row was written and the transition it committed: the one place a committed transition is known.
   */
  async recordMany(results: HealthWrite[]): Promise<RecordOutcome[]> {
    if (results.length === 0) return [];
    const rows = results.map(({ before, observation: obs, decision, credentialExpiresAt, owner, maxStampAgeSeconds }) => {
      const after = {
        kubernetesVersion: obs.kubernetesVersion ?? before.kubernetesVersion,
        nodeCount: obs.nodeCount ?? before.nodeCount,
        readyNodeCount: obs.readyNodeCount ?? before.readyNodeCount,
        podCount: obs.podCount ?? before.podCount,
      };
      const visible =
        decision.status !== before.status ||
        decision.message !== before.message ||
        after.kubernetesVersion !== before.kubernetesVersion ||
        after.nodeCount !== before.nodeCount ||
        after.readyNodeCount !== before.readyNodeCount ||
        after.podCount !== before.podCount;
      return {
        id: before.id,
        status: decision.status,
        message: decision.message,
        candidate_status: decision.candidateStatus,
        candidate_count: decision.candidateCount,
        kubernetes_version: after.kubernetesVersion,
        node_count: after.nodeCount,
        ready_node_count: after.readyNodeCount,
        pod_count: after.podCount,
        credential_expires_at: credentialExpiresAt?.toISOString() ?? null,
        reachable: obs.reachable,
        visible,
        owner: owner ?? null,
        checked_at: before.claimedAt === undefined ? null : new Date(before.claimedAt).toISOString(),
        max_stamp_age: maxStampAgeSeconds ?? 0,
      };
    });
    // The event of each visible row, picked by id: only rows actually updated (lease still held) reach the CASE.
    const events = rows
      .filter((r) => r.visible)
      .map((r) => sql`WHEN ${r.id} THEN ${this.events.notifyExpression({ type: 'cluster.changed', clusterId: r.id, change: 'health' })}`);
    const notify = events.length ? sql`CASE WHEN u.visible THEN CASE u.id ${sql.join(events, sql` `)} END END` : sql`NULL`;
    // The results travel as one JSON parameter: one short statement text whatever the batch size.
    const result = await this.db.execute(sql`
      WITH input AS (
        SELECT * FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS i(
          id int, status health_status, message text, candidate_status health_status, candidate_count int,
          kubernetes_version varchar(64), node_count int, ready_node_count int, pod_count int,
          credential_expires_at timestamptz, reachable boolean, visible boolean, owner text, checked_at timestamptz, max_stamp_age float8)
      ), old AS (
        SELECT c.id, c.health_status FROM clusters c WHERE c.id IN (SELECT id FROM input) FOR UPDATE
      ), u AS (
        UPDATE clusters SET
          health_status = i.status, health_message = i.message,
          health_candidate_status = i.candidate_status, health_candidate_count = i.candidate_count,
          kubernetes_version = i.kubernetes_version, node_count = i.node_count,
          ready_node_count = i.ready_node_count, pod_count = i.pod_count,
          credential_expires_at = i.credential_expires_at,
          last_connected_at = CASE WHEN i.reachable THEN now() ELSE clusters.last_connected_at END,
          -- A scheduled check keeps its claim time, within max_stamp_age of now (never moving the stamp back past a
          -- newer explicit test's); an explicit test stamps now.
          last_checked_at = GREATEST(COALESCE(i.checked_at, now()), now() - make_interval(secs => i.max_stamp_age), clusters.last_checked_at),
          health_lease_owner = NULL, health_lease_until = NULL,
          updated_at = CASE WHEN i.visible THEN now() ELSE clusters.updated_at END
        FROM input i JOIN old o ON o.id = i.id
        WHERE clusters.id = i.id AND ${liveCluster} AND clusters.enabled AND (i.owner IS NULL OR clusters.health_lease_owner = i.owner)
        RETURNING clusters.id, i.visible, o.health_status AS from_status, i.status AS to_status, i.message, clusters.last_checked_at AS at
      ), h AS (
        INSERT INTO cluster_health_events (cluster_id, at, from_status, to_status, message)
        SELECT u.id, u.at, u.from_status, u.to_status, u.message FROM u WHERE u.from_status <> u.to_status
        RETURNING cluster_id
      )${this.outbox ? sql`, outboxed AS (${this.outbox.healthTransitionsFrom(sql`u`)})` : sql``}
      SELECT u.id, ${notify} AS notified, u.from_status AS "from", u.to_status AS "to", u.message, u.at,
        EXISTS (SELECT 1 FROM h WHERE h.cluster_id = u.id) AS changed
      FROM u`);
    type Row = { id: number; from: HealthStatusValue; to: HealthStatusValue; message: string | null; at: string | Date; changed: boolean };
    const byId = new Map(rowsOf<Row>(result).map((r) => [Number(r.id), r]));
    return results.map(({ before }) => {
      const row = byId.get(before.id);
      if (!row) return { written: false, transition: null };
      const transition = row.changed ? { clusterId: before.id, from: row.from, to: row.to, message: row.message, at: new Date(row.at) } : null;
      return { written: true, transition };
    });
  }

  /** Gives back leases this replica holds (graceful shutdown), so another replica can probe at once. */
  async releaseLeases(owner: string): Promise<void> {
    await this.db.execute(sql`UPDATE clusters SET health_lease_owner = NULL, health_lease_until = NULL WHERE health_lease_owner = ${owner}`);
  }
}
