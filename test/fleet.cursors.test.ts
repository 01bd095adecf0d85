import { describe, expect, it } from 'vitest';
import { testDrivers } from './support/databases.js';
import { registerMany } from './support/fleet.js';
import { useTestGateway } from './support/gateway.js';

/**
 * Issue 14 item 2: keyset cursors stay correct while clusters are added and removed between pages. 200 clusters are
 * paged 17 at a time in each order while another task keeps inserting and deleting; every cluster that existed
 * throughout must appear exactly once, and no cluster twice.
 */

const PAGE = `query($first: Int, $after: String, $orderBy: ClusterOrderBy, $filter: ClusterFilter) {
  clusters(first: $first, after: $after, orderBy: $orderBy, filter: $filter) { total items { id name } pageInfo { hasNextPage endCursor } } }`;

// A name order unrelated to creation order, so NAME pages interleave old and new clusters.
const scrambled = (i: number) => `${((i * 7919) % 1000).toString(36).padStart(2, '0')}-${i}`;

describe.each(testDrivers())('fleet cursors under concurrent inserts and deletes on %s', (driver) => {
  const t = useTestGateway(driver, {}, { healthMonitor: false });

  it.each<[string, { field: string; direction: string } | undefined, Record<string, unknown> | undefined]>([
    ['the default order (id ascending)', undefined, undefined],
    ['NAME ascending', { field: 'NAME', direction: 'ASC' }, undefined],
    ['CREATED_AT descending', { field: 'CREATED_AT', direction: 'DESC' }, undefined],
    ['HEALTH_STATUS ascending, filtered by a selector', { field: 'HEALTH_STATUS', direction: 'ASC' }, { labelSelector: 'batch' }],
  ])('%s: every cluster that existed throughout appears exactly once', { timeout: 120_000 }, async (label, orderBy, filter) => {
    const tag = label.replace(/\W+/g, '').slice(0, 10).toLowerCase();
    const stable = await registerMany(
      t,
      Array.from({ length: 200 }, (_, i) => ({ name: `${tag}-${scrambled(i)}`, labels: { batch: tag } })),
    );
    // Clusters deleted while paging: taken from the start set, so deletions hit pages already read and pages ahead.
    const doomed = new Set(stable.filter((_, i) => i % 9 === 4));
    const survivors = stable.filter((id) => !doomed.has(id));

    let paging = true;
    let inserted = 0;
    const churn = (async () => {
      const victims = [...doomed];
      while (paging || victims.length) {
        await registerMany(t, [{ name: `${tag}-new-${scrambled(1000 + inserted++)}`, labels: { batch: tag } }]);
        const victim = victims.shift();
        if (victim !== undefined) {
          const res = await t.gql('mutation($id: ID!) { deleteCluster(id: $id) }', { id: String(victim) });
          expect(res.errors).toBeUndefined();
        }
      }
    })();

    const seen: number[] = [];
    let after: string | undefined;
    let pages = 0;
    try {
      for (;;) {
        const res = await t.gql(PAGE, { first: 17, after, orderBy, filter: filter ?? { labelSelector: `batch=${tag}` } });
        expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
        const { items, pageInfo } = res.data.clusters;
        expect(items.length).toBeLessThanOrEqual(17);
        seen.push(...items.map((c: { id: string }) => Number(c.id)));
        pages++;
        if (!pageInfo.hasNextPage) break;
        after = pageInfo.endCursor;
        // Give the churn task room between pages, as a user reading page after page would.
        await new Promise((r) => setTimeout(r, 5));
      }
    } finally {
      paging = false;
      await churn;
    }

    expect(pages).toBeGreaterThanOrEqual(10);
    expect(inserted).toBeGreaterThan(0);
    expect(new Set(seen).size).toBe(seen.length); // no duplicates
    const seenSet = new Set(seen);
    expect(survivors.filter((id) => !seenSet.has(id))).toEqual([]); // no gaps
    // Everything seen is of this batch: stable rows, doomed ones read before they went, or inserted ones.
    const final = await t.gql(PAGE, { filter: { labelSelector: `batch=${tag}` } });
    expect(final.data.clusters.total).toBe(200 - doomed.size + inserted);
  });

  it('an unfiltered page walk over the cached list is keyset too: a delete before the cursor shifts nothing', async () => {
    const ids = await registerMany(
      t,
      Array.from({ length: 30 }, (_, i) => ({ name: `walk-${i}` })),
    );
    const total = (await t.gql(PAGE, {})).data.clusters.total as number;
    const first = await t.gql(PAGE, { first: total - 10 });
    const readIds = first.data.clusters.items.map((c: { id: string }) => Number(c.id));
    await t.gql('mutation($id: ID!) { deleteCluster(id: $id) }', { id: String(ids[5]) });
    const rest = await t.gql(PAGE, { first: 100, after: first.data.clusters.pageInfo.endCursor });
    const restIds = rest.data.clusters.items.map((c: { id: string }) => Number(c.id));
    expect(restIds).toEqual(ids.slice(-10));
    expect(readIds.filter((id: number) => restIds.includes(id))).toEqual([]);
    expect(rest.data.clusters.pageInfo.hasNextPage).toBe(false);
  });
});
