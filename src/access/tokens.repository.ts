import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { type AccessTokenRow, accessTokens } from '../db/schema.js';
import type { EventBus } from '../events/event-bus.js';

/** An issued token as listed (never the token itself). */
export interface AccessTokenView {
  id: string;
  subject: string;
  clusterId: number;
  createdAt: Date;
  expiresAt: Date;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

export interface NewAccessToken {
  id: string;
  jti: string;
  subject: string;
  groups: readonly string[];
  clusterId: number;
  expiresAt: Date;
}

const view = (r: AccessTokenRow): AccessTokenView => ({
  id: r.id,
  subject: r.subject,
  clusterId: r.clusterId,
  createdAt: r.createdAt,
  expiresAt: r.expiresAt,
  revokedAt: r.revokedAt,
  lastUsedAt: r.lastUsedAt,
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isTokenId = (v: string) => UUID.test(v);

/** `access_tokens` in PostgreSQL: the only place drizzle touches it. */
export class TokensRepository {
  constructor(
    private readonly db: Db,
    private readonly events: EventBus,
  ) {}

  async insert(t: NewAccessToken): Promise<AccessTokenView> {
    const [row] = await this.db
      .insert(accessTokens)
      .values({ id: t.id, jti: t.jti, subject: t.subject, groups: [...t.groups], clusterId: t.clusterId, expiresAt: t.expiresAt })
      .returning();
    return view(row!);
  }

  /** Newest first; one subject's, or everyone's when `subject` is undefined. */
  async list(subject: string | undefined, limit = 1_000): Promise<AccessTokenView[]> {
    const rows = await this.db
      .select()
      .from(accessTokens)
      .where(subject === undefined ? undefined : eq(accessTokens.subject, subject))
      .orderBy(desc(accessTokens.createdAt))
      .limit(limit);
    return rows.map(view);
  }

  async findById(id: string): Promise<AccessTokenView | undefined> {
    const [row] = await this.db.select().from(accessTokens).where(eq(accessTokens.id, id));
    return row && view(row);
  }

  /** Whether `jti` names a token that is neither revoked nor expired, for cluster `clusterId`. */
  async isActive(jti: string, clusterId: number): Promise<boolean> {
    const [row] = await this.db
      .select({ id: accessTokens.id })
      .from(accessTokens)
      .where(
        and(eq(accessTokens.jti, jti), eq(accessTokens.clusterId, clusterId), isNull(accessTokens.revokedAt), sql`${accessTokens.expiresAt} > now()`),
      );
    return row !== undefined;
  }

  /**
   * Revokes a token (once: a second revocation changes nothing and returns undefined) and, in the same transaction,
   * tells every replica to forget it (`access.token.revoked` over LISTEN/NOTIFY), so a cached "active" verdict ends
   * when the revocation commits.
   */
  async revoke(id: string): Promise<{ view: AccessTokenView; jti: string } | undefined> {
    return this.db.transaction(async (tx) => {
      const [row] = await tx
        .update(accessTokens)
        .set({ revokedAt: new Date() })
        .where(and(eq(accessTokens.id, id), isNull(accessTokens.revokedAt)))
        .returning();
      if (!row) return undefined;
      await this.events.publishInTx(tx as unknown as Db, { type: 'access.token.revoked', jti: row.jti });
      return { view: view(row), jti: row.jti };
    });
  }

  async touch(jti: string): Promise<void> {
    await this.db.update(accessTokens).set({ lastUsedAt: new Date() }).where(eq(accessTokens.jti, jti));
  }
}
