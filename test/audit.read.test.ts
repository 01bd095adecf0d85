import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { signToken } from '../src/auth/jwt.js';
import { testDrivers } from './support/databases.js';
import { queryRows, TEST_JWT_SECRET, uniqueName, useTestGateway } from './support/gateway.js';

/**
 * Reading the audit log: `GET /api/v1/k8s/audit` and `auditEvents`, global admins only, newest first, filters, opaque
 * cursors that neither repeat nor skip an event while new ones are appended, and a 400 naming the field for bad input.
 */
describe.each(testDrivers())('reading the audit log on %s', (driver) => {
  const t = useTestGateway(driver, {}, { healthMonitor: false, auditPruning: false });

  /** Appends `n` events for a fresh actor through the producer API (what the proxy and other domains call). */
  const seed = async (n: number, extra: { action?: (i: number) => string; clusterId?: (i: number) => number | null } = {}) => {
    const actor = uniqueName('actor');
    for (let i = 0; i < n; i++) {
      await t.gw.audit.record({
        actor,
        action: extra.action?.(i) ?? 'cluster.update',
        clusterId: extra.clusterId?.(i) ?? null,
        clusterName: null,
        target: `test ${i}`,
        outcome: 200,
      });
    }
    return actor;
  };
  const restPage = async (query: string, token?: string) => {
    const res = await t.rest('GET', `/api/v1/k8s/audit?${query}`, { token });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.data as {
      events: { id: number; actor: string; action: string; cluster_id: number | null; target: string }[];
      next_cursor: string | null;
    };
  };
  const AUDIT_QUERY =
    'query($f: AuditFilter, $first: Int, $after: String) { auditEvents(filter: $f, first: $first, after: $after) { items { id actor action clusterId target outcome at } pageInfo { hasNextPage endCursor } } }';

  it('pages newest first with opaque cursors on REST and GraphQL: no duplicate and no gap while events are appended', async () => {
    const actor = await seed(23);
    const expected = (await queryRows<{ id: string | number }>(t.gw, sql`SELECT id FROM audit_events WHERE actor = ${actor} ORDER BY id DESC`)).map(
      (r) => Number(r.id),
    );
    expect(expected).toHaveLength(23);

    const restIds: number[] = [];
    let cursor: string | null = null;
    do {
      const page = await restPage(`actor=${encodeURIComponent(actor)}&limit=5${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      restIds.push(...page.events.map((e) => e.id));
      cursor = page.next_cursor;
      await t.gw.audit.record({ actor, action: 'cluster.update', outcome: 200 }); // appended mid-walk: newer than page one
    } while (cursor);
    expect(restIds).toEqual(expected);

    const gqlIds: number[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const res = await t.gql(AUDIT_QUERY, { f: { actor }, first: 4, after });
      expect(res.errors).toBeUndefined();
      const { items, pageInfo } = res.data.auditEvents;
      gqlIds.push(...items.map((e: { id: string }) => Number(e.id)));
      after = pageInfo.hasNextPage ? pageInfo.endCursor : null;
      if (pageInfo.hasNextPage) expect(typeof pageInfo.endCursor).toBe('string');
      await t.gw.audit.record({ actor, action: 'cluster.update', outcome: 200 });
      pages++;
    } while (after);
    // Everything that existed when the walk began, once each, newest first (events appended since precede it).
    const firstWalk = gqlIds.filter((id) => expected.includes(id));
    expect(firstWalk).toEqual(expected);
    expect(new Set(gqlIds).size).toBe(gqlIds.length);
    expect(pages).toBeGreaterThanOrEqual(6);
  });

  it('filters by cluster, actor, action and time window, on both transports', async () => {
    const clusterA = 900_000 + Math.floor(Math.random() * 90_000);
    const actor = await seed(9, {
      action: (i) => (i % 3 === 0 ? 'cluster.delete' : 'cluster.update'),
      clusterId: (i) => (i % 2 === 0 ? clusterA : clusterA + 1),
    });
    const byCluster = await restPage(`cluster_id=${clusterA}&actor=${encodeURIComponent(actor)}`);
    expect(byCluster.events).toHaveLength(5);
    expect(byCluster.events.every((e) => e.cluster_id === clusterA)).toBe(true);
    const byAction = await restPage(`actor=${encodeURIComponent(actor)}&action=cluster.delete`);
    expect(byAction.events.map((e) => e.target)).toEqual(['test 6', 'test 3', 'test 0']);

    // A window in the past holds events written there, and none of today's.
    const old = uniqueName('old');
    await queryRows(
      t.gw,
      sql`INSERT INTO audit_events (at, actor, action, outcome) VALUES
      ('2024-03-01T10:00:00Z', ${old}, 'cluster.create', 201), ('2024-03-02T10:00:00Z', ${old}, 'cluster.update', 200),
      ('2024-03-05T10:00:00Z', ${old}, 'cluster.delete', 200)`,
    );
    const window = await restPage(`actor=${encodeURIComponent(old)}&since=2024-03-01T12:00:00Z&until=2024-03-04T00:00:00%2B00:00`);
    expect(window.events.map((e) => e.action)).toEqual(['cluster.update']);
    const gqlWindow = await t.gql(AUDIT_QUERY, {
      f: { actor: old, since: '2024-03-01T00:00:00Z', until: '2024-03-02T23:00:00Z', action: 'cluster.create' },
    });
    expect(gqlWindow.errors).toBeUndefined();
    expect(gqlWindow.data.auditEvents.items.map((e: { action: string }) => e.action)).toEqual(['cluster.create']);
    const gqlCluster = await t.gql(AUDIT_QUERY, { f: { clusterId: String(clusterA + 1), actor } });
    expect(gqlCluster.data.auditEvents.items).toHaveLength(4);
    expect(gqlCluster.data.auditEvents.items[0].clusterId).toBe(String(clusterA + 1));
  });

  it('is for global admins only: users get 403 / FORBIDDEN, no token gets 401', async () => {
    const user = await t.rest('GET', '/api/v1/k8s/audit', { token: t.userToken });
    expect(user.status).toBe(403);
    expect(user.body.data).toBeNull();
    const anonymous = await t.rest('GET', '/api/v1/k8s/audit', { token: null });
    expect(anonymous.status).toBe(401);
    const gql = await t.gql(AUDIT_QUERY, {}, { token: t.userToken });
    expect(gql.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(gql.data).toBeNull();
    const admin = await t.rest('GET', '/api/v1/k8s/audit?limit=1', { token: signToken(TEST_JWT_SECRET, { sub: 'carol', role: 'admin' }) });
    expect(admin.status).toBe(200);
  });

  it('bad filter values are a 400 naming the field, never a 500', async () => {
    const cases: [string, string][] = [
      ['cluster_id=abc', 'cluster_id'],
      ['cluster_id=0', 'cluster_id'],
      ['cluster_id=99999999999', 'cluster_id'],
      ['since=yesterday', 'since'],
      ['since=2025-01-01T00:00:00', 'since'],
      ['until=2025-13-45T00:00:00Z', 'until'],
      ['since=2025-02-01T00:00:00Z&until=2025-01-01T00:00:00Z', 'until'],
      ['limit=0', 'limit'],
      ['limit=501', 'limit'],
      ['limit=ten', 'limit'],
      ['cursor=not-a-cursor', 'cursor'],
      [`cursor=${Buffer.from('audit:-1').toString('base64url')}`, 'cursor'],
      [`actor=${'a'.repeat(300)}`, 'actor'],
      ['action=', 'action'],
      ['actor=a&actor=b', 'actor'],
      ['clusterId=1', 'cluster_id'],
    ];
    for (const [query, field] of cases) {
      const res = await t.rest('GET', `/api/v1/k8s/audit?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.field, query).toBe(field);
      expect(res.body.message, query).toContain(field);
    }
    const gqlCases: [Record<string, unknown>, string][] = [
      [{ first: 0 }, 'first'],
      [{ first: 10_000 }, 'first'],
      [{ after: 'garbage' }, 'after'],
      [{ f: { clusterId: 'abc' } }, 'clusterId'],
      [{ f: { since: '2025-02-01T00:00:00Z', until: '2025-01-01T00:00:00Z' } }, 'until'],
    ];
    for (const [variables, field] of gqlCases) {
      const res = await t.gql(AUDIT_QUERY, variables);
      expect(res.errors?.[0]?.extensions, JSON.stringify(variables)).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }
  });
});
