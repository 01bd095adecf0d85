import { describe, expect, it } from 'vitest';
import { decide, observe, type HealthMemory, type Observation } from '../src/health/health-evaluator.js';
import type { KubeFailure, ProbeResult } from '../src/kube/probe.js';

const now = new Date('2026-01-10T00:00:00Z');
const healthyProbe = (over: Partial<ProbeResult> = {}): ProbeResult => ({
  version: { ok: true, gitVersion: 'v1.31.4' },
  nodes: { ok: true, figures: { total: 3, ready: 3, notReadyNames: [] } },
  pods: { ok: true, count: 42, requests: 1 },
  credentialExpiresAt: null,
  ...over,
});
const fail = (f: KubeFailure) => ({ ok: false as const, failure: f });

describe('observe: probe result → health state with a reason', () => {
  it('HEALTHY when reachable and all nodes Ready, with figures', () => {
    const o = observe(healthyProbe(), now);
    expect(o).toMatchObject({ status: 'healthy', reachable: true, kubernetesVersion: 'v1.31.4', nodeCount: 3, readyNodeCount: 3, podCount: 42 });
    expect(o.message).toBe('all 3 nodes Ready');
  });

  it('WARNING names the NotReady nodes', () => {
    const o = observe(healthyProbe({ nodes: { ok: true, figures: { total: 3, ready: 1, notReadyNames: ['node-1', 'node-2'] } } }), now);
    expect(o.status).toBe('warning');
    expect(o.message).toBe('2 of 3 nodes NotReady (node-1, node-2)');
    expect(o.readyNodeCount).toBe(1);
  });

  it('WARNING for partial permissions keeps the figures it could read', () => {
    const o = observe(healthyProbe({ pods: fail({ reason: 'FORBIDDEN', status: 403, message: 'permission denied (403)' }) }), now);
    expect(o.status).toBe('warning');
    expect(o.message).toMatch(/partial permissions: cannot list pods/);
    expect(o.nodeCount).toBe(3);
    expect(o.podCount).toBeUndefined();
  });

  it('WARNING when credentials expire within 7 days, not when later', () => {
    const soon = observe(healthyProbe({ credentialExpiresAt: new Date(now.getTime() + 3 * 86_400_000) }), now);
    expect(soon.status).toBe('warning');
    expect(soon.message).toMatch(/credentials expire in 3 days/);
    const later = observe(healthyProbe({ credentialExpiresAt: new Date(now.getTime() + 30 * 86_400_000) }), now);
    expect(later.status).toBe('healthy');
  });

  it('ERROR when the API answers 401/5xx; UNAVAILABLE when it cannot be reached', () => {
    const unauthorized = fail({ reason: 'UNAUTHORIZED', status: 401, message: 'rejected (401)' });
    expect(observe(healthyProbe({ version: unauthorized, nodes: unauthorized, pods: unauthorized }), now).status).toBe('error');
    const refused = fail({ reason: 'REFUSED', message: 'connection refused' });
    const o = observe(healthyProbe({ version: refused, nodes: refused, pods: refused }), now);
    expect(o).toMatchObject({ status: 'unavailable', reachable: false, message: 'connection refused' });
    const broken = observe(healthyProbe({ nodes: fail({ reason: 'API_ERROR', status: 500, message: 'the API server answered 500' }) }), now);
    expect(broken.status).toBe('error');
    expect(broken.message).toMatch(/listing nodes failed/);
  });

  it('WARNING for a cluster without nodes', () => {
    expect(observe(healthyProbe({ nodes: { ok: true, figures: { total: 0, ready: 0, notReadyNames: [] } } }), now).message).toBe(
      'the cluster has no nodes',
    );
  });
});

describe('decide: anti-flapping', () => {
  const obs = (status: Observation['status']): Observation => ({ status, message: `${status} reason`, reachable: true });
  const healthy: HealthMemory = { status: 'healthy', candidateStatus: null, candidateCount: 0 };

  it('applies the first observation from UNKNOWN at once', () => {
    expect(decide({ status: 'unknown', candidateStatus: null, candidateCount: 0 }, obs('error'), 2)).toMatchObject({
      status: 'error',
      changed: true,
    });
  });

  it('needs N consecutive agreeing observations to flip, and says so meanwhile', () => {
    const first = decide(healthy, obs('unavailable'), 3);
    expect(first).toMatchObject({ status: 'healthy', candidateStatus: 'unavailable', candidateCount: 1, changed: false });
    expect(first.message).toMatch(/still HEALTHY: 1 of 3 consecutive checks report UNAVAILABLE/);
    const second = decide(first, obs('unavailable'), 3);
    expect(second).toMatchObject({ status: 'healthy', candidateCount: 2 });
    expect(decide(second, obs('unavailable'), 3)).toMatchObject({ status: 'unavailable', candidateStatus: null, candidateCount: 0, changed: true });
  });

  it('a disagreeing observation restarts the count; agreeing with the current state clears it', () => {
    const one = decide(healthy, obs('error'), 2);
    expect(decide(one, obs('warning'), 2)).toMatchObject({ status: 'healthy', candidateStatus: 'warning', candidateCount: 1 });
    expect(decide(one, obs('healthy'), 2)).toMatchObject({ status: 'healthy', candidateStatus: null, candidateCount: 0, message: 'healthy reason' });
  });

  it('a forced check (connection test) or threshold 1 flips at once', () => {
    expect(decide(healthy, obs('error'), 2, true)).toMatchObject({ status: 'error', changed: true });
    expect(decide(healthy, obs('error'), 1)).toMatchObject({ status: 'error', changed: true });
  });
});
