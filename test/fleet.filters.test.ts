import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { testDrivers } from './support/databases.js';
import { type NewFleetCluster, registerMany } from './support/fleet.js';
import { queryRows, useTestGateway } from './support/gateway.js';
import { liveClient } from './support/processes.js';

/**
 * Issue 14 items 1–2: labels on clusters (GraphQL and REST C1–C4) and the filtered, ordered list over GraphQL
 * `clusters(filter, orderBy)` and REST C1's query parameters, computed in SQL; bad input is a 400 naming the field.
 */

const ECHO = 'echo%_x';
const LIST = `query($filter: ClusterFilter, $first: Int, $after: String, $orderBy: ClusterOrderBy) {
  clusters(filter: $filter, first: $first, after: $after, orderBy: $orderBy) { total items { id name labels { key value } } pageInfo { hasNextPage endCursor } } }`;

describe.each(testDrivers())('fleet labels and filters on %s', (driver) => {
  const t = useTestGateway(driver, {}, { healthMonitor: false });
  const ids: Record<string, number> = {};

  const names = async (filter: Record<string, unknown>, extra: Record<string, unknown> = {}) => {
    const res = await t.gql(LIST, { filter, ...extra });
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    return { names: (res.data.clusters.items as { name: string }[]).map((c) => c.name), total: res.data.clusters.total as number };
  };
  const restNames = async (query: string) => {
    const res = await t.rest('GET', `/api/v1/k8s/clusters?${query}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return {
      names: (res.body.data.clusters as { name: string }[]).map((c) => c.name),
      total: res.body.data.total as number,
      next: res.body.data.next_cursor,
    };
  };

  it('sets up a small fleet with labels and health states', async () => {
    const fleet: NewFleetCluster[] = [
      { name: 'alpha', labels: { env: 'prod', tier: 'web' } },
      { name: 'Bravo', labels: { env: 'prod', tier: 'api' } },
      { name: 'charlie', labels: { env: 'staging', tier: 'web', 'example.com/owner': 'team-x' } },
      { name: 'delta', labels: { env: 'dev' }, enabled: false },
      { name: 'echo%_x', labels: {} },
    ];
    const created = await registerMany(t, fleet);
    fleet.forEach((c, i) => (ids[c.name] = created[i]!));
    // Health comes from probes; written directly here so each status is present.
    await queryRows(t.gw, sql`UPDATE clusters SET health_status = 'healthy' WHERE id = ${ids.alpha!}`);
    await queryRows(t.gw, sql`UPDATE clusters SET health_status = 'warning' WHERE id = ${ids.Bravo!}`);
    await queryRows(
      t.gw,
      sql`UPDATE clusters SET health_status = 'error', prometheus_source = 'manual', prometheus_url = 'http://p:9090' WHERE id = ${ids.charlie!}`,
    );
    t.gw.clusters.invalidateList();
  });

  it('labels come back sorted by key in GraphQL and as an object in REST C1 and C2', async () => {
    const one = await t.gql('query($id: ID!) { cluster(id: $id) { labels { key value } } }', { id: ids.charlie });
    expect(one.data.cluster.labels).toEqual([
      { key: 'env', value: 'staging' },
      { key: 'example.com/owner', value: 'team-x' },
      { key: 'tier', value: 'web' },
    ]);
    const c2 = await t.rest('GET', `/api/v1/k8s/clusters/${ids.charlie}`);
    expect(c2.body.data.labels).toEqual({ env: 'staging', 'example.com/owner': 'team-x', tier: 'web' });
    const c1 = await t.rest('GET', '/api/v1/k8s/clusters');
    expect(c1.body.data.clusters.find((c: { id: number }) => c.id === ids[ECHO]).labels).toEqual({});
    expect(Object.keys(c1.body.data).sort()).toEqual(['clusters', 'total']); // no parameters: the contract's shape
  });

  it.each<[string, Record<string, unknown>, string[]]>([
    ['equality', { labelSelector: 'env=prod' }, ['alpha', 'Bravo']],
    ['== and a prefixed key', { labelSelector: 'example.com/owner==team-x' }, ['charlie']],
    ['inequality (also without the key)', { labelSelector: 'env!=prod' }, ['charlie', 'delta', 'echo%_x']],
    ['in', { labelSelector: 'tier in (web, db)' }, ['alpha', 'charlie']],
    ['notin (also without the key)', { labelSelector: 'tier notin (web)' }, ['Bravo', 'delta', 'echo%_x']],
    ['existence', { labelSelector: 'tier' }, ['alpha', 'Bravo', 'charlie']],
    ['non-existence', { labelSelector: '!tier' }, ['delta', 'echo%_x']],
    ['AND of requirements', { labelSelector: 'env=prod,tier!=api' }, ['alpha']],
    ['health status', { healthStatus: ['HEALTHY', 'ERROR'] }, ['alpha', 'charlie']],
    ['selector and health', { labelSelector: 'env=prod', healthStatus: ['WARNING'] }, ['Bravo']],
    ['enabled', { enabled: false }, ['delta']],
    ['prometheus source', { prometheusSource: ['MANUAL'] }, ['charlie']],
    ['case-insensitive name search', { search: 'BRA' }, ['Bravo']],
    ['"%" is a plain character', { search: '%' }, ['echo%_x']],
    ['"_" is a plain character', { search: '_' }, ['echo%_x']],
    ['an empty list is no constraint', { healthStatus: [] }, ['alpha', 'Bravo', 'charlie', 'delta', 'echo%_x']],
  ])('GraphQL filter: %s', async (_label, filter, expected) => {
    const got = await names(filter);
    expect(got.names).toEqual(expected);
    expect(got.total).toBe(expected.length);
  });

  it.each<[string, string[]]>([
    ['label_selector=env%3Dprod', ['alpha', 'Bravo']],
    ['label_selector=tier%20notin%20(web)&enabled=true', ['Bravo', 'echo%_x']],
    ['health_status=healthy,warning', ['alpha', 'Bravo']],
    ['search=ALP', ['alpha']],
    ['search=%25', ['echo%_x']],
    ['order_by=-name', ['echo%_x', 'delta', 'charlie', 'Bravo', 'alpha']],
    ['order_by=name&label_selector=tier', ['alpha', 'Bravo', 'charlie']],
  ])('REST C1 ?%s', async (query, expected) => {
    const got = await restNames(query);
    expect(got.names).toEqual(expected);
    expect(got.total).toBe(expected.length);
    expect(got.next).toBeUndefined();
  });

  it('REST C1 pages with limit and next_cursor; total counts every match', async () => {
    const first = await restNames('order_by=name&limit=2');
    expect(first).toMatchObject({ names: ['alpha', 'Bravo'], total: 5 });
    expect(typeof first.next).toBe('string');
    const second = await restNames(`order_by=name&limit=2&cursor=${first.next}`);
    expect(second.names).toEqual(['charlie', 'delta']);
    const third = await restNames(`order_by=name&limit=2&cursor=${second.next}`);
    expect(third.names).toEqual(['echo%_x']);
    expect(third.next).toBeUndefined();
  });

  it.each<[string, string, RegExp]>([
    ['label_selector=env%3D%3D%3Dx', 'label_selector', /^label_selector: /],
    ['label_selector=env%20in%20()', 'label_selector', /at least one value/],
    ['health_status=sick', 'health_status', /"sick" is not one of/],
    ['enabled=yes', 'enabled', /true or false/],
    ['limit=0', 'limit', /1 to 1000/],
    ['limit=abc', 'limit', /1 to 1000/],
    ['cursor=not-a-cursor', 'cursor', /not a cursor/],
    ['order_by=colour', 'order_by', /must order by/],
    ['search=a&search=b', 'search', /more than once/],
  ])('REST C1 ?%s → 400 naming %s', async (query, field, message) => {
    const res = await t.rest('GET', `/api/v1/k8s/clusters?${query}`);
    expect(res.status).toBe(400);
    expect(res.body.field).toBe(field);
    expect(res.body.message).toMatch(message);
  });

  it('GraphQL: a bad selector, page size or foreign cursor is BAD_USER_INPUT naming the field', async () => {
    const bad = await t.gql(LIST, { filter: { labelSelector: 'env in prod' } });
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'labelSelector' });
    expect((await t.gql(LIST, { first: 1001 })).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
    const page = await t.gql(LIST, { first: 1, orderBy: { field: 'NAME', direction: 'ASC' } });
    const foreign = await t.gql(LIST, { first: 1, after: page.data.clusters.pageInfo.endCursor, orderBy: { field: 'CREATED_AT', direction: 'ASC' } });
    expect(foreign.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
  });

  it('labels are replaced as a set by updateCluster and C4; invalid labels are a 400 naming labels and the key', async () => {
    const upd = await t.gql(
      'mutation($id: ID!, $l: [ClusterLabelInput!]) { updateCluster(id: $id, input: { labels: $l }) { labels { key value } } }',
      {
        id: ids[ECHO],
        l: [
          { key: 'zone', value: 'b' },
          { key: 'app', value: '' },
        ],
      },
    );
    expect(upd.data.updateCluster.labels).toEqual([
      { key: 'app', value: '' },
      { key: 'zone', value: 'b' },
    ]);
    expect((await names({ labelSelector: 'zone=b' })).names).toEqual(['echo%_x']); // the list cache saw the change
    const c4 = await t.rest('PUT', `/api/v1/k8s/clusters/${ids[ECHO]}`, { body: { labels: { only: 'one' } } });
    expect(c4.body.data.labels).toEqual({ only: 'one' });
    const bad = await t.rest('PUT', `/api/v1/k8s/clusters/${ids[ECHO]}`, { body: { labels: { 'bad key!': 'v' } } });
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe('labels');
    expect(bad.body.message).toContain('"bad key!"');
    const tooMany = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, 'v']));
    expect((await t.rest('PUT', `/api/v1/k8s/clusters/${ids[ECHO]}`, { body: { labels: tooMany } })).body.field).toBe('labels');
    const gqlBad = await t.gql('mutation($id: ID!) { updateCluster(id: $id, input: { labels: [{ key: "ok", value: "-nope" }] }) { id } }', {
      id: ids[ECHO],
    });
    expect(gqlBad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'labels' });
    expect(gqlBad.errors?.[0]?.message).toContain('"ok"');
    const after = await t.rest('GET', `/api/v1/k8s/clusters/${ids[ECHO]}`);
    expect(after.body.data.labels).toEqual({ only: 'one' }); // refused writes changed nothing
    expect((await t.rest('PUT', `/api/v1/k8s/clusters/${ids[ECHO]}`, { body: { labels: {} } })).body.data.labels).toEqual({});
  });

  it('clusterHealth(labelSelector) pushes only clusters matching the selector, and starts when one comes to match', async () => {
    const client = liveClient(t.url, { token: t.adminToken });
    try {
      const sub = client.subscribe<{ id: string; name: string }>('subscription($s: String) { clusterHealth(labelSelector: $s) { id name } }', {
        s: 'env=prod',
      });
      const first = await sub.waitFor((c) => c.name === 'Bravo');
      expect(first.name).toBe('Bravo');
      expect(sub.items.map((c) => c.name).sort()).toEqual(['Bravo', 'alpha']);
      await t.rest('PUT', `/api/v1/k8s/clusters/${ids.delta}`, { body: { labels: { env: 'prod' } } });
      await t.rest('PUT', `/api/v1/k8s/clusters/${ids.charlie}`, { body: { name: 'charlie-renamed' } });
      await sub.waitFor((c) => c.name === 'delta');
      expect(sub.items.map((c) => c.name)).not.toContain('charlie-renamed');
      const bad = client.subscribe('subscription { clusterHealth(labelSelector: "a in") { id } }');
      const result = await bad.nextResult();
      expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'labelSelector' });
    } finally {
      await client.dispose();
    }
  });
});
