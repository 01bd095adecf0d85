import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_POINTS, resolveStep } from '../src/cluster-metrics/metric-queries.js';
import { directEndpoint, MAX_PROMETHEUS_RESPONSE_BYTES, targetOf } from '../src/cluster-metrics/prometheus-endpoint.js';
import { PrometheusQueryError, queryRange } from '../src/cluster-metrics/prometheus-query.js';
import { GateBusyError, QueryGate } from '../src/cluster-metrics/query-gate.js';
import { CoalescingCache } from '../src/cluster-metrics/result-cache.js';
import { ValidationError } from '../src/errors.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('metrics query bounds', () => {
  it('never runs more than perCluster queries on one cluster, nor more than overall in all', async () => {
    const gate = new QueryGate({ perCluster: 3, overall: 5, maxWaitMs: 10_000, maxQueued: 100 });
    const running = new Map<number, number>();
    let peak = 0;
    const peakPerCluster = new Map<number, number>();
    const work = (cluster: number) =>
      gate.run(cluster, async () => {
        running.set(cluster, (running.get(cluster) ?? 0) + 1);
        peak = Math.max(
          peak,
          [...running.values()].reduce((a, b) => a + b, 0),
        );
        peakPerCluster.set(cluster, Math.max(peakPerCluster.get(cluster) ?? 0, running.get(cluster)!));
        await sleep(5);
        running.set(cluster, running.get(cluster)! - 1);
      });
    await Promise.all([1, 2, 3].flatMap((c) => Array.from({ length: 10 }, () => work(c))));
    expect(peak).toBe(5);
    for (const c of [1, 2, 3]) expect(peakPerCluster.get(c)).toBe(3);
    expect(gate.inFlight()).toBe(0);
  });

  it('fails a query as busy when no slot frees within maxWaitMs, or at once when the queue is full', async () => {
    const gate = new QueryGate({ perCluster: 1, overall: 1, maxWaitMs: 50, maxQueued: 1 });
    let release!: () => void;
    const holder = gate.run(1, () => new Promise<void>((r) => (release = r)));
    const waiting = gate.run(2, async () => 'ran');
    await expect(gate.run(3, async () => 'ran')).rejects.toBeInstanceOf(GateBusyError);
    await expect(waiting).rejects.toThrow(/no free query slot within 50 ms/);
    release();
    await holder;
    await expect(gate.run(2, async () => 'ran')).resolves.toBe('ran');
  });

  it('coalesces concurrent loads of a key, keeps complete answers for the TTL only, and stays within maxEntries', async () => {
    let now = 0;
    const cache = new CoalescingCache<string>(15_000, 2, () => now);
    let loads = 0;
    const load = async () => {
      loads++;
      await sleep(5);
      return `v${loads}`;
    };
    const all = await Promise.all(Array.from({ length: 10 }, () => cache.get('a', load, () => true)));
    expect(new Set(all)).toEqual(new Set(['v1']));
    expect(loads).toBe(1);
    now = 14_999;
    expect(await cache.get('a', load, () => true)).toBe('v1');
    now = 15_000;
    expect(await cache.get('a', load, () => true)).toBe('v2');
    // Answers `keep` refuses (partial ones) are shared by concurrent callers but not kept.
    expect(await cache.get('b', load, () => false)).toBe('v3');
    expect(await cache.get('b', load, () => false)).toBe('v4');
    await cache.get('c', load, () => true);
    await cache.get('d', load, () => true);
    expect(cache.size).toBe(2);
  });
});

describe('metrics ranges, steps and targets', () => {
  it('defaults to about 120 points per range and refuses steps past 11,000 points, naming step', () => {
    expect(resolveStep('1h', undefined)).toBe(30);
    expect(resolveStep('7d', null)).toBe(604_800 / DEFAULT_POINTS);
    expect(resolveStep('1h', '1')).toBe(1);
    expect(() => resolveStep('7d', 54)).toThrow(ValidationError);
    expect(resolveStep('7d', 55)).toBe(55);
    for (const bad of [0, -5, 1.5, '1e3', ' ', 'NaN', 3_601]) {
      expect(() => resolveStep('1h', bad), String(bad)).toThrow(expect.objectContaining({ field: 'step' }));
    }
  });

  it('reaches *.svc and *.svc.cluster.local through the service proxy and everything else directly', () => {
    expect(targetOf('http://prometheus-k8s.monitoring.svc.cluster.local:9090/prom')).toMatchObject({
      kind: 'service',
      service: { service: 'prometheus-k8s', namespace: 'monitoring', port: 9090, scheme: 'http', routePrefix: '/prom' },
    });
    expect(targetOf('https://prometheus.observability.svc')).toMatchObject({
      kind: 'service',
      service: { port: 443, scheme: 'https', routePrefix: '' },
    });
    expect(targetOf('https://prom.example.com:8443/x/')).toEqual({ kind: 'direct', base: 'https://prom.example.com:8443/x' });
    expect(() => targetOf('http://prometheus.monitoring.svc:9090/a%2f..%2fapi')).toThrow(/percent-encoding/);
    expect(() => targetOf('http://svc.svc')).toThrow(/not <service>\.<namespace>\.svc/);
  });
});

describe('a hostile or broken server behind a hand-set URL', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      if (req.url?.includes('huge')) {
        // Keeps sending past the cap: the read must stop at the cap, not at the end of the body.
        const chunk = Buffer.alloc(64 * 1024, 'x');
        const write = () => {
          while (res.write(chunk)) if (res.writableLength > MAX_PROMETHEUS_RESPONSE_BYTES * 2) return res.end();
          res.once('drain', write);
        };
        return write();
      }
      res.end(
        JSON.stringify({
          status: 'success',
          data: {
            resultType: 'matrix',
            result: [
              {
                metric: {},
                values: [
                  [1, 'NaN'],
                  [2, '+Inf'],
                  [3, '4.5'],
                  ['x', '1'],
                ],
              },
            ],
          },
        }),
      );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))));

  it('an answer over the size cap fails as TOO_LARGE', async () => {
    const endpoint = directEndpoint({ kind: 'direct', base: `${url}/huge` });
    const err = await queryRange(endpoint, 'up', 0, 60, 1, 5_000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PrometheusQueryError);
    expect(err).toMatchObject({ kind: 'transport', reason: 'TOO_LARGE' });
  });

  it('NaN, infinities and malformed points are left out of a series', async () => {
    const samples = await queryRange(directEndpoint({ kind: 'direct', base: url }), 'up', 0, 60, 1, 5_000);
    expect(samples).toEqual([{ t: new Date(3_000), v: 4.5 }]);
  });
});
