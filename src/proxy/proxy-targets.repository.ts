import { type SQL, sql } from 'drizzle-orm';
import { liveCluster } from '../clusters/cluster.repository.js';
import type { Db } from '../db/client.js';
import { rowsOf } from '../db/rows.js';
import { clusters } from '../db/schema.js';

/** What the proxy needs of a cluster row: the id, name, state, impersonation flag and the encrypted kubeconfig. */
export interface ProxyTargetRow {
  id: number;
  name: string;
  enabled: boolean;
  impersonate: boolean;
  ciphertext: string;
}

/**
 * Reads proxy targets from `clusters` (live ones only). `impersonate` is read through `to_jsonb(row)` so this works
 * before and after the access branch adds the column (false until then). Lead: with the `impersonate` column merged
 * into schema.ts, select `clusters.impersonate` directly.
 */
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
    const rows = rowsOf<{ id: number; name: string; enabled: boolean; impersonate: boolean | null; ciphertext: string }>(
      await this.db.execute(sql`
        SELECT ${clusters.id} AS id, ${clusters.name} AS name, ${clusters.enabled} AS enabled, ${clusters.kubeconfigCiphertext} AS ciphertext,
          (to_jsonb(${clusters}.*) ->> 'impersonate')::boolean AS impersonate
        FROM ${clusters} WHERE ${where} AND ${liveCluster} LIMIT 1`),
    );
    const r = rows[0];
    return r && { id: Number(r.id), name: r.name, enabled: r.enabled, impersonate: r.impersonate === true, ciphertext: r.ciphertext };
  }
}
