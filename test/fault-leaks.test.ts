import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDrivers } from './support/databases.js';
import { startTestGateway, type TestGateway, uniqueName } from './support/gateway.js';
import type { SimMode } from '../tools/kube-simulator/index.js';
import { reachableCluster, sharedSimulator } from './support/reachable.js';

const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

/**
 * A Kubernetes API that hangs, resets connections, answers garbage or 5xx: each gives the right health state, and
 * after repeated probes no socket or timer is left behind (counted after the test, not assumed).
 */
describe.each(testDrivers())('faulty API servers leave no leaks on %s', (driver) => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway(driver, { KUBE_CONNECT_TIMEOUT_MS: '3000', KUBE_REQUEST_TIMEOUT_MS: '1500' }, { healthMonitor: false });
  });
  afterAll(() => t?.close());

  it('hang, reset, garbage and 5xx map to UNAVAILABLE/ERROR, and sockets and timers return to their baseline', async () => {
    const cases: [SimMode, string][] = [
      ['hang', 'unavailable'],
      ['reset', 'unavailable'],
      ['garbage', 'error'],
      ['error5xx', 'error'],
    ];
    const ids: { id: number; mode: SimMode; expected: string; set: (m: SimMode) => void }[] = [];
    for (const [mode, expected] of cases) {
      const c = await reachableCluster();
      const res = await t.rest('POST', '/api/v1/k8s/clusters', { body: { name: uniqueName(mode), kubeconfig: c.kubeconfigBase64 } });
      ids.push({ id: res.body.data.id, mode, expected, set: (m) => c.handle.set({ mode: m }) });
    }
    const sim = await sharedSimulator();
    for (const c of ids) c.set(c.mode);
    const probeAll = async (round: number) => {
      const outcomes = await Promise.all(ids.map((c) => t.gw.health.checkNow(c.id)));
      outcomes.forEach((o, i) => expect(o.observation.status, `${ids[i]!.mode} round ${round}: ${o.observation.message}`).toBe(ids[i]!.expected));
    };
    // A warm-up round first: database pool connections and keep-alive sockets it opens carry their own idle timers.
    await probeAll(0);
    await new Promise((r) => setTimeout(r, 300));
    const timersBefore = timers();
    for (let round = 1; round <= 4; round++) await probeAll(round);
    for (const c of ids) {
      const detail = await t.rest('GET', `/api/v1/k8s/clusters/${c.id}`);
      expect(detail.body.data.health_status).toBe(c.expected);
    }

    // Aborted and reset requests must not keep sockets; the connect/request timers of finished probes must be gone.
    await new Promise((r) => setTimeout(r, 300));
    expect(t.gw.clients.openSockets(), 'client sockets held after faulty probes').toBeLessThanOrEqual(ids.length * 2);
    expect(sim.openConnections(), 'connections still open at the simulator').toBeLessThanOrEqual(ids.length * 2);
    expect(timers() - timersBefore, 'timers left behind by 16 faulty probes').toBeLessThanOrEqual(2);

    for (const c of ids) await t.rest('DELETE', `/api/v1/k8s/clusters/${c.id}`);
    await new Promise((r) => setTimeout(r, 300));
    expect(t.gw.clients.openSockets(), 'deleted clusters keep no sockets').toBe(0);
  });

  it('a sweep over the same faults stores the same states and, its probes done, holds no socket and leaves no timer', async () => {
    const cases: [SimMode, string][] = [
      ['hang', 'unavailable'],
      ['reset', 'unavailable'],
      ['garbage', 'error'],
      ['error5xx', 'error'],
    ];
    const ids: { id: number; expected: string }[] = [];
    for (const [mode, expected] of cases) {
      const c = await reachableCluster();
      const res = await t.rest('POST', '/api/v1/k8s/clusters', { body: { name: uniqueName(mode), kubeconfig: c.kubeconfigBase64 } });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      // Registered while healthy (C3 tests the connection), broken before its first scheduled probe.
      c.handle.set({ mode });
      ids.push({ id: res.body.data.id, expected });
    }
    await new Promise((r) => setTimeout(r, 300));
    const timersBefore = timers();
    expect(await t.gw.health.sweep()).toBeGreaterThanOrEqual(ids.length);
    for (const c of ids) expect((await t.rest('GET', `/api/v1/k8s/clusters/${c.id}`)).body.data.health_status).toBe(c.expected);

    // Scheduled probes give their sockets back as soon as they are done, failed ones included.
    expect(t.gw.clients.openSockets(), 'client sockets held after a sweep').toBe(0);
    await new Promise((r) => setTimeout(r, 300));
    expect(timers() - timersBefore, 'timers left behind by a sweep over faulty clusters').toBeLessThanOrEqual(2);
    for (const c of ids) await t.rest('DELETE', `/api/v1/k8s/clusters/${c.id}`);
  });
});
