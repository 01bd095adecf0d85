import { and, inArray } from 'drizzle-orm';
import { liveCluster } from '../clusters/cluster.repository.js';
import type { Db } from '../db/client.js';
import { clusters } from '../db/schema.js';

/** The stored (encrypted) kubeconfigs metrics needs to reach in-cluster Prometheus servers through the service proxy. */
export class ClusterMetricsRepository {
  constructor(private readonly db: Db) {}

  /** Ciphertext of each live cluster asked for, in one query; deleted or unknown clusters are absent. */
  async ciphertexts(clusterIds: readonly number[]): Promise<Map<number, string>> {
    const found = new Map<number, string>();
    if (clusterIds.length === 0) return found;
    const rows = await this.db
      .select({ id: clusters.id, ciphertext: clusters.kubeconfigCiphertext })
      .from(clusters)
      .where(and(inArray(clusters.id, [...new Set(clusterIds)]), liveCluster));
    for (const row of rows) found.set(row.id, row.ciphertext);
    return found;
  }
}
