import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { openDatabase } from '../../src/db/client.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A migrated PGlite data directory (tarball): loading it takes ~0.7 s where initdb takes ~3.5 s. */
    pgliteDump: string;
    /** A migrated PostgreSQL template database; each test file gets its own copy. Empty without TEST_DATABASE_URL. */
    postgresTemplate: string;
  }
}

/** Runs once per `npm test`: prepares migrated databases that test files clone instead of migrating their own. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = mkdtempSync(join(tmpdir(), 'kube-gateway-test-'));
  const client = await PGlite.create();
  const db = await openDatabase({ kind: 'pglite', client });
  const dump = await client.dumpDataDir('none');
  await db.close();
  await client.close();
  const dumpFile = join(dir, 'pglite-migrated.tar');
  writeFileSync(dumpFile, Buffer.from(await dump.arrayBuffer()));
  project.provide('pgliteDump', dumpFile);

  let template = '';
  const url = process.env.TEST_DATABASE_URL;
  if (url) {
    template = `kgw_template_${process.pid}`;
    const admin = postgres(url, { max: 1, onnotice: () => {} });
    await admin.unsafe(`DROP DATABASE IF EXISTS ${template}`);
    await admin.unsafe(`CREATE DATABASE ${template}`);
    const migrated = await openDatabase({ kind: 'postgres', url: withDatabase(url, template) });
    await migrated.close();
    await admin.end();
  }
  project.provide('postgresTemplate', template);

  return async () => {
    rmSync(dir, { recursive: true, force: true });
    if (url && template) {
      const admin = postgres(url, { max: 1, onnotice: () => {} });
      const rows = await admin`SELECT datname FROM pg_database WHERE datname LIKE ${`kgw_${process.pid}_%`} OR datname = ${template}`;
      for (const { datname } of rows) await admin.unsafe(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`).catch(() => {});
      await admin.end();
    }
  };
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
