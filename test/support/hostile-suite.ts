import { rmSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect } from 'vitest';
import { type Driver, testDrivers } from './databases.js';
import { registerCluster, type TestGateway, uniqueName, useTestGateway } from './gateway.js';
import { PWN_FILE, UNREACHABLE_YAML, UPDATE } from './hostile-payloads.js';
import { Tally } from './hostile-requests.js';
import { REST_BASE } from './raw-requests.js';
import { snapshotTables, type TableSnapshot } from './snapshot.js';

/**
 * The gateway every hostile-input file attacks, with the suite's invariants checked around its batches: the process
 * stays up (after every test), and when the file is done no request was answered with a 5xx, every REST answer is one
 * the OpenAPI document describes, and `clusters`/`discovery_tasks` are byte-for-byte what they were after seeding.
 * The invariants run in each file's hooks because each file has a gateway of its own; hostile-input.ids.test.ts also
 * states them as tests.
 */

const ENV = {
  HEALTH_CHECK_INTERVAL_SECONDS: '3600',
  KUBE_CONNECT_TIMEOUT_MS: '300',
  KUBE_REQUEST_TIMEOUT_MS: '500',
  DISCOVERY_TIMEOUT_SECONDS: '5',
};

export interface HostileSuite {
  t: TestGateway;
  tally: Tally;
  /** Two clusters, both disabled: the first is the default, the second has a finished discovery task. */
  seedIds: string[];
  /** Every row of both tables once seeded (set in beforeAll). */
  tablesBefore: TableSnapshot | undefined;
}

export interface HostileSuiteOptions {
  /** For a file whose tests register clusters on purpose: the tables are not compared. */
  changesTables?: boolean;
}

/**
 * Declares a hostile-input file's tests, once per driver, under the names every such file shares ('hostile input on
 * <driver>' › 'one gateway'). The drivers run side by side (each owns its gateway and database); the batches inside
 * each run in order. `topic` names the file in the log lines.
 */
export function describeHostileInput(topic: string, opts: HostileSuiteOptions, tests: (suite: HostileSuite, driver: Driver) => void): void {
  describe.each(testDrivers())('hostile input on %s', { concurrent: true }, (driver) => {
    describe('one gateway', { concurrent: false }, () => tests(useHostileGateway(driver, topic, opts), driver));
  });
}

function useHostileGateway(driver: Driver, topic: string, opts: HostileSuiteOptions): HostileSuite {
  const t = useTestGateway(driver, ENV);
  const suite: HostileSuite = { t, tally: new Tally(), seedIds: [], tablesBefore: undefined };
  const { tally, seedIds } = suite;

  beforeAll(async () => {
    // Seeds: one the default, one with a finished discovery task, so updates and deletes have a real target and
    // `discovery_tasks` is not trivially empty. Both end up disabled, so no background probe writes to them.
    for (const isDefault of [true, false]) {
      const seed = await registerCluster(t, {
        kubeconfig: UNREACHABLE_YAML,
        name: uniqueName('seed'),
        isDefault,
        enabled: !isDefault,
        skipConnectionTest: true,
      });
      seedIds.push(String(seed.id));
    }
    const started = await t.rest('POST', `${REST_BASE}/clusters/${seedIds[1]}/prometheus/rediscover`);
    expect(started.status).toBe(202);
    const deadline = Date.now() + 15_000;
    const discoveryState = async () =>
      (await t.gql('query($id: ID!) { cluster(id: $id) { discovery { state } } }', { id: seedIds[1] })).data.cluster.discovery.state as string;
    while (/PENDING|RUNNING/.test(await discoveryState())) {
      if (Date.now() > deadline) throw new Error('the seed discovery task did not finish in 15 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await t.gql(UPDATE, { id: seedIds[1], input: { enabled: false } })).errors).toBeUndefined();
    // A background probe that claimed the seed before it was disabled must finish before the snapshot.
    const monitor = t.gw.health as unknown as { sweeping?: Promise<void> };
    if (!('sweeping' in monitor)) throw new Error('HealthMonitor has no `sweeping` field any more: update this suite');
    await monitor.sweeping;
    suite.tablesBefore = await snapshotTables(t.gw);
    expect(suite.tablesBefore.clusters).toHaveLength(2);
    expect(suite.tablesBefore.discovery_tasks).toHaveLength(1);
  });

  afterEach(async ({ expect }) => {
    // The process never dies: after every batch the gateway still answers.
    const res = await fetch(`${t.url}/healthz`);
    expect(res.status).toBe(200);
  });

  // Registered after useTestGateway's, so it runs before the gateway closes (after-hooks run in reverse order).
  afterAll(async () => {
    console.log(tally.summary(`${topic} ${driver}`));
    if (tally.undocumented.length)
      console.log(`[hostile-input ${topic} ${driver}] undocumented REST answers:\n  ${[...new Set(tally.undocumented)].join('\n  ')}`);
    rmSync(PWN_FILE, { force: true });
    // Nothing to compare when seeding failed: that failure is what the file reports.
    if (!suite.tablesBefore) return;
    expect(tally.fiveXx(), 'hostile requests answered with a 5xx').toBe(0);
    expect([...new Set(tally.undocumented)], 'hostile REST answers the OpenAPI document does not describe').toEqual([]);
    if (!opts.changesTables) expect(await snapshotTables(t.gw), 'clusters and discovery_tasks after the hostile batches').toEqual(suite.tablesBefore);
  });

  return suite;
}
