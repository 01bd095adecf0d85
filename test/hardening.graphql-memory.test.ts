import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIST_RESPONSE_CACHE_LIMITS } from '../src/graphql/list-response-cache.js';
import { testDrivers } from './support/databases.js';
import { useTestGateway, type TestGateway } from './support/gateway.js';
import { kubeconfigYaml } from './support/kubeconfigs.js';

/**
 * Issue 11: any user could pin gigabytes in the GraphQL list-response cache (no byte bound, stale answers kept until
 * evicted). Alias-heavy list reads over many clusters with long names, as the probe sent, must leave the
 * cache under its byte bound, release what a list change made stale, and never keep one oversized answer.
 */

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const MiB = 1024 * 1024;

/** Memory outside the JS heap (Buffers, where rendered answers live; it includes `arrayBuffers`), after a full collection. */
function externalBytes(): number {
  gc();
  gc();
  return process.memoryUsage().external;
}

/** 100 code points of three UTF-8 bytes each: the longest name allowed, at its largest in bytes. */
const longName = (i: number) => `${String(i).padStart(4, '0')}${'集'.repeat(96)}`;
const CLUSTERS = 150;

/** A list read with `aliases` copies of each name; `tag` makes the text (and so the cache key) distinct. */
const aliasedList = (aliases: number, tag: string) =>
  `{ clusters { items { ${Array.from({ length: aliases }, (_, i) => `n${i}: name`).join(' ')} } } } # ${tag}`;

async function registerMany(t: TestGateway, count: number): Promise<void> {
  const kubeconfig = kubeconfigYaml({ server: 'https://127.0.0.1:1' });
  for (let start = 0; start < count; start += 25) {
    const creates = Array.from(
      { length: Math.min(25, count - start) },
      (_, k) =>
        `c${k}: createCluster(input: { name: ${JSON.stringify(longName(start + k))}, kubeconfig: ${JSON.stringify(kubeconfig)}, skipConnectionTest: true }) { id }`,
    );
    const res = await t.gql(`mutation { ${creates.join(' ')} }`);
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  }
}

/** GraphQL answers served from memory so far, from the gateway's own /metrics. */
async function laneAnswers(t: TestGateway): Promise<number> {
  const text = await (await fetch(`${t.url}/metrics`)).text();
  return Number(/^kube_gateway_cached_reads_total\{route="\/graphql"\} (\d+)/m.exec(text)?.[1] ?? 0);
}

describe.each(testDrivers())('the GraphQL list-response cache is bounded in bytes on %s', (driver) => {
  const t = useTestGateway(driver, {}, { healthMonitor: false });
  const cache = () => t.gw.graphqlResponses;

  it(`${CLUSTERS} clusters with 100-character names, 60 distinct alias-heavy list reads: the cache stays under its byte bound`, {
    timeout: 180_000,
  }, async () => {
    await registerMany(t, CLUSTERS);
    const baseline = externalBytes();
    let offered = 0;
    for (let i = 0; i < 60; i++) {
      const res = await fetch(`${t.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${t.userToken}` },
        body: JSON.stringify({ query: aliasedList(30, `read ${i}`) }),
      });
      const body = await res.arrayBuffer();
      expect(res.status).toBe(200);
      offered += body.byteLength;
      expect(cache().byteSize).toBeLessThanOrEqual(DEFAULT_LIST_RESPONSE_CACHE_LIMITS.maxBytes);
    }
    // Each answer is ~1.3 MB: 60 of them would hold ~80 MB without the byte bound.
    expect(offered).toBeGreaterThan(2 * DEFAULT_LIST_RESPONSE_CACHE_LIMITS.maxBytes);
    expect(cache().byteSize).toBeGreaterThan(DEFAULT_LIST_RESPONSE_CACHE_LIMITS.maxBytes / 2);
    const grown = externalBytes() - baseline;
    console.log(
      `[graphql-memory ${driver}] offered ${(offered / MiB).toFixed(1)} MiB in 60 answers; cache ${(cache().byteSize / MiB).toFixed(1)} MiB in ${cache().size} entries; external memory grew ${(grown / MiB).toFixed(1)} MiB`,
    );
    expect(grown).toBeLessThan(DEFAULT_LIST_RESPONSE_CACHE_LIMITS.maxBytes + 16 * MiB);

    // The most recent reads are still answered from memory (the bound evicts the oldest, it does not disable caching).
    const before = await laneAnswers(t);
    const again = await t.gql(aliasedList(30, 'read 59'), undefined, { token: t.userToken });
    expect(again.data.clusters.items).toHaveLength(CLUSTERS);
    expect(await laneAnswers(t)).toBe(before + 1);
  });

  it('a change to the list releases every answer rendered from the old one', async () => {
    const heldBefore = cache().byteSize;
    expect(heldBefore).toBeGreaterThan(8 * MiB);
    const externalBefore = externalBytes();
    const first = (await t.gql('{ clusters { items { id } } }')).data.clusters.items[0].id;
    const renamed = await t.gql(`mutation { updateCluster(id: "${first}", input: { name: ${JSON.stringify(longName(9_999))} }) { id } }`);
    expect(renamed.errors).toBeUndefined();
    // The next list read sees the new list and drops everything older; only its own answer is then held.
    const fresh = await t.gql(aliasedList(1, 'after the change'), undefined, { token: t.userToken });
    expect(fresh.data.clusters.items.map((c: { n0: string }) => c.n0)).toContain(longName(9_999));
    expect(cache().size).toBe(1);
    expect(cache().byteSize).toBeLessThan(64 * 1024);
    const released = externalBefore - externalBytes();
    console.log(
      `[graphql-memory ${driver}] list change released ${(heldBefore / MiB).toFixed(1)} MiB of cached answers; external memory fell ${(released / MiB).toFixed(1)} MiB`,
    );
    expect(released).toBeGreaterThan(heldBefore / 2);
  });

  it('an answer larger than the per-answer cap (4 MiB) is never kept', async () => {
    const query = aliasedList(97, 'oversized');
    const sizeBefore = cache().byteSize;
    const answeredFromMemory = await laneAnswers(t);
    const res = await fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t.userToken}` },
      body: JSON.stringify({ query }),
    });
    const bytes = (await res.arrayBuffer()).byteLength;
    expect(res.status).toBe(200);
    expect(bytes).toBeGreaterThan(DEFAULT_LIST_RESPONSE_CACHE_LIMITS.maxEntryBytes);
    expect(cache().byteSize).toBe(sizeBefore);
    // Asked again, it is executed again (still correct), and still not kept.
    const again = await t.gql(query, undefined, { token: t.userToken });
    expect(again.data.clusters.items).toHaveLength(CLUSTERS);
    expect(cache().byteSize).toBe(sizeBefore);
    expect(await laneAnswers(t)).toBe(answeredFromMemory);
  });
});
