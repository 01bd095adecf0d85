import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { type Gateway, startGateway } from '../src/gateway.js';
import { createTestDatabase, testDrivers } from './support/databases.js';
import { queryRows, TEST_JWT_SECRET, uniqueName, useTestGateway } from './support/gateway.js';

/**
 * Retention: events older than AUDIT_RETENTION_DAYS are deleted, once per interval by one replica — the claim is a
 * row in PostgreSQL, so two gateways on one database never both prune in the same interval.
 */
const countOf = async (gw: Gateway, actor: string) =>
  Number((await queryRows<{ n: number }>(gw, sql`SELECT count(*)::int AS n FROM audit_events WHERE actor = ${actor}`))[0]!.n);
const insertAged = (gw: Gateway, actor: string, ageHours: number, n: number) =>
  queryRows(
    gw,
    sql`INSERT INTO audit_events (at, actor, action, outcome)
    SELECT now() - make_interval(hours => ${ageHours}), ${actor}, 'cluster.update', 200 FROM generate_series(1, ${n})`,
  );
/** Lets the interval's claim lapse, as if an interval had passed. */
const expireClaim = (gw: Gateway) => queryRows(gw, sql`UPDATE periodic_job_claims SET claimed_until = now() - interval '1 second'`);

describe.each(testDrivers())('audit retention on %s', (driver) => {
  const t = useTestGateway(driver, { AUDIT_RETENTION_DAYS: '1' }, { healthMonitor: false, auditPruning: false });

  it('deletes events past the retention, keeps younger ones, and runs at most once per interval', async () => {
    const actor = uniqueName('prune');
    await insertAged(t.gw, actor, 49, 7); // two days old: past a one-day retention
    await insertAged(t.gw, actor, 2, 3);
    await t.gw.audit.record({ actor, action: 'cluster.create', outcome: 201 });
    const deleted = await t.gw.audit.prune();
    expect(deleted).toBe(7);
    expect(await countOf(t.gw, actor)).toBe(4);
    // Within the same interval a second attempt does not get the claim, even with new old rows waiting.
    await insertAged(t.gw, actor, 49, 2);
    expect(await t.gw.audit.prune()).toBeNull();
    expect(await countOf(t.gw, actor)).toBe(6);
    await expireClaim(t.gw);
    expect(await t.gw.audit.prune()).toBe(2);
    expect(await countOf(t.gw, actor)).toBe(4);
  });
});

const hasPostgres = testDrivers().includes('postgres');

describe.skipIf(!hasPostgres)('two gateways on one PostgreSQL prune once per interval', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  const gateways: Gateway[] = [];
  const dirs: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    const encryptionKey = randomBytes(32).toString('base64');
    for (let i = 0; i < 2; i++) {
      const dataDir = mkdtempSync(join(tmpdir(), 'kgw-prune-'));
      dirs.push(dataDir);
      const config = loadConfig({
        PORT: '0',
        HOST: '127.0.0.1',
        DATA_DIR: dataDir,
        DATABASE_URL: database.url!,
        JWT_SECRET: TEST_JWT_SECRET,
        ENCRYPTION_KEY: encryptionKey,
        LOG_LEVEL: 'silent',
        AUDIT_RETENTION_DAYS: '1',
        PROMETHEUS_AUTO_DISCOVERY: 'false',
      });
      gateways.push(await startGateway(config, { database: { kind: 'postgres', url: database.url! }, healthMonitor: false, auditPruning: false }));
    }
  }, 60_000);

  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.close()));
    await database?.dispose();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('of two replicas racing, exactly one claims the interval and deletes; the other deletes nothing', async () => {
    const [a, b] = gateways as [Gateway, Gateway];
    const actor = uniqueName('race');
    for (let round = 0; round < 5; round++) {
      await insertAged(a, actor, 49, 10);
      const results = await Promise.all([a.audit.prune(), b.audit.prune()]);
      const winners = results.filter((r) => r !== null);
      expect(winners, `round ${round}: ${JSON.stringify(results)}`).toHaveLength(1);
      expect(winners[0]).toBe(10);
      expect(await countOf(a, actor)).toBe(0);
      // Both replicas see the claim: neither may prune again in this interval.
      expect(await Promise.all([a.audit.prune(), b.audit.prune()])).toEqual([null, null]);
      await expireClaim(a);
    }
  });
});
