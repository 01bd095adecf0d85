import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import type { HealthStatusValue } from '../db/schema.js';
import type { EventBus } from '../events/event-bus.js';
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

/** Rows from `db.execute` on either driver (postgres.js returns an array, PGlite an object with `rows`). */
export function rowsOf<T>(result: unknown): T[] {
  return (Array.isArray(result) ? result : ((result as { rows?: unknown[] }).rows ?? [])) as T[];
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
  ) {}

  /** Claims up to `limit` due clusters in one statement (one round trip however many replicas compete). */
  async claimDue(owner: string, intervalSeconds: number, leaseSeconds: number, limit: number): Promise<ClusterToProbe[]> {
    const result = await this.db.execute(sql`
      UPDATE clusters SET health_lease_owner = ${owner}, health_lease_until = now() + make_interval(secs => ${leaseSeconds})
      WHERE id IN (
        SELECT id FROM clusters
        WHERE deleted_at IS NULL AND enabled
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
    const result = await this.db.execute(sql`SELECT ${probeColumns}, name, enabled FROM clusters WHERE id = ${id} AND deleted_at IS NULL`);
    return rowsOf<ClusterToProbe & { name: string; enabled: boolean }>(result)[0];
  }

  /**
   * Stores a decision. With `owner`, only while this replica still holds the lease (a replica whose lease expired must
   * not overwrite a newer result). Publishes a health event only when something a client can see changed.
   */
  async record(before: ClusterToProbe, obs: Observation, decision: HealthDecision, credentialExpiresAt: Date | null, owner?: string): Promise<boolean> {
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
    // One statement: the write and its event commit together, in one round trip (a sweep writes thousands).
    const event = this.events.notifyExpression({ type: 'cluster.changed', clusterId: before.id, change: 'health' });
    const result = await this.db.execute(sql`
      WITH updated AS (
        UPDATE clusters SET
          health_status = ${decision.status}, health_message = ${decision.message},
          health_candidate_status = ${decision.candidateStatus}, health_candidate_count = ${decision.candidateCount},
          kubernetes_version = ${after.kubernetesVersion}, node_count = ${after.nodeCount},
          ready_node_count = ${after.readyNodeCount}, pod_count = ${after.podCount},
          credential_expires_at = ${credentialExpiresAt?.toISOString() ?? null},
          last_connected_at = CASE WHEN ${obs.reachable} THEN now() ELSE last_connected_at END,
          last_checked_at = now(),
          health_lease_owner = NULL, health_lease_until = NULL,
          updated_at = CASE WHEN ${visible} THEN now() ELSE updated_at END
        WHERE id = ${before.id} AND deleted_at IS NULL AND enabled
          ${owner ? sql`AND health_lease_owner = ${owner}` : sql``}
        RETURNING id
      )
      SELECT id, CASE WHEN ${visible} THEN ${event} END AS notified FROM updated`);
    return rowsOf(result).length > 0;
  }

  /** Gives back leases this replica holds (graceful shutdown), so another replica can probe at once. */
  async releaseLeases(owner: string): Promise<void> {
    await this.db.execute(sql`UPDATE clusters SET health_lease_owner = NULL, health_lease_until = NULL WHERE health_lease_owner = ${owner}`);
  }
}
