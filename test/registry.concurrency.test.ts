import { type SQL, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { testDrivers } from './support/databases.js';
import { queryRows, registerCluster, type RestResponse, uniqueName, useTestGateway } from './support/gateway.js';
import { useReachableCluster } from './support/suite-fixtures.js';

interface RestCluster {
  id: number;
  name: string;
  is_default: boolean;
  enabled: boolean;
}

describe.each(testDrivers())('cluster registry under concurrency on %s', (driver) => {
  const t = useTestGateway(driver);
  const cluster = useReachableCluster();

  const create = (name: string, extra: Record<string, unknown> = {}) =>
    t.rest('POST', '/api/v1/k8s/clusters', { body: { name, kubeconfig: cluster.kubeconfigBase64, ...extra } });
  const createOk = (name = uniqueName('conc')) => registerCluster(t, { kubeconfig: cluster.kubeconfigYaml, name });
  const list = async (): Promise<RestCluster[]> => {
    const res = await t.rest('GET', '/api/v1/k8s/clusters');
    expect(res.status).toBe(200);
    expect(res.body.data.total).toBe(res.body.data.clusters.length);
    return res.body.data.clusters as RestCluster[];
  };
  /** Rows straight from the database, so the check does not trust the code under test. */
  const rows = (where: SQL) => queryRows(t.gw, sql`SELECT id, name, is_default, deleted_at FROM clusters WHERE ${where}`);
  const statuses = (responses: RestResponse[]) => responses.map((r) => r.status);
  const noServerErrors = (responses: RestResponse[]) => {
    for (const r of responses) expect(r.status, `${r.status} ${r.body.message}`).toBeLessThan(500);
  };

  it('50 parallel creates of one name: exactly one 201, 49 × 400 naming `name`, one live row', async () => {
    const name = uniqueName('race');
    const responses = await Promise.all(Array.from({ length: 50 }, () => create(name)));
    noServerErrors(responses);
    const created = responses.filter((r) => r.status === 201);
    const refused = responses.filter((r) => r.status === 400);
    expect(created).toHaveLength(1);
    expect(refused).toHaveLength(49);
    for (const r of refused) {
      expect(r.body.code).toBe(400);
      expect(r.body.message).toMatch(/^name: .*already exists/);
      expect(r.body.data).toBeNull();
    }
    expect((await list()).filter((c) => c.name === name).map((c) => c.id)).toEqual([created[0]!.body.data.id]);
    expect(await rows(sql`lower(name) = lower(${name}) AND deleted_at IS NULL`)).toHaveLength(1);
  });

  it('parallel creates of case variants of one name: exactly one wins', async () => {
    const base = uniqueName('Case');
    const variants = [base, base.toUpperCase(), base.toLowerCase(), base, base.toUpperCase(), base.toLowerCase(), `  ${base}  `, base];
    const responses = await Promise.all(variants.map((n) => create(n)));
    noServerErrors(responses);
    expect(statuses(responses).filter((s) => s === 201)).toHaveLength(1);
    expect(statuses(responses).filter((s) => s === 400)).toHaveLength(variants.length - 1);
    expect(await rows(sql`lower(name) = lower(${base}) AND deleted_at IS NULL`)).toHaveLength(1);
  });

  it('parallel creates of different names all succeed with distinct ids', async () => {
    const names = Array.from({ length: 20 }, () => uniqueName('many'));
    const responses = await Promise.all(names.map((n) => create(n)));
    expect(statuses(responses)).toEqual(names.map(() => 201));
    const ids = responses.map((r) => r.body.data.id as number);
    expect(new Set(ids).size).toBe(ids.length);
    const listed = new Map((await list()).map((c) => [c.id, c.name]));
    for (const [i, id] of ids.entries()) expect(listed.get(id)).toBe(names[i]);
  });

  it('20 parallel PUT {is_default:true} on 20 clusters: no 5xx, exactly one default afterwards', async () => {
    const clusters = await Promise.all(Array.from({ length: 20 }, () => createOk(uniqueName('def'))));
    const responses = await Promise.all(clusters.map((c) => t.rest('PUT', `/api/v1/k8s/clusters/${c.id}`, { body: { is_default: true } })));
    noServerErrors(responses);
    for (const r of responses) {
      expect(r.status, r.body.message).toBe(200);
      expect(r.body.data.is_default).toBe(true);
    }
    const defaults = (await list()).filter((c) => c.is_default);
    expect(defaults).toHaveLength(1);
    expect(clusters.map((c) => c.id)).toContain(defaults[0]!.id);
    expect(await rows(sql`is_default AND deleted_at IS NULL`)).toHaveLength(1);
    // The last writer wins: the default is the one currentCluster reports.
    const current = await t.gql('{ currentCluster { id } }');
    expect(Number(current.data.currentCluster.id)).toBe(defaults[0]!.id);
  });

  it('parallel GraphQL createCluster with isDefault:true on different names: all succeed, exactly one default', async () => {
    const names = Array.from({ length: 12 }, () => uniqueName('gqldef'));
    const mutation = 'mutation($input: CreateClusterInput!) { createCluster(input: $input) { id isDefault } }';
    const responses = await Promise.all(
      names.map((name) => t.gql(mutation, { input: { name, kubeconfig: cluster.kubeconfigYaml, isDefault: true } })),
    );
    for (const r of responses) expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
    const ids = responses.map((r) => Number(r.data.createCluster.id));
    const defaults = (await list()).filter((c) => c.is_default);
    expect(defaults).toHaveLength(1);
    expect(ids).toContain(defaults[0]!.id);
    expect(await rows(sql`is_default AND deleted_at IS NULL`)).toHaveLength(1);
  });

  it('default switching racing creates with is_default and deletes keeps at most one default', async () => {
    const existing = await Promise.all(Array.from({ length: 6 }, () => createOk(uniqueName('mix'))));
    const ops: Promise<RestResponse>[] = [
      ...existing.slice(0, 4).map((c) => t.rest('PUT', `/api/v1/k8s/clusters/${c.id}`, { body: { is_default: true } })),
      ...Array.from({ length: 4 }, () => create(uniqueName('mixnew'), { is_default: true })),
      ...existing.slice(4).map((c) => t.rest('DELETE', `/api/v1/k8s/clusters/${c.id}`)),
    ];
    const responses = await Promise.all(ops);
    noServerErrors(responses);
    for (const r of responses) expect([200, 201]).toContain(r.status);
    const live = await list();
    expect(live.filter((c) => c.is_default)).toHaveLength(1);
    expect(await rows(sql`is_default AND deleted_at IS NULL`)).toHaveLength(1);
    for (const gone of existing.slice(4)) expect(live.map((c) => c.id)).not.toContain(gone.id);
  });

  it('update racing delete on the same cluster: never a 5xx; list and get agree on the outcome', async () => {
    for (let round = 0; round < 8; round++) {
      const c = await createOk(uniqueName('ud'));
      const renamed = uniqueName('ud-renamed');
      const update = () => t.rest('PUT', `/api/v1/k8s/clusters/${c.id}`, { body: { name: renamed, is_default: true, enabled: false } });
      const remove = () => t.rest('DELETE', `/api/v1/k8s/clusters/${c.id}`);
      // Alternate who is sent first, so both orders are exercised.
      const [u, d] = round % 2 === 0 ? await Promise.all([update(), remove()]) : (await Promise.all([remove(), update()])).reverse();
      noServerErrors([u!, d!]);
      expect([200, 404], `update ${u!.status} ${u!.body.message}`).toContain(u!.status);
      expect(d!.status, d!.body.message).toBe(200);

      const get = await t.rest('GET', `/api/v1/k8s/clusters/${c.id}`);
      const live = await list();
      // The delete succeeded, so the cluster is gone everywhere, whether or not the update landed first.
      expect(get.status).toBe(404);
      expect(live.map((x) => x.id)).not.toContain(c.id);
      expect(live.map((x) => x.name)).not.toContain(renamed);
      const [row] = await rows(sql`id = ${c.id}`);
      expect(row?.deleted_at).not.toBeNull();
      expect(row?.is_default).toBe(false);
      if (u!.status === 200) expect(row?.name).toBe(renamed);
      else expect(row?.name).toBe(c.name);
      // Both names are free again.
      expect((await create(u!.status === 200 ? renamed : c.name)).status).toBe(201);
    }
  });

  it('two parallel deletes of one cluster: one 200, one 404', async () => {
    const c = await createOk();
    const responses = await Promise.all([1, 2].map(() => t.rest('DELETE', `/api/v1/k8s/clusters/${c.id}`)));
    expect(statuses(responses).sort()).toEqual([200, 404]);
  });

  it('parallel renames of two clusters to the same name: one 200, one 400; list and get agree', async () => {
    const a = await createOk();
    const b = await createOk();
    const target = uniqueName('target');
    const responses = await Promise.all([a, b].map((c) => t.rest('PUT', `/api/v1/k8s/clusters/${c.id}`, { body: { name: target } })));
    noServerErrors(responses);
    expect(statuses(responses).sort()).toEqual([200, 400]);
    const loser = responses.find((r) => r.status === 400)!;
    expect(loser.body.message).toMatch(/^name: /);
    const winnerId = responses.find((r) => r.status === 200)!.body.data.id as number;
    const live = await list();
    expect(live.filter((c) => c.name === target).map((c) => c.id)).toEqual([winnerId]);
    const loserId = winnerId === a.id ? b.id : a.id;
    expect((await t.rest('GET', `/api/v1/k8s/clusters/${loserId}`)).body.data.name).toBe(loserId === a.id ? a.name : b.name);
  });

  it('parallel updates of different fields on one cluster: all 200, the result is one of the writes', async () => {
    const c = await createOk();
    const names = Array.from({ length: 10 }, () => uniqueName('multi'));
    const responses = await Promise.all(names.map((name) => t.rest('PUT', `/api/v1/k8s/clusters/${c.id}`, { body: { name } })));
    expect(statuses(responses)).toEqual(names.map(() => 200));
    const get = await t.rest('GET', `/api/v1/k8s/clusters/${c.id}`);
    expect(names).toContain(get.body.data.name);
    expect((await list()).find((x) => x.id === c.id)?.name).toBe(get.body.data.name);
  });
});
