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
}

const probeColumns = sql`id, kubeconfig_ciphertext AS ciphertext, health_status AS status, health_message AS message,
  health_candidate_status AS "candidateStatus", health_candidate_count AS "candidateCount",
  kubernetes_version AS "kubernetesVersion", node_count AS "nodeCount", ready_node_count AS "readyNodeCount", pod_count AS "podCount"`;

/** One probe result to store (see `HealthRepository.recordMany`). */
export interface HealthWrite {
  before: ClusterToProbe;
  observation: Observation;
  decision: HealthDecision;
  credentialExpiresAt: Date | null;
  /** Write only while this replica holds the cluster's lease (scheduled probes); absent for explicit tests. */
  owner?: string;
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
      RETURNING ${probeColumns}`);
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
   * see changed; the writes and their events commit together. Returns, per input, whether its row was written.
   */
  async recordMany(results: HealthWrite[]): Promise<boolean[]> {
    if (results.length === 0) return [];
    const rows = results.map(({ before, observation: obs, decision, credentialExpiresAt, owner }) => {
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
        prev_status: before.status,
        transition: decision.status !== before.status,
      };
    });
    // The event of each visible row, picked by id: only rows actually updated (lease still held) reach the CASE.
    const events = rows.filter((r) => r.visible).map((r) => sql`WHEN ${r.id} THEN ${this.events.notifyExpression({ type: 'cluster.changed', clusterId: r.id, change: 'health' })}`);
    const notify = events.length ? sql`CASE WHEN u.visible THEN CASE u.id ${sql.join(events, sql` `)} END END` : sql`NULL`;
    // The results travel as one JSON parameter: one short statement text whatever the batch size.
    const result = await this.db.execute(sql`
      WITH input AS (
        SELECT * FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS i(
          id int, status health_status, message text, candidate_status health_status, candidate_count int,
          kubernetes_version varchar(64), node_count int, ready_node_count int, pod_count int,
          credential_expires_at timestamptz, reachable boolean, visible boolean, owner text,
          prev_status health_status, transition boolean)
      ), u AS (
        UPDATE clusters SET
          health_status = i.status, health_message = i.message,
          health_candidate_status = i.candidate_status, health_candidate_count = i.candidate_count,
          kubernetes_version = i.kubernetes_version, node_count = i.node_count,
          ready_node_count = i.ready_node_count, pod_count = i.pod_count,
          credential_expires_at = i.credential_expires_at,
          last_connected_at = CASE WHEN i.reachable THEN now() ELSE clusters.last_connected_at END,
          last_checked_at = now(),
          health_lease_owner = NULL, health_lease_until = NULL,
          updated_at = CASE WHEN i.visible THEN now() ELSE clusters.updated_at END
        FROM input i
        WHERE clusters.id = i.id AND ${liveCluster} AND clusters.enabled AND (i.owner IS NULL OR clusters.health_lease_owner = i.owner)
        RETURNING clusters.id, i.visible, i.prev_status, i.status, i.message, i.transition
      )${this.outbox ? sql`, outboxed AS (${this.outbox.healthTransitionsFrom(sql`u`)})` : sql``}
      SELECT u.id, ${notify} AS notified FROM u`);
    const written = new Set(rowsOf<{ id: number }>(result).map((r) => Number(r.id)));
    return results.map((r) => written.has(r.before.id));
  }

  /** Gives back leases this replica holds (graceful shutdown), so another replica can probe at once. */
  async releaseLeases(owner: string): Promise<void> {
    await this.db.execute(sql`UPDATE clusters SET health_lease_owner = NULL, health_lease_until = NULL WHERE health_lease_owner = ${owner}`);
  }
}
