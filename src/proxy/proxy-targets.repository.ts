import { and, type SQL, sql } from 'drizzle-orm';
import { liveCluster } from '../clusters/cluster.repository.js';
import type { Db } from '../db/client.js';
import { clusters } from '../db/schema.js';

/** What the proxy needs of a cluster row: the id, name, state, impersonation flag and the encrypted kubeconfig. */
export interface ProxyTargetRow {
  id: number;
  name: string;
  enabled: boolean;
  impersonate: boolean;
  ciphertext: string;
}

/** Reads proxy targets from `clusters` (live ones only): what forwarding needs, the stored ciphertext included. */
export class ProxyTargetsRepository {
  constructor(private readonly db: Db) {}

  byId(id: number): Promise<ProxyTargetRow | undefined> {
    return this.one(sql`${clusters.id} = ${id}`);
  }

  /** Names are unique case-insensitively among live clusters. */
  byName(name: string): Promise<ProxyTargetRow | undefined> {
    return this.one(sql`lower(${clusters.name}) = lower(${name})`);
  }

  defaultCluster(): Promise<ProxyTargetRow | undefined> {
    return this.one(sql`${clusters.isDefault}`);
  }

  private async one(where: SQL): Promise<ProxyTargetRow | undefined> {
    const [row] = await this.db
      .select({
        id: clusters.id,
        name: clusters.name,
        enabled: clusters.enabled,
        impersonate: clusters.impersonate,
        ciphertext: clusters.kubeconfigCiphertext,
      })
      .from(clusters)
      .where(and(where, liveCluster))
      .limit(1);
    return row;
  }
}
