import { and, asc, eq, inArray, or, sql } from 'drizzle-orm';
import { liveCluster } from '../clusters/cluster.repository.js';
import type { Db } from '../db/client.js';
import { rowsOf } from '../db/rows.js';
import { clusterGrants, clusters } from '../db/schema.js';
import type { ClusterRoleValue, SubjectKindValue } from './roles.js';

/** A grant as every transport sees it (GraphQL's ClusterGrant implements it; REST maps it to snake_case). */
export interface ClusterGrantView {
  id: number;
  clusterId: number;
  subject: string;
  subjectKind: SubjectKindValue;
  role: ClusterRoleValue;
  createdAt: Date;
  createdBy: string;
}

/** Who a caller is, for matching grants: its user subject and its groups. */
export interface GrantHolder {
  subject: string;
  groups: readonly string[];
}

export interface NewGrant {
  clusterId: number;
  subject: string;
  subjectKind: SubjectKindValue;
  role: ClusterRoleValue;
  createdBy: string;
}

const grantColumns = {
  id: clusterGrants.id,
  clusterId: clusterGrants.clusterId,
  subject: clusterGrants.subject,
  subjectKind: clusterGrants.subjectKind,
  role: clusterGrants.role,
  createdAt: clusterGrants.createdAt,
  createdBy: clusterGrants.createdBy,
} satisfies { [K in keyof ClusterGrantView]: unknown };

/** The one row mapper (raw rows from `execute` carry strings for timestamps on some drivers). */
function toGrantView(row: ClusterGrantView): ClusterGrantView {
  return { ...row, id: Number(row.id), clusterId: Number(row.clusterId), createdAt: new Date(row.createdAt) };
}

/**
 * Grants in PostgreSQL. Every read joins the live-cluster predicate: a deleted cluster's grants are never read, so
 * nothing has to remove them when a cluster goes (and a later cluster never inherits them: ids are not reused).
 */
export class GrantsRepository {
  /**
   * `rolesOf` for given clusters, the statement of every per-cluster role check (`myRole`, a user's C2), built once:
   * drizzle's query building was a fifth of such a request's CPU. Arrays as parameters keep the text fixed whatever
   * the number of groups and clusters.
   */
  private readonly rolesOnClusters;

  constructor(private readonly db: Db) {
    const groupGrant = sql`${clusterGrants.subject} = any(${sql.placeholder('groups')}::text[])`;
    this.rolesOnClusters = db
      .select({ clusterId: clusterGrants.clusterId, role: clusterGrants.role })
      .from(clusterGrants)
      .innerJoin(clusters, eq(clusters.id, clusterGrants.clusterId))
      .where(
        and(
          or(
            and(eq(clusterGrants.subjectKind, 'user'), eq(clusterGrants.subject, sql.placeholder('subject'))),
            and(eq(clusterGrants.subjectKind, 'group'), groupGrant),
          ),
          sql`${clusterGrants.clusterId} = any(${sql.placeholder('ids')}::int[])`,
          liveCluster,
        ),
      )
      .prepare('grant_roles_on_clusters');
  }

  /** The caller's grants, per live cluster (all of them, or only `clusterIds`): every role that applies, unranked. */
  async rolesOf(holder: GrantHolder, clusterIds?: readonly number[]): Promise<Map<number, ClusterRoleValue[]>> {
    const rows = clusterIds
      ? await this.rolesOnClusters.execute({ subject: holder.subject, groups: [...holder.groups], ids: [...clusterIds] })
      : await this.allRolesOf(holder);
    const out = new Map<number, ClusterRoleValue[]>();
    for (const r of rows) out.set(r.clusterId, [...(out.get(r.clusterId) ?? []), r.role]);
    return out;
  }

  private allRolesOf(holder: GrantHolder): Promise<{ clusterId: number; role: ClusterRoleValue }[]> {
    const mine = or(
      and(eq(clusterGrants.subjectKind, 'user'), eq(clusterGrants.subject, holder.subject)),
      holder.groups.length ? and(eq(clusterGrants.subjectKind, 'group'), inArray(clusterGrants.subject, [...holder.groups])) : undefined,
    );
    return this.db
      .select({ clusterId: clusterGrants.clusterId, role: clusterGrants.role })
      .from(clusterGrants)
      .innerJoin(clusters, eq(clusters.id, clusterGrants.clusterId))
      .where(and(mine, liveCluster));
  }

  async listForCluster(clusterId: number): Promise<ClusterGrantView[]> {
    const rows = await this.db
      .select(grantColumns)
      .from(clusterGrants)
      .innerJoin(clusters, eq(clusters.id, clusterGrants.clusterId))
      .where(and(eq(clusterGrants.clusterId, clusterId), liveCluster))
      .orderBy(asc(clusterGrants.id));
    return rows.map(toGrantView);
  }

  async findById(grantId: number): Promise<ClusterGrantView | undefined> {
    const [row] = await this.db
      .select(grantColumns)
      .from(clusterGrants)
      .innerJoin(clusters, eq(clusters.id, clusterGrants.clusterId))
      .where(and(eq(clusterGrants.id, grantId), liveCluster));
    return row && toGrantView(row);
  }

  /**
   * Creates the grant, or changes the role of the subject's existing one on that cluster: one statement, decided by
   * the unique index (never check-then-insert). Undefined when the cluster is not live (nothing is written).
   */
  async upsert(g: NewGrant): Promise<ClusterGrantView | undefined> {
    const result = await this.db.execute(sql`
      INSERT INTO ${clusterGrants} (cluster_id, subject, subject_kind, role, created_by)
      SELECT ${clusters.id}, ${g.subject}, ${g.subjectKind}::subject_kind, ${g.role}::cluster_role, ${g.createdBy}
        FROM ${clusters} WHERE ${clusters.id} = ${g.clusterId} AND ${liveCluster}
      ON CONFLICT (cluster_id, subject_kind, subject) DO UPDATE SET role = excluded.role
      RETURNING id, cluster_id AS "clusterId", subject, subject_kind AS "subjectKind", role, created_at AS "createdAt",
        created_by AS "createdBy"`);
    const [row] = rowsOf<ClusterGrantView>(result);
    return row && toGrantView(row);
  }

  /** Deletes one grant of a live cluster; the deleted grant, or undefined when there was none. */
  async delete(grantId: number): Promise<ClusterGrantView | undefined> {
    const [row] = await this.db
      .delete(clusterGrants)
      .where(
        and(
          eq(clusterGrants.id, grantId),
          sql`EXISTS (SELECT 1 FROM ${clusters} WHERE ${clusters.id} = ${clusterGrants.clusterId} AND ${liveCluster})`,
        ),
      )
      .returning(grantColumns);
    return row && toGrantView(row);
  }
}
