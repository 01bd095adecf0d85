import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SQL } from 'drizzle-orm';
import { expect } from 'vitest';
import { signToken } from '../../src/auth/jwt.js';
import { loadConfig } from '../../src/config.js';
import { rowsOf } from '../../src/db/rows.js';
import { type Gateway, type GatewayOptions, startGateway } from '../../src/gateway.js';
import type { Logger } from '../../src/logger.js';
import { createTestDatabase, type Driver } from './databases.js';
import { b64 } from './kubeconfigs.js';
import { assertMatchesOpenApi } from './openapi-check.js';
import { perSuite } from './suite-fixtures.js';

export interface TestGateway {
  gw: Gateway;
  url: string;
  adminToken: string;
  userToken: string;
  dataDir: string;
  /** The PostgreSQL URL of this gateway's private database (postgres driver only). */
  databaseUrl?: string;
  /** Calls a REST endpoint; `token: null` sends no Authorization header. */
  rest(
    method: string,
    path: string,
    opts?: { body?: unknown; token?: string | null; headers?: Record<string, string>; raw?: string },
  ): Promise<RestResponse>;
  /** POSTs a GraphQL operation. */
  gql(query: string, variables?: Record<string, unknown>, opts?: { token?: string | null; headers?: Record<string, string> }): Promise<GqlResponse>;
  close(): Promise<void>;
}

export interface RestResponse {
  status: number;
  body: { code: number; message: string; data: any; [k: string]: unknown };
  headers: Headers;
}
export interface GqlResponse {
  status: number;
  data: any;
  errors?: { message: string; extensions?: { code?: string; field?: string; [k: string]: unknown }; path?: string[] }[];
}

export const TEST_JWT_SECRET = 'test-secret-' + randomBytes(24).toString('hex');

/** Starts a real gateway (HTTP on a free loopback port) on a private database of the given driver. */
export interface TestGatewayOptions {
  /** false: no background health timer; tests drive `gw.health.sweep()` / `checkNow()` themselves. */
  healthMonitor?: boolean;
  /** A logger of the test's own, for suites that read what the gateway logs. */
  logger?: Logger;
  /** false: no pruning timer; tests call `gw.audit.prune()` themselves. */
  auditPruning?: boolean;
  /** Webhook worker timings (suites shorten retries to milliseconds). */
  webhooks?: GatewayOptions['webhooks'];
}

export async function startTestGateway(driver: Driver, env: Record<string, string> = {}, opts: TestGatewayOptions = {}): Promise<TestGateway> {
  const dataDir = mkdtempSync(join(tmpdir(), 'kgw-data-'));
  const database = await createTestDatabase(driver);
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    JWT_SECRET: TEST_JWT_SECRET,
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    PROMETHEUS_AUTO_DISCOVERY: 'false',
    // Suites send many deliberate 401s from one address; the brake has its own test.
    AUTH_FAILURE_LIMIT: '0',
    ...env,
  });
  const gw = await startGateway(config, {
    database: database.target,
    healthMonitor: opts.healthMonitor,
    logger: opts.logger,
    auditPruning: opts.auditPruning,
    webhooks: opts.webhooks,
  });
  const adminToken = signToken(TEST_JWT_SECRET, { sub: 'admin-alice', role: 'admin' });
  const userToken = signToken(TEST_JWT_SECRET, { sub: 'user-bob', role: 'user' });

  const auth = (token: string | null | undefined, fallback: string): Record<string, string> => {
    const t = token === undefined ? fallback : token;
    return t === null ? {} : { authorization: `Bearer ${t}` };
  };

  return {
    gw,
    url: gw.url,
    adminToken,
    userToken,
    dataDir,
    databaseUrl: database.url,
    async rest(method, path, opts = {}) {
      const hasBody = opts.body !== undefined || opts.raw !== undefined;
      const res = await fetch(`${gw.url}${path}`, {
        method,
        headers: { ...auth(opts.token, adminToken), ...(hasBody ? { 'content-type': 'application/json' } : {}), ...opts.headers },
        body: opts.raw ?? (opts.body !== undefined ? JSON.stringify(opts.body) : undefined),
      });
      const text = await res.text();
      let body: RestResponse['body'];
      try {
        body = JSON.parse(text);
      } catch {
        throw new Error(`non-JSON response ${res.status} from ${method} ${path}: ${text.slice(0, 200)}`);
      }
      // Every REST response any suite sees must match the published OpenAPI document.
      assertMatchesOpenApi(method, path, res.status, body);
      return { status: res.status, body, headers: res.headers };
    },
    async gql(query, variables, opts = {}) {
      const res = await fetch(`${gw.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...auth(opts.token, adminToken), ...opts.headers },
        body: JSON.stringify({ query, variables }),
      });
      const json = (await res.json()) as { data?: unknown; errors?: GqlResponse['errors'] };
      return { status: res.status, data: json.data, errors: json.errors };
    },
    async close() {
      await gw.close();
      await database.dispose();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * A test gateway for the enclosing describe block: started in its beforeAll on a private database of `driver`, closed
 * in its afterAll. Arguments as for `startTestGateway`.
 */
export function useTestGateway(driver: Driver, env: Record<string, string> = {}, opts: TestGatewayOptions = {}): TestGateway {
  return perSuite(
    `the ${driver} test gateway`,
    () => startTestGateway(driver, env, opts),
    (t) => t.close(),
  );
}

export interface RegisterClusterOptions {
  /** The kubeconfig as YAML (REST C3 is sent its base64). */
  kubeconfig: string;
  /** Default: a fresh unique name. */
  name?: string;
  isDefault?: boolean;
  enabled?: boolean;
  /** Labels as GraphQL takes them (only with `skipConnectionTest`, which registers through GraphQL). */
  labels?: { key: string; value: string }[];
  /**
   * Store the cluster without contacting it. REST C3 always tests the connection first, so this registers it through
   * GraphQL `createCluster(skipConnectionTest: true)` instead.
   */
  skipConnectionTest?: boolean;
}

/**
 * Registers a cluster as an admin and returns its id and name as stored; a refusal fails the test (with the gateway's
 * message).
 * For tests that need a cluster to exist, not tests of registration itself.
 */
export async function registerCluster(t: TestGateway, opts: RegisterClusterOptions): Promise<{ id: number; name: string }> {
  const name = opts.name ?? uniqueName();
  if (opts.skipConnectionTest) {
    const input = {
      name,
      kubeconfig: opts.kubeconfig,
      isDefault: opts.isDefault,
      enabled: opts.enabled,
      labels: opts.labels,
      skipConnectionTest: true,
    };
    const res = await t.gql('mutation($input: CreateClusterInput!) { createCluster(input: $input) { id name } }', { input });
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    return { id: Number(res.data.createCluster.id), name: res.data.createCluster.name };
  }
  const body = { name, kubeconfig: b64(opts.kubeconfig), is_default: opts.isDefault, enabled: opts.enabled };
  const res = await t.rest('POST', '/api/v1/k8s/clusters', { body });
  expect(res.status, res.body.message).toBe(201);
  return { id: res.body.data.id, name: res.body.data.name };
}

/** Rows of a query on the gateway's own database, read directly so that a check does not trust the code under test. */
export async function queryRows<Row = Record<string, unknown>>(gw: Gateway, query: SQL): Promise<Row[]> {
  return rowsOf<Row>(await gw.database.db.execute(query));
}

let nameCounter = 0;
/** A cluster name unique to this test run, so suites sharing nothing can still run in parallel. */
export const uniqueName = (prefix = 'c') => `${prefix}-${process.pid}-${Date.now().toString(36)}-${nameCounter++}`;
