/**
 * The baseline of the uncached paths (bench/paths.ts): a raw `node:http` server that does, per request, the database
 * work a minimal hand-written server would do for the same answer (one statement, the same driver as the gateway:
 * PGlite or postgres.js with prepared statements), serialises the rows it read (JSON.stringify, as any server must),
 * then answers with the exact bytes the gateway gave for the same request (status, content type, body). No auth, no
 * framework, no access check, no audit: everything the gateway adds is what the ratio measures.
 *
 *   node --import tsx bench/path-baseline.ts --routes FILE (--database-url URL | --data-dir-dump FILE) --encryption-key B64
 *
 * FILE: `{ routes: [{ method, path, body?, status, contentType, bodyBase64, op, id }] }`; requests are matched on
 * method, path and body. Prints `{ url, pid }`.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import postgres from 'postgres';
import { KubeconfigCipher } from '../src/clusters/kubeconfig-cipher.js';
import { flags } from './lib.js';

/** What the baseline does against the database for a route. */
export type BaselineOp = 'byId' | 'byIdWithKubeconfig' | 'default' | 'filtered' | 'update';

export interface BaselineRoute {
  method: string;
  path: string;
  body?: string;
  status: number;
  contentType: string;
  bodyBase64: string;
  op: BaselineOp;
  id: number;
}

/** The view columns the gateway selects (cluster.repository.ts `viewColumns`). */
const VIEW = `id, name, is_default, enabled, health_status, health_message, last_connected_at, kubernetes_version, node_count,
  ready_node_count, pod_count, prometheus_url, prometheus_source, impersonate, labels, created_at, updated_at`;
/** The filter of the filtered-list path: `env=prod`, health HEALTHY or WARNING, first 50, with the total. */
export const FILTER_LABELS = { env: 'prod' };
export const FILTER_HEALTH = ['healthy', 'warning'];
const STATEMENTS: Record<BaselineOp, string> = {
  byId: `SELECT ${VIEW} FROM clusters WHERE id = $1 AND deleted_at IS NULL`,
  byIdWithKubeconfig: `SELECT ${VIEW}, kubeconfig_ciphertext FROM clusters WHERE id = $1 AND deleted_at IS NULL`,
  default: `SELECT ${VIEW} FROM clusters WHERE is_default AND deleted_at IS NULL AND $1::int IS NOT NULL`,
  filtered: `SELECT ${VIEW}, count(*) OVER () AS total FROM clusters WHERE deleted_at IS NULL AND labels @> '${JSON.stringify(FILTER_LABELS)}'::jsonb
    AND health_status IN (${FILTER_HEALTH.map((h) => `'${h}'`).join(', ')}) AND $1::int IS NOT NULL ORDER BY id LIMIT 50`,
  update: `UPDATE clusters SET labels = labels, updated_at = now() WHERE id = $1 AND deleted_at IS NULL RETURNING ${VIEW}`,
};

type Query = (text: string, params: unknown[]) => Promise<Record<string, unknown>[]>;

async function driver(args: Map<string, string>): Promise<{ query: Query; close: () => Promise<void> }> {
  const url = args.get('database-url');
  if (url) {
    const sql = postgres(url, { max: 10, onnotice: () => {} });
    return { query: (text, params) => sql.unsafe(text, params as never[], { prepare: true }), close: () => sql.end() };
  }
  const dir = mkdtempSync(join(tmpdir(), 'kgw-path-baseline-'));
  const dump = readFileSync(args.get('data-dir-dump')!);
  // The gateway's own PGlite settings (src/db/client.ts), on a file-backed copy of its seeded data directory.
  const db = await PGlite.create(join(dir, 'pgdata'), {
    loadDataDir: new Blob([dump]),
    startParams: [...PGlite.defaultStartParams, '-c', 'shared_buffers=8MB'],
  });
  return {
    query: async (text, params) => (await db.query<Record<string, unknown>>(text, params)).rows,
    close: async () => {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const args = flags();
const { query, close } = await driver(args);
const cipher = new KubeconfigCipher(Buffer.from(args.get('encryption-key')!, 'base64'));
const routes = (JSON.parse(readFileSync(args.get('routes')!, 'utf8')) as { routes: BaselineRoute[] }).routes;
const table = new Map(routes.map((r) => [`${r.method} ${r.path} ${r.body ?? ''}`, { ...r, bytes: Buffer.from(r.bodyBase64, 'base64') }]));

async function answer(route: BaselineRoute): Promise<void> {
  const rows = await query(STATEMENTS[route.op], [route.id]);
  if (route.op === 'byIdWithKubeconfig') {
    const row = rows[0]!;
    row.kubeconfig = Buffer.from(cipher.decrypt(String(row.kubeconfig_ciphertext))).toString('base64');
    delete row.kubeconfig_ciphertext;
  }
  JSON.stringify(rows);
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const hit = table.get(`${req.method} ${req.url} ${Buffer.concat(chunks).toString('utf8')}`);
    if (!hit) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not captured');
      return;
    }
    answer(hit).then(
      () => res.writeHead(hit.status, { 'content-type': hit.contentType, 'content-length': hit.bytes.length }).end(hit.bytes),
      (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(err.message),
    );
  });
});
server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, pid: process.pid })}\n`);
});
const stop = () => {
  server.close(() => void close().finally(() => process.exit(0)));
  server.closeAllConnections();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.on('disconnect', stop);
