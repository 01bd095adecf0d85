import { readFileSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import postgres from 'postgres';
import { inject } from 'vitest';
import type { DatabaseTarget } from '../../src/db/client.js';
import { withDatabase } from './global-setup.js';

export type Driver = 'pglite' | 'postgres';

/**
 * The database drivers a suite runs on: PGlite always; real PostgreSQL when TEST_DATABASE_URL is set. In CI
 * (REQUIRE_ALL_BACKENDS=1) a missing PostgreSQL is an error, never a silent skip.
 */
export function testDrivers(): Driver[] {
  if (process.env.TEST_DATABASE_URL) return ['pglite', 'postgres'];
  if (process.env.REQUIRE_ALL_BACKENDS === '1') throw new Error('REQUIRE_ALL_BACKENDS=1 but TEST_DATABASE_URL is not set');
  if (!warned) {
    warned = true;
    console.warn('[test] TEST_DATABASE_URL is not set: suites run on PGlite only (real PostgreSQL skipped)');
  }
  return ['pglite'];
}
let warned = false;

let counter = 0;

/** A fresh, migrated, private database for one suite, and how to dispose of it. */
export async function createTestDatabase(driver: Driver): Promise<{ target: DatabaseTarget; url?: string; dispose(): Promise<void> }> {
  if (driver === 'pglite') {
    const dump = readFileSync(inject('pgliteDump'));
    const client = await PGlite.create({ loadDataDir: new Blob([dump]) });
    return { target: { kind: 'pglite', client }, dispose: () => client.close() };
  }
  const base = process.env.TEST_DATABASE_URL!;
  const name = `kgw_${process.pid}_${Date.now().toString(36)}_${counter++}`;
  const admin = postgres(base, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${name} TEMPLATE ${inject('postgresTemplate')}`);
  await admin.end();
  const url = withDatabase(base, name);
  return {
    target: { kind: 'postgres', url },
    url,
    dispose: async () => {
      const a = postgres(base, { max: 1, onnotice: () => {} });
      await a.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
      await a.end();
    },
  };
}
