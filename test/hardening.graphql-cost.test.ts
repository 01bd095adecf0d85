import fc from 'fast-check';
import { sql } from 'drizzle-orm';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DiscoveryRepository } from '../src/discovery/discovery.repository.js';
import { DEFAULT_LIMITS } from '../src/graphql/limits.js';
import { ClusterResolver } from '../src/resolvers/cluster.resolver.js';
import { DiscoveryResolver } from '../src/resolvers/discovery.resolver.js';
import { testDrivers } from './support/databases.js';
import { queryRows, useTestGateway, type TestGateway } from './support/gateway.js';
import { kubeconfigYaml } from './support/kubeconfigs.js';

/**
 * Issue 11: the operation limit counted fields, not cost, so aliases × list items multiplied work (240 `discovery`
 * aliases under `clusters { items }` with 63 clusters: 15,120 database queries, 5.4 s per request). Now fields under a
 * list are priced per item (100 assumed) and `discovery` is one query per request however many aliases and items.
 */

const { maxCost, maxFields, assumedListSize } = DEFAULT_LIMITS;
const DISCOVERY_FIELDS = ['state', 'taskId', 'message'];

/** One amplification shape: aliases at the root and under `items`, packaged directly or through fragments. */
interface Shape {
  rootAliases: number;
  scalars: number;
  discoveries: number;
  discoveryFields: number;
  packaging: 'direct' | 'named fragment' | 'inline fragment';
  spreads: number;
  rootThroughFragment: boolean;
}

function documentOf(s: Shape): string {
  const scalars = Array.from({ length: s.scalars }, (_, i) => `s${i}: name`);
  const discoveries = Array.from(
    { length: s.discoveries },
    (_, i) => `d${i}: discovery { ${DISCOVERY_FIELDS.slice(0, s.discoveryFields).join(' ')} }`,
  );
  const body = [...scalars, ...discoveries].join(' ') || 'id';
  const fragments: string[] = [];
  let items: string;
  if (s.packaging === 'direct') items = body;
  else if (s.packaging === 'inline fragment') items = Array.from({ length: s.spreads }, () => `... on Cluster { ${body} }`).join(' ');
  else {
    items = '...Item '.repeat(s.spreads);
    fragments.push(`fragment Item on Cluster { ${body} }`);
  }
  const roots = Array.from({ length: s.rootAliases }, (_, i) => `r${i}: clusters { items { ${items} } }`).join(' ');
  if (!s.rootThroughFragment) return `{ ${roots} } ${fragments.join(' ')}`;
  return `{ ...Roots } fragment Roots on Query { ${roots} } ${fragments.join(' ')}`;
}

/** The budget as documented: every field 1 per resolution, fields under `items` resolved `assumedListSize` times. */
function priceOf(s: Shape): { fields: number; cost: number } {
  const perItem = s.scalars + s.discoveries * (1 + s.discoveryFields) || 1;
  const repeats = s.packaging === 'direct' ? 1 : s.spreads;
  return { fields: s.rootAliases * (2 + repeats * perItem), cost: s.rootAliases * (2 + assumedListSize * repeats * perItem) };
}

const shapes: fc.Arbitrary<Shape> = fc.record({
  rootAliases: fc.integer({ min: 1, max: 8 }),
  scalars: fc.integer({ min: 0, max: 60 }),
  discoveries: fc.integer({ min: 0, max: 30 }),
  discoveryFields: fc.integer({ min: 1, max: DISCOVERY_FIELDS.length }),
  packaging: fc.constantFrom('direct' as const, 'named fragment' as const, 'inline fragment' as const),
  spreads: fc.integer({ min: 1, max: 3 }),
  rootThroughFragment: fc.boolean(),
});

/** Every resolver that reads clusters or discovery, counted (the real methods still run). */
function spyOnResolvers() {
  return [
    vi.spyOn(ClusterResolver.prototype, 'clusters'),
    vi.spyOn(ClusterResolver.prototype, 'cluster'),
    vi.spyOn(ClusterResolver.prototype, 'kubeconfig'),
    vi.spyOn(DiscoveryResolver.prototype, 'discovery'),
  ];
}
const callsOf = (spies: ReturnType<typeof spyOnResolvers>) => spies.reduce((n, s) => n + s.mock.calls.length, 0);

async function registerMany(t: TestGateway, count: number, prefix: string): Promise<number[]> {
  const kubeconfig = kubeconfigYaml({ server: 'https://127.0.0.1:1' });
  const ids: number[] = [];
  for (let start = 0; start < count; start += 25) {
    const creates = Array.from(
      { length: Math.min(25, count - start) },
      (_, k) =>
        `c${k}: createCluster(input: { name: "${prefix}-${start + k}", kubeconfig: ${JSON.stringify(kubeconfig)}, skipConnectionTest: true }) { id }`,
    );
    const res = await t.gql(`mutation { ${creates.join(' ')} }`);
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    ids.push(...Object.values(res.data as Record<string, { id: string }>).map((c) => Number(c.id)));
  }
  return ids;
}

describe.each(testDrivers())('GraphQL operation cost on %s', (driver) => {
  const t = useTestGateway(driver, {}, { healthMonitor: false });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('fuzz: every alias/nesting/fragment amplification over the budget is refused before any resolver runs; every one within it is answered', {
    timeout: 120_000,
  }, async () => {
    await registerMany(t, 3, `fuzz-${driver}`);
    const tally = { refusedForCost: 0, refusedForFields: 0, answered: 0 };
    await fc.assert(
      fc.asyncProperty(shapes, async (shape) => {
        const spies = spyOnResolvers();
        const res = await t.gql(documentOf(shape), undefined, { token: t.userToken });
        const price = priceOf(shape);
        const calls = callsOf(spies);
        vi.restoreAllMocks();
        if (price.fields > maxFields || price.cost > maxCost) {
          expect(res.status).toBe(400);
          expect(res.data).toBeUndefined();
          expect(res.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
          if (price.fields <= maxFields) {
            expect(res.errors?.[0]?.message).toMatch(/too expensive/);
            expect(res.errors?.[0]?.extensions?.limit).toBe('cost');
            tally.refusedForCost++;
          } else {
            expect(res.errors?.[0]?.message).toMatch(/too many fields|too expensive/);
            tally.refusedForFields++;
          }
          expect(calls).toBe(0);
        } else {
          expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
          expect(calls).toBeGreaterThan(0);
          tally.answered++;
        }
      }),
      {
        numRuns: 120,
        // The edge of the budget: 99 fields per item fits (cost 9,902), 100 does not (10,002).
        examples: [
          [{ rootAliases: 1, scalars: 99, discoveries: 0, discoveryFields: 1, packaging: 'direct', spreads: 1, rootThroughFragment: false }],
          [{ rootAliases: 1, scalars: 100, discoveries: 0, discoveryFields: 1, packaging: 'direct', spreads: 1, rootThroughFragment: false }],
          [{ rootAliases: 1, scalars: 0, discoveries: 25, discoveryFields: 3, packaging: 'named fragment', spreads: 1, rootThroughFragment: true }],
        ],
      },
    );
    console.log(`[graphql-cost ${driver}] fuzz: ${JSON.stringify(tally)}`);
    expect(tally.refusedForCost).toBeGreaterThan(10);
    expect(tally.answered).toBeGreaterThan(2);
  });

  describe('discovery is one query per request', () => {
    let ids: number[] = [];
    beforeAll(async () => {
      ids = await registerMany(t, 63, `batch-${driver}`);
      // Three clusters get a discovery task (it fails soon: the server is unreachable; its id is what is compared).
      for (const id of ids.slice(0, 3)) expect((await t.gql(`mutation { rediscoverPrometheus(id: "${id}") { taskId } }`)).errors).toBeUndefined();
    });

    it("the issue's 240 discovery aliases under clusters { items } are refused up front: no query runs", async () => {
      const load = vi.spyOn(DiscoveryRepository.prototype, 'latestForClusters');
      const single = vi.spyOn(DiscoveryRepository.prototype, 'latest');
      const aliases = Array.from({ length: 240 }, (_, i) => `d${i}: discovery { state }`).join(' ');
      const started = performance.now();
      const res = await t.gql(`{ clusters { items { id ${aliases} } } }`, undefined, { token: t.userToken });
      const ms = performance.now() - started;
      expect(res.status).toBe(400);
      expect(res.errors?.[0]?.extensions?.limit).toBe('cost');
      expect(load).not.toHaveBeenCalled();
      expect(single).not.toHaveBeenCalled();
      console.log(`[graphql-cost ${driver}] 240 discovery aliases x 63+ clusters refused in ${ms.toFixed(0)} ms`);
    });

    it('the largest accepted shape (2 list aliases x 15 discovery aliases x 66 clusters, cost 9,204) costs one discovery query, with the right rows', async () => {
      const load = vi.spyOn(DiscoveryRepository.prototype, 'latestForClusters');
      const single = vi.spyOn(DiscoveryRepository.prototype, 'latest');
      const d = (p: string) => Array.from({ length: 15 }, (_, i) => `${p}${i}: discovery { taskId state }`).join(' ');
      const res = await t.gql(`{ a: clusters { items { id ${d('x')} } } b: clusters { items { id ${d('y')} } } }`, undefined, { token: t.userToken });
      expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
      expect(load).toHaveBeenCalledTimes(1);
      expect(single).not.toHaveBeenCalled();
      const items: Record<string, { taskId: string } | null | string>[] = [...res.data.a.items, ...res.data.b.items];
      expect(items.length).toBeGreaterThanOrEqual(2 * 63);
      // What the database says is each cluster's latest task, read directly.
      const latest = await queryRows<{ cluster_id: number; id: number }>(
        t.gw,
        sql`SELECT DISTINCT ON (cluster_id) cluster_id, id FROM discovery_tasks ORDER BY cluster_id, id DESC`,
      );
      const expected = new Map(latest.map((r) => [String(r.cluster_id), String(r.id)]));
      expect(expected.size).toBeGreaterThanOrEqual(3);
      for (const item of items) {
        for (const [key, value] of Object.entries(item)) {
          if (key === 'id') continue;
          expect((value as { taskId: string } | null)?.taskId ?? null).toBe(expected.get(item.id as string) ?? null);
        }
      }
    });

    it('a single cluster read and a list read in one request still batch, and two requests query twice (nothing is kept between requests)', async () => {
      const load = vi.spyOn(DiscoveryRepository.prototype, 'latestForClusters');
      const q = `{ one: cluster(id: "${ids[0]}") { discovery { taskId } } all: clusters { items { discovery { taskId } } } }`;
      const first = await t.gql(q, undefined, { token: t.userToken });
      expect(first.errors).toBeUndefined();
      expect(first.data.one.discovery.taskId).toEqual(expect.any(String));
      const second = await t.gql(q, undefined, { token: t.userToken });
      expect(second.data).toEqual(first.data);
      expect(load.mock.calls.length).toBeLessThanOrEqual(4);
      expect(load.mock.calls.length).toBeGreaterThanOrEqual(2);
    });
  });
});
