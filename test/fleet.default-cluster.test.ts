import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { testDrivers } from './support/databases.js';
import { registerMany } from './support/fleet.js';
import { queryRows, useTestGateway } from './support/gateway.js';

/**
 * Issue 14 item 3 (DESIGN "Default cluster"): while any live cluster exists exactly one is the default. The first
 * becomes it; deleting it promotes the oldest remaining live cluster in the same transaction, also under parallel
 * deletes; the default cannot be switched off, only moved; a disabled default stays the default.
 */

const CURRENT = '{ currentCluster { id isDefault } }';

describe.each(testDrivers())('the default cluster rule on %s', (driver) => {
  const t = useTestGateway(driver, {}, { healthMonitor: false });
  const liveDefaults = async () =>
    (await queryRows<{ id: number }>(t.gw, sql`SELECT id FROM clusters WHERE is_default AND deleted_at IS NULL ORDER BY id`)).map((r) => r.id);
  const oldestLive = async () =>
    (await queryRows<{ id: number }>(t.gw, sql`SELECT id FROM clusters WHERE deleted_at IS NULL ORDER BY created_at, id LIMIT 1`))[0]?.id;
  const remove = (id: number) => t.rest('DELETE', `/api/v1/k8s/clusters/${id}`);

  it('parallel creates into an empty registry: exactly one becomes the default', async () => {
    const names = Array.from({ length: 8 }, (_, i) => `first-${i}`);
    const created = await Promise.all(names.map((name) => registerMany(t, [{ name }])));
    expect(created.flat()).toHaveLength(8);
    expect(await liveDefaults()).toHaveLength(1);
    const current = await t.gql(CURRENT, {}, { token: t.userToken });
    expect(current.data.currentCluster).toMatchObject({ id: String((await liveDefaults())[0]), isDefault: true });
  });

  it('deleting the default promotes the oldest remaining live cluster; currentCluster follows', async () => {
    const [def] = await liveDefaults();
    const res = await remove(def!);
    expect(res.status).toBe(200);
    const oldest = await oldestLive();
    expect(await liveDefaults()).toEqual([oldest]);
    const list = await t.rest('GET', '/api/v1/k8s/clusters');
    expect(list.body.data.clusters.filter((c: { is_default: boolean }) => c.is_default).map((c: { id: number }) => c.id)).toEqual([oldest]);
    expect((await t.gql(CURRENT)).data.currentCluster.id).toBe(String(oldest));
  });

  it('deleting a cluster that is not the default leaves the default where it is', async () => {
    const [def] = await liveDefaults();
    const [other] = await registerMany(t, [{ name: 'not-default' }]);
    await remove(other!);
    expect(await liveDefaults()).toEqual([def]);
  });

  it('is_default:false on the default is a 400 naming is_default; on another cluster it changes nothing', async () => {
    const [def] = await liveDefaults();
    const refused = await t.rest('PUT', `/api/v1/k8s/clusters/${def}`, { body: { is_default: false, name: 'renamed-default' } });
    expect(refused.status).toBe(400);
    expect(refused.body.field).toBe('is_default');
    expect((await t.rest('GET', `/api/v1/k8s/clusters/${def}`)).body.data).toMatchObject({ is_default: true });
    expect((await t.rest('GET', `/api/v1/k8s/clusters/${def}`)).body.data.name).not.toBe('renamed-default');
    const [other] = await registerMany(t, [{ name: 'plain' }]);
    const ok = await t.rest('PUT', `/api/v1/k8s/clusters/${other}`, { body: { is_default: false } });
    expect(ok.status).toBe(200);
    expect(ok.body.data.is_default).toBe(false);
    const gql = await t.gql('mutation($id: ID!) { updateCluster(id: $id, input: { isDefault: false }) { id } }', { id: String(def) });
    expect(gql.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'isDefault' });
  });

  it('a disabled default stays the default (requests that name no cluster are not sent elsewhere)', async () => {
    const [def] = await liveDefaults();
    const res = await t.rest('PUT', `/api/v1/k8s/clusters/${def}`, { body: { enabled: false } });
    expect(res.body.data).toMatchObject({ enabled: false, is_default: true });
    expect(await liveDefaults()).toEqual([def]);
    await t.rest('PUT', `/api/v1/k8s/clusters/${def}`, { body: { enabled: true } });
  });

  it('parallel deletes including the default: no 5xx, and afterwards exactly one default, the oldest live cluster', { timeout: 60_000 }, async () => {
    await registerMany(
      t,
      Array.from({ length: 16 }, (_, i) => ({ name: `par-${i}` })),
    );
    for (let round = 0; round < 3; round++) {
      const live = (await queryRows<{ id: number }>(t.gw, sql`SELECT id FROM clusters WHERE deleted_at IS NULL ORDER BY created_at, id`)).map(
        (r) => r.id,
      );
      const [def] = await liveDefaults();
      // The default, the clusters next in line for promotion, and a few others, all at once.
      const victims = [def!, ...live.filter((id) => id !== def).slice(0, 3), ...live.slice(-2)];
      const results = await Promise.all([...new Set(victims)].map(remove));
      for (const r of results) expect(r.status, r.body.message).toBe(200);
      expect(await liveDefaults()).toEqual([await oldestLive()]);
    }
  });

  it('deleting every cluster in parallel leaves none and no default; the next cluster becomes the default', async () => {
    const live = (await queryRows<{ id: number }>(t.gw, sql`SELECT id FROM clusters WHERE deleted_at IS NULL`)).map((r) => r.id);
    const results = await Promise.all(live.map(remove));
    for (const r of results) expect(r.status).toBe(200);
    expect(await liveDefaults()).toEqual([]);
    expect((await t.gql(CURRENT)).data.currentCluster).toBeNull();
    const [next] = await registerMany(t, [{ name: 'phoenix' }]);
    expect(await liveDefaults()).toEqual([next]);
  });
});
