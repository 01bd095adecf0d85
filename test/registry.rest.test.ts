import { describe, expect, it } from 'vitest';
import { signToken } from '../src/auth/jwt.js';
import { testDrivers } from './support/databases.js';
import { startTestGateway, TEST_JWT_SECRET, uniqueName, useTestGateway } from './support/gateway.js';
import { b64, kubeconfigYaml } from './support/kubeconfigs.js';
import { useReachableCluster } from './support/suite-fixtures.js';

const CLUSTER_FIELDS = [
  'id',
  'name',
  'is_default',
  'enabled',
  'health_status',
  'last_connected_at',
  'node_count',
  'pod_count',
  'prometheus_url',
  'created_at',
  'updated_at',
];
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

describe.each(testDrivers())('REST contract C1–C5 on %s', (driver) => {
  const t = useTestGateway(driver);
  const cluster = useReachableCluster();
  const create = (name: string, extra: Record<string, unknown> = {}) =>
    t.rest('POST', '/api/v1/k8s/clusters', { body: { name, kubeconfig: cluster.kubeconfigBase64, ...extra } });

  it('C3 creates a cluster: 201, the contract message and shape, health unknown', async () => {
    const name = uniqueName('dev');
    const res = await create(name, { is_default: false, enabled: true });
    expect(res.status).toBe(201);
    expect(res.body.code).toBe(201);
    expect(res.body.message).toBe('集群创建成功');
    for (const f of CLUSTER_FIELDS) expect(res.body.data).toHaveProperty(f);
    // The suite's first cluster: it becomes the default whatever is_default says (issue 14, DESIGN "Default cluster").
    expect(res.body.data).toMatchObject({ name, is_default: true, enabled: true, health_status: 'unknown', prometheus_url: '' });
    expect(typeof res.body.data.id).toBe('number');
    expect(res.body.data.created_at).toMatch(RFC3339);
    expect(res.body.data).not.toHaveProperty('kubeconfig');
  });

  it('C3 says the discovery task started when auto-discovery is on', async () => {
    const on = await startTestGateway(driver, { PROMETHEUS_AUTO_DISCOVERY: 'true' });
    try {
      const res = await on.rest('POST', '/api/v1/k8s/clusters', { body: { name: uniqueName(), kubeconfig: cluster.kubeconfigBase64 } });
      expect(res.status).toBe(201);
      expect(res.body.message).toBe('集群创建成功，Prometheus 自动发现任务已启动');
    } finally {
      await on.close();
    }
  });

  it('C1 lists clusters with total, never a kubeconfig', async () => {
    const a = await create(uniqueName('list'));
    const b = await create(uniqueName('list'));
    const res = await t.rest('GET', '/api/v1/k8s/clusters', { token: t.userToken });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ code: 200, message: 'success' });
    const ids = res.body.data.clusters.map((c: { id: number }) => c.id);
    expect(ids).toEqual(expect.arrayContaining([a.body.data.id, b.body.data.id]));
    expect(res.body.data.total).toBe(res.body.data.clusters.length);
    for (const c of res.body.data.clusters) {
      for (const f of CLUSTER_FIELDS) expect(c).toHaveProperty(f);
      expect(c).not.toHaveProperty('kubeconfig');
    }
    expect(JSON.stringify(res.body)).not.toContain(cluster.secretMarker);
  });

  it('C2 returns the kubeconfig (base64) to admins and omits it for users', async () => {
    const { body } = await create(uniqueName('detail'));
    const asAdmin = await t.rest('GET', `/api/v1/k8s/clusters/${body.data.id}`);
    expect(asAdmin.status).toBe(200);
    expect(asAdmin.body.message).toBe('success');
    expect(Buffer.from(asAdmin.body.data.kubeconfig, 'base64').toString()).toBe(cluster.kubeconfigYaml);
    const asUser = await t.rest('GET', `/api/v1/k8s/clusters/${body.data.id}`, { token: t.userToken });
    expect(asUser.status).toBe(200);
    expect(asUser.body.data).not.toHaveProperty('kubeconfig');
    expect(asUser.body.data.name).toBe(body.data.name);
  });

  it('C2 answers 404 for an unknown id and 400 for ids that are not positive integers', async () => {
    expect((await t.rest('GET', '/api/v1/k8s/clusters/99999')).status).toBe(404);
    expect((await t.rest('GET', '/api/v1/k8s/clusters/99999999999')).status).toBe(404);
    for (const bad of ['abc', '0', '-1', '1.5', '1e3', '%20']) {
      const res = await t.rest('GET', `/api/v1/k8s/clusters/${bad}`);
      expect(res.status, bad).toBe(400);
      expect(res.body.message).toMatch(/^id: /);
    }
  });

  it('C3 refuses a duplicate name with 400, also case-insensitively', async () => {
    const name = uniqueName('dup');
    expect((await create(name)).status).toBe(201);
    const again = await create(name.toUpperCase());
    expect(again.status).toBe(400);
    expect(again.body.message).toMatch(/^name: .*already exists/);
  });

  it('C3 validates name and kubeconfig, naming the field', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ kubeconfig: cluster.kubeconfigBase64 }, /^name: is required/],
      [{ name: '', kubeconfig: cluster.kubeconfigBase64 }, /^name: /],
      [{ name: 'x'.repeat(101), kubeconfig: cluster.kubeconfigBase64 }, /^name: must be at most 100/],
      [{ name: 'bad\u0000name', kubeconfig: cluster.kubeconfigBase64 }, /^name: must not contain control/],
      [{ name: 42, kubeconfig: cluster.kubeconfigBase64 }, /^name: must be a string/],
      [{ name: uniqueName() }, /^kubeconfig: is required/],
      [{ name: uniqueName(), kubeconfig: 'not base64!' }, /^kubeconfig: must be base64/],
      [{ name: uniqueName(), kubeconfig: b64('just: [a, list') }, /^kubeconfig: is not valid YAML/],
      [{ name: uniqueName(), kubeconfig: b64('- a\n- b\n') }, /^kubeconfig: must be a YAML mapping/],
      [
        { name: uniqueName(), kubeconfig: b64(kubeconfigYaml().replace('current-context: fixture-ctx', 'current-context: nope')) },
        /^kubeconfig\.current-context: names context "nope"/,
      ],
      [{ name: uniqueName(), kubeconfig: b64(kubeconfigYaml({ server: 'ftp://x' })) }, /server: must be an https/],
      [{ name: uniqueName(), kubeconfig: cluster.kubeconfigBase64, is_default: 'yes' }, /^is_default: must be true or false/],
      [{ name: uniqueName(), kubeconfig: cluster.kubeconfigBase64, isDefault: true }, /^body: unknown field\(s\): isDefault/],
    ];
    for (const [body, message] of cases) {
      const res = await t.rest('POST', '/api/v1/k8s/clusters', { body });
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(res.body.message).toMatch(message);
      expect(res.body.data).toBeNull();
    }
  });

  it('rejects malformed JSON, non-object bodies and non-JSON content types with 4xx', async () => {
    const malformed = await t.rest('POST', '/api/v1/k8s/clusters', { raw: '{"name": ' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.message).toMatch(/not valid JSON/);
    const array = await t.rest('POST', '/api/v1/k8s/clusters', { raw: '[1,2]' });
    expect(array.status).toBe(400);
    const form = await t.rest('POST', '/api/v1/k8s/clusters', { raw: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(form.status).toBe(415);
  });

  it('C4 updates any subset of fields; is_default moves the default atomically', async () => {
    const a = (await create(uniqueName('def'), { is_default: true })).body.data;
    const b = (await create(uniqueName('def'))).body.data;
    const res = await t.rest('PUT', `/api/v1/k8s/clusters/${b.id}`, { body: { is_default: true } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ code: 200, message: '集群更新成功' });
    expect(res.body.data).toMatchObject({ id: b.id, is_default: true, name: b.name });
    const list = (await t.rest('GET', '/api/v1/k8s/clusters')).body.data.clusters;
    expect(list.filter((c: { is_default: boolean }) => c.is_default).map((c: { id: number }) => c.id)).toEqual([b.id]);
    expect(list.find((c: { id: number }) => c.id === a.id).is_default).toBe(false);

    const renamed = uniqueName('renamed');
    const r2 = await t.rest('PUT', `/api/v1/k8s/clusters/${a.id}`, { body: { name: renamed, enabled: false } });
    expect(r2.body.data).toMatchObject({ name: renamed, enabled: false, health_status: 'unknown' });
  });

  it('C4 prometheus_url by hand marks the source manual; an empty string returns it to automatic', async () => {
    const { id } = (await create(uniqueName('prom'))).body.data;
    const manual = await t.rest('PUT', `/api/v1/k8s/clusters/${id}`, { body: { prometheus_url: 'https://prometheus.example.com/' } });
    expect(manual.status).toBe(200);
    expect(manual.body.data).toMatchObject({ prometheus_url: 'https://prometheus.example.com', prometheus_source: 'manual' });
    const auto = await t.rest('PUT', `/api/v1/k8s/clusters/${id}`, { body: { prometheus_url: '' } });
    expect(auto.body.data).toMatchObject({ prometheus_url: '', prometheus_source: 'none' });
    const bad = await t.rest('PUT', `/api/v1/k8s/clusters/${id}`, { body: { prometheus_url: 'javascript:alert(1)' } });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/^prometheus_url: /);
  });

  it('C4 validates input and answers 404 for unknown clusters', async () => {
    const { id, name } = (await create(uniqueName('upd'))).body.data;
    const other = (await create(uniqueName('upd'))).body.data;
    expect((await t.rest('PUT', '/api/v1/k8s/clusters/99999', { body: { enabled: true } })).status).toBe(404);
    const dup = await t.rest('PUT', `/api/v1/k8s/clusters/${other.id}`, { body: { name } });
    expect(dup.status).toBe(400);
    expect(dup.body.message).toMatch(/^name: .*already exists/);
    const typo = await t.rest('PUT', `/api/v1/k8s/clusters/${id}`, { body: { enabeld: true } });
    expect(typo.status).toBe(400);
    expect(typo.body.message).toMatch(/enabeld/);
    const wrongType = await t.rest('PUT', `/api/v1/k8s/clusters/${id}`, { body: { enabled: 'false' } });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.message).toMatch(/^enabled: /);
    // Nothing was half-written by the rejected updates.
    const after = await t.rest('GET', `/api/v1/k8s/clusters/${id}`);
    expect(after.body.data).toMatchObject({ name, enabled: true });
  });

  it('C5 soft-deletes: data null, later 404, the name is free again', async () => {
    const name = uniqueName('del');
    const { id } = (await create(name, { is_default: true })).body.data;
    const res = await t.rest('DELETE', `/api/v1/k8s/clusters/${id}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ code: 200, message: '集群删除成功', data: null });
    expect((await t.rest('GET', `/api/v1/k8s/clusters/${id}`)).status).toBe(404);
    expect((await t.rest('DELETE', `/api/v1/k8s/clusters/${id}`)).status).toBe(404);
    const list = (await t.rest('GET', '/api/v1/k8s/clusters')).body.data.clusters;
    expect(list.map((c: { id: number }) => c.id)).not.toContain(id);
    const again = await create(name);
    expect(again.status).toBe(201);
    expect(again.body.data.id).not.toBe(id);
  });

  it('401 without or with a bad token; 403 for users on admin operations', async () => {
    const { id } = (await create(uniqueName('auth'))).body.data;
    const expired = signToken(TEST_JWT_SECRET, { sub: 'x', role: 'admin' }, { expiresIn: '-10s' });
    const wrongKey = signToken('another-secret-that-is-long-enough-to-be-valid', { sub: 'x', role: 'admin' });
    for (const token of [null, 'garbage', expired, wrongKey]) {
      const res = await t.rest('GET', '/api/v1/k8s/clusters', { token });
      expect(res.status).toBe(401);
      expect(res.body.code).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
    }
    expect((await t.rest('GET', '/api/v1/k8s/clusters', { token: expired })).body.message).toMatch(/expired/);
    const user = { token: t.userToken };
    expect(
      (await t.rest('POST', '/api/v1/k8s/clusters', { ...user, body: { name: uniqueName(), kubeconfig: cluster.kubeconfigBase64 } })).status,
    ).toBe(403);
    expect((await t.rest('PUT', `/api/v1/k8s/clusters/${id}`, { ...user, body: { enabled: false } })).status).toBe(403);
    expect((await t.rest('DELETE', `/api/v1/k8s/clusters/${id}`, user)).status).toBe(403);
    expect((await t.rest('DELETE', `/api/v1/k8s/clusters/${id}`, { token: null })).status).toBe(401);
    // The refused calls changed nothing.
    expect((await t.rest('GET', `/api/v1/k8s/clusters/${id}`)).body.data.enabled).toBe(true);
  });
});
