import { existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { getIntrospectionQuery } from 'graphql';
import WebSocket from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { testDrivers } from './support/databases.js';
import { registerCluster, type TestGateway, uniqueName, useTestGateway } from './support/gateway.js';
import type { ClusterKnobs } from './support/kube-simulator/index.js';
import { b64, kubeconfigYaml, yamlBomb } from './support/kubeconfigs.js';
import { assertMatchesOpenApi } from './support/openapi-check.js';
import { reachableCluster, type ReachableCluster } from './support/reachable.js';
import { snapshotTables, type TableSnapshot } from './support/snapshot.js';

/**
 * Hostile input, generated in bulk, against all seven REST endpoints, the GraphQL operations (HTTP and WebSocket):
 * every answer must be a 4xx with a clear message (REST envelope `{code,message,data:null}`) or a GraphQL error with
 * `extensions.code` — never a 5xx, never INTERNAL_SERVER_ERROR, never an accepted write; the process stays up (checked
 * after every batch) and `clusters`/`discovery_tasks` are byte-for-byte the same afterwards.
 */

const BASE = '/api/v1/k8s';
const ENV = {
  HEALTH_CHECK_INTERVAL_SECONDS: '3600',
  KUBE_CONNECT_TIMEOUT_MS: '300',
  KUBE_REQUEST_TIMEOUT_MS: '500',
  DISCOVERY_TIMEOUT_SECONDS: '5',
};
const CONCURRENCY = 8;
const PWN_FILE = join(tmpdir(), `kgw-pwned-${process.pid}-${Date.now()}`);

/** A kubeconfig that parses but whose server refuses connections at once (port 1): C3's connection test fails fast. */
const UNREACHABLE_YAML = kubeconfigYaml({ server: 'https://127.0.0.1:1' });
const UNREACHABLE_B64 = b64(UNREACHABLE_YAML);

interface Expectation {
  status?: number[];
  /** REST `message` or the first GraphQL error's message. */
  message?: RegExp;
  /** REST `field` or the first GraphQL error's `extensions.field`. */
  field?: RegExp;
  /** GraphQL `extensions.code` of the first error. */
  code?: string[];
}

interface Attempt {
  kind: 'rest' | 'gql';
  label: string;
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  expect?: Expectation;
}

class Tally {
  tried = 0;
  readonly byStatus = new Map<string, number>();
  readonly gqlCodes = new Map<string, number>();
  readonly violations: string[] = [];
  readonly undocumented: string[] = [];

  count(key: string, map = this.byStatus): void {
    map.set(key, (map.get(key) ?? 0) + 1);
  }

  fiveXx(): number {
    return [...this.byStatus].filter(([k]) => /^5\d\d$/.test(k) || k === 'ws:4500').reduce((n, [, v]) => n + v, 0);
  }

  summary(driver: string): string {
    const fmt = (m: Map<string, number>) => [...m].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${v}`).join(' ');
    return `[hostile-input ${driver}] requests=${this.tried} status{${fmt(this.byStatus)}} gqlCodes{${fmt(this.gqlCodes)}} 5xx=${this.fiveXx()} violations=${this.violations.length} undocumented=${this.undocumented.length}`;
  }
}

const short = (s: string, n = 160) => (s.length > n ? `${s.slice(0, n)}…(${s.length} chars)` : s);

/** Returns why the answer is unacceptable, or null. Also feeds the tally. */
function judge(a: Attempt, status: number, text: string, tally: Tally): string | null {
  tally.count(String(status));
  if (status >= 500) return `${status}: ${short(text, 300)}`;
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    return `non-JSON ${status} answer: ${short(text)}`;
  }
  const ex = a.expect ?? {};
  if (ex.status && !ex.status.includes(status)) return `expected status ${ex.status.join('/')}, got ${status}: ${short(text, 300)}`;

  if (a.kind === 'gql' && Array.isArray(body?.errors)) {
    if (body.errors.length === 0) return `empty errors array (${status})`;
    for (const e of body.errors) {
      const code = e?.extensions?.code;
      tally.count(typeof code === 'string' ? code : '(none)', tally.gqlCodes);
      if (typeof code !== 'string') return `GraphQL error without extensions.code: ${short(JSON.stringify(e), 300)}`;
      if (code === 'INTERNAL_SERVER_ERROR') return `INTERNAL_SERVER_ERROR (HTTP ${status}): ${short(JSON.stringify(e), 300)}`;
      if (typeof e.message !== 'string' || e.message === '') return `GraphQL error without a message: ${short(JSON.stringify(e))}`;
    }
    const first = body.errors[0];
    if (ex.code && !ex.code.includes(first.extensions.code)) return `expected code ${ex.code.join('/')}, got ${first.extensions.code}: ${short(first.message, 300)}`;
    if (ex.message && !ex.message.test(first.message)) return `message ${JSON.stringify(short(first.message, 300))} does not match ${ex.message}`;
    if (ex.field && !ex.field.test(String(first.extensions.field ?? ''))) return `field ${first.extensions.field} does not match ${ex.field}`;
    if (status < 400 && body.data && Object.values(body.data).some((v) => v !== null)) return `partial success: ${short(JSON.stringify(body.data))}`;
    return null;
  }

  // REST answers, and the transport-level answers GraphQL shares with REST (413, malformed JSON): the envelope.
  if (status < 400) return `hostile input accepted with ${status}: ${short(text)}`;
  if (body === null || typeof body !== 'object' || body.code !== status || body.data !== null) return `not a {code,message,data:null} envelope: ${short(text)}`;
  if (typeof body.message !== 'string' || body.message.trim() === '' || /internal server error/i.test(body.message)) return `unclear message: ${short(text)}`;
  if (ex.message && !ex.message.test(body.message)) return `message ${JSON.stringify(short(body.message, 300))} does not match ${ex.message}`;
  if (ex.field && !ex.field.test(String(body.field ?? ''))) return `field ${body.field} does not match ${ex.field}`;
  if (a.kind === 'rest') {
    try {
      assertMatchesOpenApi(a.method, a.path, status, body);
    } catch (err) {
      tally.undocumented.push(`${a.label}: ${(err as Error).message.split(' (body')[0]}`);
    }
  }
  return null;
}

async function send(t: TestGateway, a: Attempt, tally: Tally): Promise<string | null> {
  tally.tried++;
  let status: number;
  let text: string;
  try {
    const res = await fetch(`${t.url}${a.path}`, { method: a.method, headers: a.headers, body: a.body, signal: AbortSignal.timeout(20_000) });
    status = res.status;
    text = await res.text();
  } catch (err) {
    tally.count('network-error');
    return `network error: ${(err as Error).message} ${(err as { cause?: Error }).cause?.message ?? ''}`;
  }
  return judge(a, status, text, tally);
}

/**
 * For answers that may legitimately succeed (a reachable cluster's figures): only a 5xx or status outside the expected
 * ones, and GraphQL errors that are INTERNAL_SERVER_ERROR or carry no code, count as violations.
 */
async function sendAccepting(t: TestGateway, a: Attempt, tally: Tally): Promise<string | null> {
  tally.tried++;
  const res = await fetch(`${t.url}${a.path}`, { method: a.method, headers: a.headers, body: a.body, signal: AbortSignal.timeout(20_000) });
  const text = await res.text();
  // C6's 503 for a cluster it cannot reach is the contract, not a failure of the gateway: tallied apart.
  const expected503 = res.status === 503 && a.expect?.status?.includes(503);
  tally.count(expected503 ? '503 (C6: cluster unreachable, per contract)' : String(res.status));
  if (a.expect?.status ? !a.expect.status.includes(res.status) : res.status >= 500) return `got ${res.status}: ${short(text, 300)}`;
  const body = JSON.parse(text) as { errors?: { extensions?: { code?: string } }[] };
  for (const e of body.errors ?? []) {
    const code = e.extensions?.code;
    tally.count(code ?? '(none)', tally.gqlCodes);
    if (!code || code === 'INTERNAL_SERVER_ERROR') return `GraphQL error ${short(JSON.stringify(e), 300)}`;
  }
  return null;
}

/** Sends every attempt (a few at a time) and returns the violations, each prefixed by its label. */
async function runAll(t: TestGateway, attempts: Attempt[], tally: Tally): Promise<string[]> {
  const violations: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < attempts.length) {
        const a = attempts[next++]!;
        const v = await send(t, a, tally);
        if (v) violations.push(`${a.label} [${a.method} ${short(a.path, 80)}] → ${v}`);
      }
    }),
  );
  tally.violations.push(...violations);
  return violations;
}

// ---------------------------------------------------------------------------------------------------------------
// Builders

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const JSON_CT = { 'content-type': 'application/json' };

function rest(t: TestGateway, label: string, method: string, path: string, body?: unknown, opts: { raw?: string; headers?: Record<string, string>; expect?: Expectation } = {}): Attempt {
  const payload = opts.raw ?? (body === undefined ? undefined : JSON.stringify(body));
  return {
    kind: 'rest',
    label,
    method,
    path,
    headers: { ...bearer(t.adminToken), ...(payload !== undefined ? JSON_CT : {}), ...opts.headers },
    body: payload,
    expect: opts.expect,
  };
}

function gql(t: TestGateway, label: string, query: string, variables?: unknown, opts: { raw?: string; headers?: Record<string, string>; expect?: Expectation } = {}): Attempt {
  return {
    kind: 'gql',
    label,
    method: 'POST',
    path: '/graphql',
    headers: { ...bearer(t.adminToken), ...JSON_CT, ...opts.headers },
    body: opts.raw ?? JSON.stringify({ query, variables }),
    expect: opts.expect,
  };
}

const CREATE = 'mutation Create($input: CreateClusterInput!) { createCluster(input: $input) { id name } }';
const UPDATE = 'mutation Update($id: ID!, $input: UpdateClusterInput!) { updateCluster(id: $id, input: $input) { id name } }';
const ID_OPS: Record<string, string> = {
  cluster: 'query Q($id: ID!) { cluster(id: $id) { id name } }',
  updateCluster: 'mutation M($id: ID!) { updateCluster(id: $id, input: { enabled: true }) { id } }',
  deleteCluster: 'mutation M($id: ID!) { deleteCluster(id: $id) }',
  testClusterConnection: 'mutation M($id: ID!) { testClusterConnection(id: $id) { connected } }',
  rediscoverPrometheus: 'mutation M($id: ID!) { rediscoverPrometheus(id: $id) { state } }',
};

/** Ids that are malformed, out of range or absent: REST path segment and GraphQL variable value. */
const BAD_IDS: { name: string; seg: string; gql: unknown }[] = [
  { name: 'zero', seg: '0', gql: '0' },
  { name: 'minus one', seg: '-1', gql: -1 },
  { name: '2^31', seg: '2147483648', gql: '2147483648' },
  { name: '2^63', seg: '9223372036854775808', gql: '9223372036854775808' },
  { name: '2^64 as a JSON number', seg: '18446744073709551616', gql: 2 ** 64 },
  { name: '1e309', seg: '1e309', gql: '1e309' },
  { name: 'Infinity', seg: 'Infinity', gql: 'Infinity' },
  { name: 'NaN', seg: 'NaN', gql: 'NaN' },
  { name: 'abc', seg: 'abc', gql: 'abc' },
  { name: '1.5', seg: '1.5', gql: 1.5 },
  { name: 'hex', seg: '0x10', gql: '0x10' },
  { name: 'exponent', seg: '1e3', gql: '1e3' },
  { name: 'plus sign', seg: '%2B1', gql: '+1' },
  { name: 'dot-dot-slash', seg: '%2E%2E%2F', gql: '../' },
  { name: 'path traversal', seg: '..%2F..%2Fetc%2Fpasswd', gql: '../../etc/passwd' },
  { name: 'arabic-indic digits', seg: encodeURIComponent('١٢'), gql: '١٢' },
  { name: 'fullwidth digit', seg: encodeURIComponent('１'), gql: '１' },
  { name: 'bad percent-encoding', seg: '%zz', gql: '%zz' },
  { name: 'NUL', seg: '%00', gql: '\u0000' },
  { name: 'digit then NUL', seg: '1%00', gql: '1\u0000' },
  { name: 'SQL tautology', seg: encodeURIComponent("1' OR '1'='1"), gql: "1' OR '1'='1" },
  { name: 'SQL stacked query', seg: encodeURIComponent('1; DROP TABLE clusters; --'), gql: '1; DROP TABLE clusters; --' },
  { name: 'zero-width suffix', seg: encodeURIComponent('1\u200B'), gql: '1\u200B' },
  { name: '31 digits', seg: '9'.repeat(31), gql: '9'.repeat(31) },
  { name: '5000 digits', seg: '9'.repeat(5000), gql: '9'.repeat(5000) },
  { name: 'absent', seg: '999999', gql: '999999' },
];
/** GraphQL-only id values that are not even strings. */
const BAD_GQL_ID_VALUES: { name: string; gql: unknown }[] = [
  { name: 'zero number', gql: 0 },
  { name: 'true', gql: true },
  { name: 'null', gql: null },
  { name: 'list', gql: ['1'] },
  { name: 'object', gql: { id: 1 } },
  { name: '2^63 number', gql: 2 ** 63 },
];

/** Names that must be refused: control, invisible, bidi, private-use, surrogate characters, or too long. */
const BAD_NAMES: { name: string; value: string }[] = [
  { name: 'empty', value: '' },
  { name: 'spaces only', value: '   ' },
  { name: 'tab+newline only', value: '\t\n' },
  { name: 'NUL inside', value: 'a\u0000b' },
  { name: 'NUL only', value: '\u0000' },
  { name: 'BEL', value: 'bell\u0007' },
  { name: 'inner tab', value: 'tab\there' },
  { name: 'inner newline', value: 'new\nline' },
  { name: 'carriage return', value: 'cr\rlf' },
  { name: 'ANSI escape', value: 'esc\u001b[31mred' },
  { name: 'DEL', value: 'del\u007f' },
  { name: 'C1 control', value: 'c1\u0085' },
  { name: 'zero-width space', value: 'prod\u200Buction' },
  { name: 'zero-width joiner', value: 'zwj\u200D' },
  { name: 'inner BOM', value: 'b\uFEFFom' },
  { name: 'RTL override', value: 'txt.\u202Eexe' },
  { name: 'bidi isolate', value: 'iso\u2066x\u2069' },
  { name: 'LRM', value: 'lrm\u200E' },
  { name: 'soft hyphen', value: 'soft\u00ADhyphen' },
  { name: 'line separator', value: 'line\u2028sep' },
  { name: 'paragraph separator', value: 'para\u2029sep' },
  { name: 'private use', value: 'private\uE000use' },
  { name: 'lone high surrogate', value: 'lone\uD800' },
  { name: 'lone low surrogate', value: '\uDC00low' },
  { name: 'tag character', value: 'tag\u{E0041}' },
  { name: '101 ASCII', value: 'x'.repeat(101) },
  { name: '101 é', value: 'é'.repeat(101) },
  { name: '101 decomposed é (NFC → 101)', value: 'e\u0301'.repeat(101) },
  { name: '101 emoji', value: '😀'.repeat(101) },
  { name: '401 ASCII', value: 'x'.repeat(401) },
  { name: '100k ASCII', value: 'x'.repeat(100_000) },
];

const SQLI = [
  "'; DROP TABLE clusters; --",
  '" OR "1"="1',
  '1); DELETE FROM clusters; --',
  "x' UNION SELECT kubeconfig_ciphertext FROM clusters --",
  '$$; TRUNCATE discovery_tasks CASCADE; $$',
  "\\'; UPDATE clusters SET is_default = true; --",
  "%' OR name LIKE '%",
];

const kc = (user: Record<string, unknown>, cluster: Record<string, unknown> = {}, server = 'https://127.0.0.1:1') => kubeconfigYaml({ server, user, cluster });

/** Kubeconfigs that must be refused with a 400 naming the problem. `yaml` is the text; REST sends base64 of it. */
const BAD_KUBECONFIGS: { name: string; yaml: string; message: RegExp; restOnly?: boolean; restMessage?: RegExp }[] = [
  { name: 'exec plugin', yaml: kc({ exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'sh', args: ['-c', `touch ${PWN_FILE}`] } }), message: /exec/ },
  { name: 'auth-provider', yaml: kc({ 'auth-provider': { name: 'oidc', config: { 'cmd-path': '/bin/sh', 'cmd-args': `-c "touch ${PWN_FILE}"` } } }), message: /auth-provider/ },
  { name: 'tokenFile', yaml: kc({ tokenFile: '/etc/passwd' }), message: /tokenFile/ },
  { name: 'client-certificate path', yaml: kc({ 'client-certificate': '/etc/ssl/certs/ca-certificates.crt', 'client-key': '/etc/shadow' }), message: /client-certificate|client-key/ },
  { name: 'client-key path', yaml: kc({ token: 't', 'client-key': '/etc/shadow' }), message: /client-key/ },
  { name: 'certificate-authority path', yaml: kc({ token: 't' }, { 'certificate-authority': '/etc/passwd' }), message: /certificate-authority/ },
  { name: 'proxy-url', yaml: kc({ token: 't' }, { 'proxy-url': 'http://attacker.example:3128' }), message: /proxy-url/ },
  {
    name: 'exec in an unused second user',
    yaml: kc({ token: 't' }).replace('contexts:', `- name: sleeper\n  user:\n    exec: {"command": "sh", "args": ["-c", "touch ${PWN_FILE}"]}\ncontexts:`),
    message: /exec/,
  },
  {
    name: 'JSON kubeconfig with exec',
    yaml: JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:1' } }],
      users: [{ name: 'u', user: { exec: { command: 'sh', args: ['-c', `touch ${PWN_FILE}`] } } }],
      contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
      'current-context': 'x',
    }),
    message: /exec/,
  },
  { name: 'file:// server', yaml: kc({ token: 't' }, {}, 'file:///etc/passwd'), message: /server/ },
  { name: 'unix socket server', yaml: kc({ token: 't' }, {}, 'unix:///var/run/docker.sock'), message: /server/ },
  { name: 'credentials in server URL', yaml: kc({ token: 't' }, {}, 'https://admin:secret@10.0.0.1'), message: /server/ },
  { name: 'server not a URL', yaml: kc({ token: 't' }, {}, 'not a url'), message: /server/ },
  { name: 'kind Secret', yaml: kc({ token: 't' }).replace('kind: Config', 'kind: Secret'), message: /kind/ },
  // Expanded where a kubeconfig field is read.
  { name: 'billion laughs', yaml: `${yamlBomb()}clusters: *i\n`, message: /kubeconfig/ },
  { name: 'unresolved alias', yaml: 'clusters: *nowhere\n', message: /kubeconfig/ },
  { name: '20k nested flow sequences', yaml: '['.repeat(20_000), message: /kubeconfig/ },
  { name: 'deep nested mapping', yaml: 'a: ' + '{b: '.repeat(5_000) + '1' + '}'.repeat(5_000), message: /kubeconfig/ },
  { name: 'scalar document', yaml: 'just a string', message: /kubeconfig/ },
  { name: 'list document', yaml: '- a\n- b\n', message: /kubeconfig/ },
  { name: 'duplicate keys', yaml: 'apiVersion: v1\napiVersion: v2\n', message: /kubeconfig/ },
  { name: 'whitespace only', yaml: '   \n   \n', message: /kubeconfig/ },
  { name: 'NUL byte in YAML', yaml: 'apiVersion: v1\u0000\nkind: Config\n', message: /kubeconfig/ },
  { name: 'users is a mapping', yaml: kc({ token: 't' }).replace(/users:\n- name: fixture-user\n {2}user:\n.*\n/, 'users: {a: 1}\n'), message: /users/ },
  { name: 'current-context names nothing', yaml: kc({ token: 't' }).replace('current-context: fixture-ctx', 'current-context: ghost'), message: /current-context/ },
  { name: 'token is a number', yaml: kc({ token: 12345 }), message: /token/ },
  { name: 'cert data without key', yaml: kc({ 'client-certificate-data': b64('garbage') }), message: /client-certificate-data/ },
  { name: 'garbage cert and key', yaml: kc({ 'client-certificate-data': b64('garbage'), 'client-key-data': b64('garbage') }), message: /client-certificate-data/ },
  { name: 'CA data not base64', yaml: kc({ token: 't' }, { 'certificate-authority-data': '!!! not base64 !!!' }), message: /certificate-authority-data/ },
  { name: '300 KiB document', yaml: kc({ token: 't' }) + '# ' + 'x'.repeat(300 * 1024) + '\n', message: /256 KiB/ },
];

/** Values that are not base64 at all: REST refuses them before decoding. */
const NOT_BASE64 = ['not base64!!!', 'YWJj=', '====', 'YQ', '😀😀😀😀', 'YW Jj\u0000', '-_-_'];

const INVISIBLE = ['\u0000', '\u0007', '\u001b', '\u007f', '\u0085', '\u200B', '\u200C', '\u200D', '\u2060', '\uFEFF', '\u202A', '\u202E', '\u2066', '\u2069', '\u00AD', '\u2028', '\uE000', '\uD800', '\uDFFF'];

/** `a { b { c { leaf } } }` from a path of selections. */
const nest = (path: string[], leaf: string) => path.reduceRight((inner, f) => `${f} { ${inner} }`, leaf);
/** `fields { type { fields { type … } } }`, n levels: the fan-out chain of introspection (`ofType` is not counted). */
const fieldsTypeChain = (n: number) => Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 'fields' : 'type'));
/** `{ __schema { types { fields { type { fields … { name } } } } } }`: the leaf sits at depth n + 3. */
const introspectionDepth = (n: number) => `{ ${nest(['__schema', 'types', ...fieldsTypeChain(n)], 'name')} }`;
/**
 * `__schema directives args type fields args type fields args …`: deep, yet with only two nested `fields`, so graphql-js's
 * own MaxIntrospectionDepthRule lets it through and only the gateway's depth rule stands in the way.
 */
const directivesChain = (depth: number) => {
  const path = ['__schema', 'directives'];
  const cycle = ['args', 'type', 'fields'];
  while (path.length < depth - 1) path.push(cycle[(path.length - 2) % 3]!);
  return `{ ${nest(path, 'name')} }`;
};

// The drivers' suites run side by side (each owns its gateway and database); the batches inside each run in order.
describe.each(testDrivers())('hostile input on %s', { concurrent: true }, (driver) => {
  describe.sequential('one gateway', () => {
    const t = useTestGateway(driver, ENV);
    const tally = new Tally();
    const seedIds: string[] = [];
    let before: TableSnapshot;

    beforeAll(async () => {
      // Seeds: one the default, one with a finished discovery task, so updates and deletes have a real target and
      // `discovery_tasks` is not trivially empty. Both end up disabled, so no background probe writes to them.
      for (const isDefault of [true, false]) {
        const seed = await registerCluster(t, { kubeconfig: UNREACHABLE_YAML, name: uniqueName('seed'), isDefault, enabled: !isDefault, skipConnectionTest: true });
        seedIds.push(String(seed.id));
      }
      const started = await t.rest('POST', `${BASE}/clusters/${seedIds[1]}/prometheus/rediscover`);
      expect(started.status).toBe(202);
      const deadline = Date.now() + 15_000;
      const discoveryState = async () => (await t.gql('query($id: ID!) { cluster(id: $id) { discovery { state } } }', { id: seedIds[1] })).data.cluster.discovery.state as string;
      while (/PENDING|RUNNING/.test(await discoveryState())) {
        if (Date.now() > deadline) throw new Error('the seed discovery task did not finish in 15 s');
        await new Promise((r) => setTimeout(r, 100));
      }
      expect((await t.gql(UPDATE, { id: seedIds[1], input: { enabled: false } })).errors).toBeUndefined();
      // A background probe that claimed the seed before it was disabled must finish before the snapshot.
      const monitor = t.gw.health as unknown as { sweeping?: Promise<void> };
      if (!('sweeping' in monitor)) throw new Error('HealthMonitor has no `sweeping` field any more: update this suite');
      await monitor.sweeping;
      before = await snapshotTables(t.gw);
      expect(before.clusters).toHaveLength(2);
      expect(before.discovery_tasks).toHaveLength(1);
    });

    afterEach(async ({ expect }) => {
      // The process never dies: after every batch the gateway still answers.
      const res = await fetch(`${t.url}/healthz`);
      expect(res.status).toBe(200);
    });

    afterAll(async () => {
      console.log(tally.summary(driver));
      if (tally.undocumented.length) console.log(`[hostile-input ${driver}] undocumented REST answers:\n  ${[...new Set(tally.undocumented)].join('\n  ')}`);
      rmSync(PWN_FILE, { force: true });
    });

    it('ids out of range or malformed on C2, C4, C5, C6, C7 and every GraphQL operation taking an id', async ({ expect }) => {
      const attempts: Attempt[] = [];
      for (const id of BAD_IDS) {
        const expectRest: Expectation = { status: id.name === 'absent' || id.name.startsWith('2^') ? [404] : [400] };
        attempts.push(
          rest(t, `C2 id ${id.name}`, 'GET', `${BASE}/clusters/${id.seg}`, undefined, { expect: expectRest }),
          rest(t, `C4 id ${id.name}`, 'PUT', `${BASE}/clusters/${id.seg}`, { enabled: true }, { expect: expectRest }),
          rest(t, `C5 id ${id.name}`, 'DELETE', `${BASE}/clusters/${id.seg}`, undefined, { expect: expectRest }),
          rest(t, `C6 id ${id.name}`, 'POST', `${BASE}/clusters/${id.seg}/test-connection`, undefined, { expect: expectRest }),
          rest(t, `C7 id ${id.name}`, 'POST', `${BASE}/clusters/${id.seg}/prometheus/rediscover`, undefined, { expect: expectRest }),
        );
      }
      // Every id against the lookup and the admin writes; the connection test and discovery against a sample.
      const sample = new Set(['zero', 'minus one', '2^63', '1e309', 'dot-dot-slash', 'arabic-indic digits', 'NUL', 'SQL stacked query', 'absent', 'true', 'null', 'object']);
      for (const id of [...BAD_IDS, ...BAD_GQL_ID_VALUES]) {
        for (const [op, query] of Object.entries(ID_OPS)) {
          if (!sample.has(id.name) && (op === 'testClusterConnection' || op === 'rediscoverPrometheus')) continue;
          attempts.push(gql(t, `${op} id ${id.name}`, query, { id: id.gql }, { expect: { code: ['BAD_USER_INPUT', 'NOT_FOUND'] } }));
        }
      }
      // 1e309 only exists as JSON text (JSON.stringify cannot write it): it parses to Infinity.
      for (const [op, query] of Object.entries(ID_OPS)) {
        attempts.push(gql(t, `${op} id 1e309 as JSON number`, query, undefined, { raw: `{"query":${JSON.stringify(query)},"variables":{"id":1e309}}`, expect: { code: ['BAD_USER_INPUT'] } }));
        attempts.push(gql(t, `${op} id -0 as JSON number`, query, undefined, { raw: `{"query":${JSON.stringify(query)},"variables":{"id":-0}}`, expect: { code: ['BAD_USER_INPUT'] } }));
      }
      // Inline literals of the wrong GraphQL type.
      for (const lit of ['true', '1.5', '[1]', '{a: 1}', 'null', 'ENUM_VALUE', '"1" "2"']) {
        attempts.push(gql(t, `cluster(id: ${lit}) literal`, `{ cluster(id: ${lit}) { id } }`));
      }
      expect(await runAll(t, attempts, tally)).toEqual([]);
    });

    it('unicode, control, zero-width, bidi and oversized names on C3, C4, createCluster and updateCluster', async ({ expect }) => {
      const attempts: Attempt[] = [];
      for (const n of BAD_NAMES) {
        const expectRest: Expectation = { status: [400], field: /^name$/ };
        const expectGql: Expectation = { code: ['BAD_USER_INPUT'], field: /^name$/ };
        attempts.push(
          rest(t, `C3 name ${n.name}`, 'POST', `${BASE}/clusters`, { name: n.value, kubeconfig: UNREACHABLE_B64 }, { expect: expectRest }),
          rest(t, `C4 name ${n.name}`, 'PUT', `${BASE}/clusters/${seedIds[0]}`, { name: n.value }, { expect: expectRest }),
          gql(t, `createCluster name ${n.name}`, CREATE, { input: { name: n.value, kubeconfig: UNREACHABLE_YAML, skipConnectionTest: true } }, { expect: expectGql }),
          gql(t, `updateCluster name ${n.name}`, UPDATE, { id: seedIds[0], input: { name: n.value } }, { expect: expectGql }),
        );
      }
      expect(await runAll(t, attempts, tally)).toEqual([]);
    });

    it('SQL-looking strings as names, ids, URLs and cluster selectors reach the database only as parameters', async ({ expect }) => {
      const attempts: Attempt[] = [];
      for (const [i, s] of SQLI.entries()) {
        attempts.push(
          // A syntactically valid name: C3 checks the name against the database, then fails the connection test.
          rest(t, `C3 SQL name #${i}`, 'POST', `${BASE}/clusters`, { name: s, kubeconfig: UNREACHABLE_B64 }, { expect: { status: [400], message: /cannot connect/ } }),
          rest(t, `C4 SQL name on absent id #${i}`, 'PUT', `${BASE}/clusters/999999`, { name: s }, { expect: { status: [404] } }),
          rest(t, `C4 SQL in prometheus_url on absent id #${i}`, 'PUT', `${BASE}/clusters/999999`, { prometheus_url: `http://prom.example/?q=${encodeURIComponent(s)}` }, { expect: { status: [404] } }),
          gql(t, `updateCluster SQL name on absent id #${i}`, UPDATE, { id: '999999', input: { name: s } }, { expect: { code: ['NOT_FOUND'] } }),
          gql(t, `currentCluster X-Cluster-Name SQL #${i}`, '{ currentCluster { id } }', undefined, { headers: { 'x-cluster-name': encodeURIComponent(s) }, expect: { code: ['NOT_FOUND'] } }),
          gql(t, `currentCluster X-Cluster-ID SQL #${i}`, '{ currentCluster { id } }', undefined, { headers: { 'x-cluster-id': encodeURIComponent(s) }, expect: { code: ['BAD_USER_INPUT'] } }),
        );
      }
      expect(await runAll(t, attempts, tally)).toEqual([]);
    });

    it('hostile cluster-selector headers (X-Cluster-Name / X-Cluster-ID) on currentCluster', async ({ expect }) => {
      const headers: Record<string, string>[] = [
        { 'x-cluster-name': '%00' },
        { 'x-cluster-name': 'a%00b' },
        { 'x-cluster-name': '%E2%80%AE' },
        { 'x-cluster-name': '%ff%fe' },
        { 'x-cluster-name': '%' },
        { 'x-cluster-name': 'x'.repeat(8_000) },
        { 'x-cluster-id': '0' },
        { 'x-cluster-id': '-1' },
        { 'x-cluster-id': '99999999999' },
        { 'x-cluster-id': '%00' },
        { 'x-cluster-id': '1e309' },
      ];
      const attempts = headers.map((h) => gql(t, `currentCluster ${JSON.stringify(h).slice(0, 60)}`, '{ currentCluster { id } }', undefined, { headers: h, expect: { code: ['BAD_USER_INPUT', 'NOT_FOUND'] } }));
      expect(await runAll(t, attempts, tally)).toEqual([]);
    });

    it('wrong types for every field of C3 and C4, and unknown (mass-assignment) fields', async ({ expect }) => {
      const attempts: Attempt[] = [];
      const notString = [123, 1.5, 1e308, true, [], ['a'], {}, { $ne: null }];
      const notBool = [0, 'true', 'yes', '', [true], {}, { $ne: null }];
      const c3Base = { name: uniqueName('wt'), kubeconfig: UNREACHABLE_B64 };
      const fields: Record<string, unknown[]> = { name: notString, kubeconfig: notString, is_default: notBool, enabled: notBool };
      for (const [field, values] of Object.entries(fields)) {
        for (const v of values) {
          const expectField: Expectation = { status: [400], field: new RegExp(`^${field}`) };
          attempts.push(rest(t, `C3 ${field}=${JSON.stringify(v)}`, 'POST', `${BASE}/clusters`, { ...c3Base, [field]: v }, { expect: expectField }));
          attempts.push(rest(t, `C4 ${field}=${JSON.stringify(v)}`, 'PUT', `${BASE}/clusters/${seedIds[0]}`, { [field]: v }, { expect: expectField }));
        }
      }
      for (const v of notString) {
        attempts.push(rest(t, `C4 prometheus_url=${JSON.stringify(v)}`, 'PUT', `${BASE}/clusters/${seedIds[0]}`, { prometheus_url: v }, { expect: { status: [400], field: /^prometheus_url/ } }));
      }
      for (const field of ['name', 'kubeconfig']) {
        attempts.push(rest(t, `C3 ${field}=null`, 'POST', `${BASE}/clusters`, { ...c3Base, [field]: null }, { expect: { status: [400], field: new RegExp(`^${field}`) } }));
        const { [field]: _dropped, ...missing } = c3Base as Record<string, unknown>;
        attempts.push(rest(t, `C3 ${field} missing`, 'POST', `${BASE}/clusters`, missing, { expect: { status: [400], message: /is required/ } }));
      }
      const massAssignment = ['id', 'deleted_at', 'kubeconfig_ciphertext', 'kubeconfig_key_id', 'health_status', 'prometheus_source', 'created_at', 'isDefault', 'skipConnectionTest', 'skip_connection_test', 'constructor', 'prototype'];
      for (const f of massAssignment) {
        attempts.push(rest(t, `C3 unknown field ${f}`, 'POST', `${BASE}/clusters`, { ...c3Base, [f]: 1 }, { expect: { status: [400], message: /unknown field/ } }));
        attempts.push(rest(t, `C4 unknown field ${f}`, 'PUT', `${BASE}/clusters/${seedIds[0]}`, { [f]: 1 }, { expect: { status: [400], message: /unknown field/ } }));
      }
      // __proto__ only survives as JSON text (an object literal would set the prototype instead of a key).
      attempts.push(rest(t, 'C3 __proto__ pollution', 'POST', `${BASE}/clusters`, undefined, { raw: `{"name":"p","kubeconfig":"${UNREACHABLE_B64}","__proto__":{"is_default":true,"role":"admin"}}`, expect: { status: [400] } }));
      attempts.push(rest(t, 'C4 __proto__ pollution', 'PUT', `${BASE}/clusters/${seedIds[0]}`, undefined, { raw: '{"__proto__":{"enabled":true}}', expect: { status: [400] } }));
      attempts.push(rest(t, 'C4 constructor.prototype pollution', 'PUT', `${BASE}/clusters/${seedIds[0]}`, undefined, { raw: '{"constructor":{"prototype":{"enabled":true}}}', expect: { status: [400] } }));

      // The same through GraphQL variables: the schema's own coercion answers.
      const createBase = { name: uniqueName('wt'), kubeconfig: UNREACHABLE_YAML, skipConnectionTest: true };
      const gqlWrong: Record<string, unknown[]> = {
        name: [123, true, [], {}],
        kubeconfig: [123, false, ['a'], { a: 1 }],
        isDefault: ['yes', 1, [], {}],
        enabled: ['no', 0, [true], {}],
        skipConnectionTest: ['true', 1, [], {}],
      };
      for (const [field, values] of Object.entries(gqlWrong)) {
        for (const v of values) {
          attempts.push(gql(t, `createCluster ${field}=${JSON.stringify(v)}`, CREATE, { input: { ...createBase, [field]: v } }, { expect: { code: ['BAD_USER_INPUT'] } }));
          if (field !== 'skipConnectionTest') attempts.push(gql(t, `updateCluster ${field}=${JSON.stringify(v)}`, UPDATE, { id: seedIds[0], input: { [field]: v } }, { expect: { code: ['BAD_USER_INPUT'] } }));
        }
      }
      for (const v of [1, true, ['http://x'], { url: 'http://x' }]) {
        attempts.push(gql(t, `updateCluster prometheusUrl=${JSON.stringify(v)}`, UPDATE, { id: seedIds[0], input: { prometheusUrl: v } }, { expect: { code: ['BAD_USER_INPUT'] } }));
      }
      for (const extra of ['id', 'prometheusUrl', 'deletedAt', 'kubeconfigCiphertext', '__proto__']) {
        attempts.push(gql(t, `createCluster extra input field ${extra}`, CREATE, { input: { ...createBase, [extra]: 'x' } }, { expect: { code: ['BAD_USER_INPUT'] } }));
      }
      attempts.push(gql(t, 'createCluster input null', CREATE, { input: null }, { expect: { code: ['BAD_USER_INPUT'] } }));
      attempts.push(gql(t, 'createCluster no variables', CREATE, undefined, { expect: { code: ['BAD_USER_INPUT'] } }));
      attempts.push(gql(t, 'createCluster input a string', CREATE, { input: JSON.stringify(createBase) }, { expect: { code: ['BAD_USER_INPUT'] } }));
      attempts.push(
        gql(t, 'createCluster 5000-deep name object', CREATE, undefined, {
          raw: `{"query":${JSON.stringify(CREATE)},"variables":{"input":{"name":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)},"kubeconfig":"x"}}}`,
          expect: { code: ['BAD_USER_INPUT'] },
        }),
      );
      expect(await runAll(t, attempts, tally)).toEqual([]);
    });

    it('prometheus_url with a NUL byte is refused as bad input (REST C4 and GraphQL updateCluster), not a 500', async ({ expect }) => {
      const attempts: Attempt[] = [];
      for (const url of ['http://prom.example/\u0000', 'http://prom.example/?q=\u0000', 'https://prom.example:9090/a\u0000b']) {
        attempts.push(rest(t, `C4 prometheus_url ${JSON.stringify(url)}`, 'PUT', `${BASE}/clusters/${seedIds[0]}`, { prometheus_url: url }, { expect: { status: [400], field: /^prometheus_url$/ } }));
        attempts.push(rest(t, `C4 absent id prometheus_url ${JSON.stringify(url)}`, 'PUT', `${BASE}/clusters/999999`, { prometheus_url: url }, { expect: { status: [400, 404] } }));
        attempts.push(gql(t, `updateCluster prometheusUrl ${JSON.stringify(url)}`, UPDATE, { id: seedIds[0], input: { prometheusUrl: url } }, { expect: { code: ['BAD_USER_INPUT'], field: /^prometheusUrl$/ } }));
      }
      for (const url of ['javascript:alert(1)', 'file:///etc/passwd', 'gopher://x', 'http://user:pw@prom.example', 'http://' + 'a'.repeat(3000), 'not a url', '//prom.example']) {
        attempts.push(rest(t, `C4 prometheus_url ${short(url, 40)}`, 'PUT', `${BASE}/clusters/${seedIds[0]}`, { prometheus_url: url }, { expect: { status: [400], field: /^prometheus_url$/ } }));
        attempts.push(gql(t, `updateCluster prometheusUrl ${short(url, 40)}`, UPDATE, { id: seedIds[0], input: { prometheusUrl: url } }, { expect: { code: ['BAD_USER_INPUT'] } }));
      }
      expect(await runAll(t, attempts, tally)).toEqual([]);
    });

    it('kubeconfigs with exec, auth-provider, tokenFile, file paths, YAML bombs, bad base64 and absurd sizes', async ({ expect }) => {
      const attempts: Attempt[] = [];
      for (const k of BAD_KUBECONFIGS) {
        const restExpect: Expectation = { status: [400], field: /^kubeconfig/, message: k.message };
        const gqlExpect: Expectation = { code: ['BAD_USER_INPUT'], field: /^kubeconfig/, message: k.message };
        attempts.push(
          rest(t, `C3 kubeconfig ${k.name}`, 'POST', `${BASE}/clusters`, { name: uniqueName('kc'), kubeconfig: b64(k.yaml) }, { expect: restExpect }),
          rest(t, `C4 kubeconfig ${k.name}`, 'PUT', `${BASE}/clusters/${seedIds[0]}`, { kubeconfig: b64(k.yaml) }, { expect: restExpect }),
          gql(t, `createCluster kubeconfig ${k.name}`, CREATE, { input: { name: uniqueName('kc'), kubeconfig: k.yaml, skipConnectionTest: true } }, { expect: gqlExpect }),
          gql(t, `updateCluster kubeconfig ${k.name}`, UPDATE, { id: seedIds[0], input: { kubeconfig: k.yaml } }, { expect: gqlExpect }),
        );
      }
      for (const v of NOT_BASE64) {
        attempts.push(rest(t, `C3 kubeconfig not base64 ${JSON.stringify(v)}`, 'POST', `${BASE}/clusters`, { name: uniqueName('kc'), kubeconfig: v }, { expect: { status: [400], field: /^kubeconfig$/ } }));
        attempts.push(rest(t, `C4 kubeconfig not base64 ${JSON.stringify(v)}`, 'PUT', `${BASE}/clusters/${seedIds[0]}`, { kubeconfig: v }, { expect: { status: [400], field: /^kubeconfig$/ } }));
        attempts.push(gql(t, `createCluster kubeconfig not base64 ${JSON.stringify(v)}`, CREATE, { input: { name: uniqueName('kc'), kubeconfig: v, skipConnectionTest: true } }, { expect: { code: ['BAD_USER_INPUT'] } }));
      }
      // Base64 that decodes to bytes which are not UTF-8 text.
      for (const bytes of [[0xff, 0xfe, 0x00, 0x41], [0xc3, 0x28], [0x80, 0x80, 0x80]]) {
        const v = Buffer.from(bytes).toString('base64');
        attempts.push(rest(t, `C3 kubeconfig binary ${v}`, 'POST', `${BASE}/clusters`, { name: uniqueName('kc'), kubeconfig: v }, { expect: { status: [400], field: /^kubeconfig/ } }));
        attempts.push(gql(t, `updateCluster kubeconfig binary ${v}`, UPDATE, { id: seedIds[0], input: { kubeconfig: v } }, { expect: { code: ['BAD_USER_INPUT'] } }));
      }
      // 950 KB of kubeconfig in a body just under the 1 MB limit.
      attempts.push(gql(t, 'createCluster 950 KB kubeconfig', CREATE, { input: { name: uniqueName('kc'), kubeconfig: 'k: ' + 'x'.repeat(950_000), skipConnectionTest: true } }, { expect: { code: ['BAD_USER_INPUT'], message: /256 KiB/ } }));
      const doc700k = kc({ token: 't' }) + '# ' + 'x'.repeat(700 * 1024) + '\n';
      attempts.push(rest(t, 'C3 700 KiB document as base64', 'POST', `${BASE}/clusters`, { name: uniqueName('kc'), kubeconfig: b64(doc700k) }, { expect: { status: [400], message: /256 KiB/ } }));
      attempts.push(gql(t, 'updateCluster 700 KiB document', UPDATE, { id: seedIds[0], input: { kubeconfig: doc700k } }, { expect: { code: ['BAD_USER_INPUT'], message: /256 KiB/ } }));
      attempts.push(rest(t, 'C3 700 KB base64 kubeconfig', 'POST', `${BASE}/clusters`, { name: uniqueName('kc'), kubeconfig: 'QUFB'.repeat(175_000) }, { expect: { status: [400], message: /256 KiB/ } }));
      expect(await runAll(t, attempts, tally)).toEqual([]);
      // Nothing a kubeconfig said was run.
      expect(existsSync(PWN_FILE)).toBe(false);
    });

    it('malformed JSON, wrong content types, oversized bodies and methods that are not allowed', async ({ expect }) => {
      const attempts: Attempt[] = [];
      const malformed = ['{', '{"name":', '{"name":"a",}', "{'name':'a'}", 'NaN', 'undefined', '\u0000', 'null', 'true', '123', '"str"', '{"a":1}{"b":2}', '{"name":"\\ud800"', '\uFEFF{"name":1', '{"name":"a"}garbage', '[' .repeat(100_000)];
      for (const [i, raw] of malformed.entries()) {
        attempts.push(rest(t, `C3 malformed #${i} ${short(JSON.stringify(raw), 30)}`, 'POST', `${BASE}/clusters`, undefined, { raw, expect: { status: [400] } }));
        attempts.push(rest(t, `C4 malformed #${i}`, 'PUT', `${BASE}/clusters/${seedIds[0]}`, undefined, { raw, expect: { status: [400] } }));
        attempts.push(gql(t, `graphql malformed #${i}`, '', undefined, { raw, expect: { status: [400] } }));
      }
      attempts.push(rest(t, 'C3 array body', 'POST', `${BASE}/clusters`, [{ name: 'a', kubeconfig: UNREACHABLE_B64 }], { expect: { status: [400], field: /^body$/ } }));
      attempts.push(rest(t, 'C4 array body', 'PUT', `${BASE}/clusters/${seedIds[0]}`, [], { expect: { status: [400], field: /^body$/ } }));
      attempts.push(rest(t, 'C3 1e309 in is_default', 'POST', `${BASE}/clusters`, undefined, { raw: `{"name":"n","kubeconfig":"${UNREACHABLE_B64}","is_default":1e309}`, expect: { status: [400] } }));
      attempts.push(rest(t, 'C4 deep nested body', 'PUT', `${BASE}/clusters/${seedIds[0]}`, undefined, { raw: `{"name":${'['.repeat(50_000)}${']'.repeat(50_000)}}`, expect: { status: [400] } }));

      // Content types: writes must be JSON (C3/C4 answer 415); GraphQL blocks CSRF-able types.
      const validC3 = JSON.stringify({ name: uniqueName('ct'), kubeconfig: UNREACHABLE_B64 });
      const harmlessC4 = JSON.stringify({ name: uniqueName('ct') }); // on an absent id: harmless even if accepted
      const types = ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'application/json-patch+json', 'application/merge-patch+json', 'text/json', 'application/javascript'];
      for (const ct of types) {
        attempts.push({ kind: 'rest', label: `C3 content-type ${ct}`, method: 'POST', path: `${BASE}/clusters`, headers: { ...bearer(t.adminToken), 'content-type': ct }, body: validC3, expect: { status: [415] } });
        attempts.push({ kind: 'rest', label: `C4 content-type ${ct}`, method: 'PUT', path: `${BASE}/clusters/999999`, headers: { ...bearer(t.adminToken), 'content-type': ct }, body: harmlessC4, expect: { status: [415] } });
        attempts.push({ kind: 'gql', label: `graphql content-type ${ct}`, method: 'POST', path: '/graphql', headers: { ...bearer(t.adminToken), 'content-type': ct }, body: JSON.stringify({ query: '{ clusters { total } }' }), expect: { status: [400, 415] } });
      }
      attempts.push({ kind: 'rest', label: 'C3 no content-type', method: 'POST', path: `${BASE}/clusters`, headers: bearer(t.adminToken), body: validC3, expect: { status: [415] } });
      attempts.push({ kind: 'gql', label: 'graphql no content-type', method: 'POST', path: '/graphql', headers: bearer(t.adminToken), body: JSON.stringify({ query: '{ clusters { total } }' }), expect: { status: [400] } });
      for (const [ct, status] of [['application/json; charset=latin1', 415], ['application/json; charset=utf-16', 415]] as const) {
        attempts.push({ kind: 'rest', label: `C3 ${ct}`, method: 'POST', path: `${BASE}/clusters`, headers: { ...bearer(t.adminToken), 'content-type': ct }, body: validC3, expect: { status: [status, 400] } });
      }
      for (const enc of ['gzip', 'deflate', 'br', 'x-evil']) {
        attempts.push({ kind: 'rest', label: `C3 content-encoding ${enc} (not actually encoded)`, method: 'POST', path: `${BASE}/clusters`, headers: { ...bearer(t.adminToken), ...JSON_CT, 'content-encoding': enc }, body: validC3, expect: { status: [400, 415] } });
      }

      // Bodies over the 1 MB limit on every endpoint that takes one, and on GraphQL.
      const huge = JSON.stringify({ name: 'x', kubeconfig: 'A'.repeat(1_100_000) });
      for (const [label, method, path] of [
        ['C3', 'POST', `${BASE}/clusters`],
        ['C4', 'PUT', `${BASE}/clusters/${seedIds[0]}`],
        ['C5', 'DELETE', `${BASE}/clusters/${seedIds[0]}`],
        ['C6', 'POST', `${BASE}/clusters/${seedIds[0]}/test-connection`],
        ['C7', 'POST', `${BASE}/clusters/${seedIds[0]}/prometheus/rediscover`],
      ] as const) {
        attempts.push(rest(t, `${label} body > 1 MB`, method, path, undefined, { raw: huge, expect: { status: [413] } }));
      }
      attempts.push(rest(t, 'C3 4 MB body', 'POST', `${BASE}/clusters`, undefined, { raw: 'x'.repeat(4 * 1024 * 1024), expect: { status: [413] } }));
      attempts.push(gql(t, 'graphql body > 1 MB', '', undefined, { raw: JSON.stringify({ query: '{ clusters { total } }', variables: { pad: 'x'.repeat(1_100_000) } }), expect: { status: [413] } }));
      attempts.push(gql(t, 'graphql query > 1 MB', '', undefined, { raw: JSON.stringify({ query: `{ clusters { total } } # ${'x'.repeat(1_100_000)}` }), expect: { status: [413] } }));

      // Methods and paths that are not part of the contract.
      for (const [method, path] of [
        ['PATCH', `${BASE}/clusters/${seedIds[0]}`],
        ['POST', `${BASE}/clusters/${seedIds[0]}`],
        ['PUT', `${BASE}/clusters`],
        ['DELETE', `${BASE}/clusters`],
        ['PATCH', `${BASE}/clusters`],
        ['GET', `${BASE}/clusters/${seedIds[0]}/test-connection`],
        ['PUT', `${BASE}/clusters/${seedIds[0]}/test-connection`],
        ['GET', `${BASE}/clusters/${seedIds[0]}/prometheus/rediscover`],
        ['DELETE', `${BASE}/clusters/${seedIds[0]}/prometheus/rediscover`],
        ['GET', `${BASE}/clusters/${seedIds[0]}/kubeconfig`],
        ['GET', `${BASE}/clusters/${seedIds[0]}/../../../../etc/passwd`.replace(/\.\.\//g, '%2E%2E%2F')],
        ['GET', `${BASE}/nodes`],
        ['GET', '/api/v1/k8s'],
      ] as const) {
        attempts.push(rest(t, `${method} ${path}`, method, path, undefined, { expect: { status: [404, 405] } }));
      }
      for (const method of ['PUT', 'DELETE', 'PATCH']) {
        attempts.push({ kind: 'gql', label: `${method} /graphql`, method, path: '/graphql', headers: { ...bearer(t.adminToken), ...JSON_CT }, body: JSON.stringify({ query: '{ clusters { total } }' }), expect: { status: [400, 405] } });
      }
      // A mutation over GET (a link or <img> could trigger it) must not run.
      attempts.push({
        kind: 'gql',
        label: 'GET mutation deleteCluster',
        method: 'GET',
        path: `/graphql?query=${encodeURIComponent(`mutation { deleteCluster(id: "${seedIds[0]}") }`)}`,
        headers: { ...bearer(t.adminToken), 'apollo-require-preflight': 'true' },
        expect: { status: [400, 405] },
      });
      attempts.push({ kind: 'gql', label: 'GET query without preflight header (CSRF)', method: 'GET', path: `/graphql?query=${encodeURIComponent('{ clusters { total } }')}`, headers: bearer(t.adminToken), expect: { status: [400] } });
      expect(await runAll(t, attempts, tally)).toEqual([]);
    });

    it('GraphQL documents past the depth (10) and size (500 fields) limits, parse bombs, batches and bad envelopes', async ({ expect }) => {
      const attempts: Attempt[] = [];
      // graphql-js's MaxIntrospectionDepthRule may answer first for introspection chains; either refusal is fine.
      const tooDeep: Expectation = { status: [400], message: /nested too deeply|introspection depth/ };
      const tooWide: Expectation = { status: [400], message: /too many fields/ };
      for (const n of [8, 12, 30, 200]) attempts.push(gql(t, `introspection depth ${n + 3}`, introspectionDepth(n), undefined, { expect: tooDeep }));
      attempts.push(gql(t, 'depth 11 through directives/args/type (the gateway rule alone)', directivesChain(11), undefined, { expect: { status: [400], message: /nested too deeply/ } }));
      attempts.push(gql(t, 'depth 40 through directives/args/type', directivesChain(40), undefined, { expect: { status: [400], message: /nested too deeply/ } }));
      attempts.push(
        gql(t, 'depth through named fragments', `{ __schema { ...A } } fragment A on __Schema { types { ...B } } fragment B on __Type { fields { type { ...C } } } fragment C on __Type { ${nest(fieldsTypeChain(6), 'name')} }`, undefined, { expect: tooDeep }),
      );
      const inline = nest(['__schema', '... on __Schema', 'types', ...fieldsTypeChain(10).flatMap((f) => [f, f === 'type' ? '... on __Type' : '... on __Field'])], 'name');
      attempts.push(gql(t, 'depth through inline fragments', `{ ${inline} }`, undefined, { expect: tooDeep }));
      attempts.push(gql(t, 'depth through __type', `{ ${nest(['__type(name: "Cluster")', ...fieldsTypeChain(10)], 'name')} }`, undefined, { expect: tooDeep }));
      attempts.push(gql(t, 'depth mixing fan-out fields with ofType', `{ ${nest(['__schema', 'types', ...fieldsTypeChain(10).flatMap((f) => (f === 'type' ? [f, 'ofType'] : [f]))], 'name')} }`, undefined, { expect: tooDeep }));
      attempts.push(gql(t, 'deep operation picked by operationName', '', undefined, { raw: JSON.stringify({ query: `query Fine { __typename } query Deep ${introspectionDepth(12)}`, operationName: 'Fine' }), expect: tooDeep }));
      const aliases = (n: number, field = '__typename') => `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(' ')} }`;
      attempts.push(gql(t, '501 aliases', aliases(501), undefined, { expect: tooWide }));
      attempts.push(gql(t, '5000 aliases', aliases(5000), undefined, { expect: tooWide }));
      attempts.push(gql(t, '300 aliased clusters lists', aliases(300, 'clusters { total }'), undefined, { expect: tooWide }));
      attempts.push(gql(t, '600 aliased cluster lookups', aliases(600, `cluster(id: "${seedIds[0]}") { id }`), undefined, { expect: tooWide }));
      const fan = `fragment F on Query { ${Array.from({ length: 25 }, (_, i) => `f${i}: __typename`).join(' ')} }`;
      attempts.push(gql(t, 'one fragment spread 30 times', `{ ${'...F '.repeat(30)}} ${fan}`, undefined, { expect: { status: [400] } }));
      const explosion = Array.from({ length: 30 }, (_, i) => `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`).join('\n') + '\nfragment F30 on Query { __typename }';
      attempts.push(gql(t, 'fragment explosion 2^30', `{ ...F0 }\n${explosion}`, undefined, { expect: tooWide }));
      attempts.push(gql(t, 'fragment cycle', 'fragment F on Query { ...G } fragment G on Query { ...F } { ...F }', undefined, { expect: { status: [400] } }));
      attempts.push(gql(t, '2000 repeated directives', `{ __typename ${'@skip(if: false) '.repeat(2000)}}`, undefined, { expect: { status: [400] } }));
      attempts.push(gql(t, 'undefined variable in directive', '{ __typename @include(if: $nope) }', undefined, { expect: { status: [400] } }));
      // Parse bombs and syntax errors.
      for (const [name, q] of [
        ['20k nested selections', `{ ${'a { '.repeat(20_000)}b${' }'.repeat(20_000)} }`],
        ['5k nested inline fragments', `{ ${'... on Query { '.repeat(5_000)}__typename${' }'.repeat(5_000)} }`],
        ['100k open braces', '{'.repeat(100_000)],
        ['unterminated string', '{ cluster(id: "1) { id } }'],
        ['bad unicode escape', '{ cluster(id: "\\uZZZZ") { id } }'],
        ['NUL in document', '{ clusters\u0000 { total } }'],
        ['empty document', ''],
        ['only a comment', '# nothing'],
        ['300 KB unknown field name', `{ ${'a'.repeat(300_000)} }`],
        ['40k tokens', `{ ${'__typename '.repeat(40_000)}}`],
        ['unknown field', '{ nope }'],
        ['kubeconfig ciphertext field', '{ clusters { items { kubeconfigCiphertext } } }'],
        ['missing required arg', '{ cluster { id } }'],
        ['two anonymous operations', '{ clusters { total } } { clusters { total } }'],
        ['selection on a scalar', '{ clusters { total { x } } }'],
      ] as const) {
        attempts.push(gql(t, `document: ${name}`, q, undefined, { expect: { status: [400] } }));
      }
      attempts.push(gql(t, 'document: 200 KB string argument', `{ cluster(id: "${'9'.repeat(200_000)}") { id } }`, undefined, { expect: { code: ['BAD_USER_INPUT'] } }));
      attempts.push(gql(t, 'multiple operations without operationName', 'query A { clusters { total } } query B { clusters { total } }', undefined, { expect: { status: [400] } }));
      attempts.push(gql(t, 'operationName that does not exist', '', undefined, { raw: JSON.stringify({ query: 'query A { clusters { total } }', operationName: 'Nope' }), expect: { status: [400] } }));
      // Batches and huge variable objects.
      attempts.push(gql(t, 'batched array of 2', '', undefined, { raw: JSON.stringify([{ query: '{ clusters { total } }' }, { query: '{ clusters { total } }' }]), expect: { status: [400] } }));
      attempts.push(gql(t, 'batched array of 1000 mutations', '', undefined, { raw: JSON.stringify(Array.from({ length: 1000 }, () => ({ query: `mutation { deleteCluster(id: "${seedIds[0]}") }` }))), expect: { status: [400] } }));
      attempts.push(gql(t, 'empty batch', '', undefined, { raw: '[]', expect: { status: [400] } }));
      attempts.push(gql(t, '20k unknown variables', 'query Q($id: ID!) { cluster(id: $id) { id } }', { id: 'abc', ...Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`v${i}`, i])) }, { expect: { code: ['BAD_USER_INPUT'] } }));
      attempts.push(gql(t, 'declared but unused variable', 'query Q($x: Int) { __typename }', { x: 1 }, { expect: { status: [400] } }));
      attempts.push(gql(t, '500 declared variables', `query Q(${Array.from({ length: 500 }, (_, i) => `$v${i}: ID`).join(', ')}) { cluster(id: $v0) { id } }`, { v0: 'abc' }, { expect: { status: [400] } }));
      // Envelopes Apollo must refuse.
      for (const [name, raw] of [
        ['query is a number', '{"query":123}'],
        ['query is null', '{"query":null}'],
        ['variables is a string', '{"query":"{ __typename }","variables":"{}"}'],
        ['variables is an array', '{"query":"{ __typename }","variables":[1]}'],
        ['operationName is a number', '{"query":"{ __typename }","operationName":5}'],
        ['extensions is a string', '{"query":"{ __typename }","extensions":"x"}'],
        ['no keys', '{}'],
        ['only unknown keys', '{"mutation":"x"}'],
        ['persisted query that does not exist', '{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"0000"}}}'],
        ['persisted query hash mismatch', '{"query":"{ __typename }","extensions":{"persistedQuery":{"version":1,"sha256Hash":"0000"}}}'],
      ] as const) {
        attempts.push(gql(t, `envelope: ${name}`, '', undefined, { raw, expect: { status: [200, 400] } }));
      }
      // Subscriptions belong on the WebSocket; over HTTP they must be refused cleanly.
      attempts.push(gql(t, 'subscription clusterHealth over HTTP POST', 'subscription { clusterHealth { id } }', undefined, { expect: { status: [400] } }));
      attempts.push(gql(t, 'subscription discoveryStatus over HTTP POST', `subscription { discoveryStatus(clusterId: "${seedIds[1]}") { state } }`, undefined, { expect: { status: [400] } }));
      expect(await runAll(t, attempts, tally)).toEqual([]);
    });

    it('the limits are the cause: depth 10, 500 fields and the standard introspection query are still answered', async ({ expect }) => {
      const deep = await t.gql(directivesChain(10));
      expect(deep.errors).toBeUndefined();
      // The standard introspection query (what GraphiQL and codegen send) is not mistaken for an attack.
      const standard = await t.gql(getIntrospectionQuery());
      expect(standard.errors).toBeUndefined();
      const wide = await t.gql(`{ ${Array.from({ length: 500 }, (_, i) => `a${i}: __typename`).join(' ')} }`);
      expect(wide.errors).toBeUndefined();
      expect(Object.keys(wide.data)).toHaveLength(500);
    });

    it('WebSocket: oversized messages close the socket with 1009; malformed frames and deep/wide/bad subscriptions fail cleanly', async ({ expect }) => {
      const url = t.url.replace(/^http/, 'ws') + '/graphql';
      const init = JSON.stringify({ type: 'connection_init', payload: { Authorization: `Bearer ${t.adminToken}` } });
      type Session = { close: { code: number; reason: string }; messages: any[] };
      /** One raw graphql-transport-ws session: sends `frames` (after the ack when `init`), then waits for close or 1.5 s. */
      const session = async (frames: (string | Buffer)[], opts: { init: boolean }): Promise<Session> => {
        const ws = new WebSocket(url, 'graphql-transport-ws');
        const messages: any[] = [];
        const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: String(reason) })));
        ws.on('error', () => {});
        await new Promise<void>((resolve, reject) => {
          ws.once('open', () => resolve());
          ws.once('error', reject);
        });
        let finished!: () => void;
        const answered = new Promise<void>((resolve) => (finished = resolve));
        const acked = new Promise<void>((resolve) =>
          ws.on('message', (m) => {
            const msg = JSON.parse(String(m));
            messages.push(msg);
            if (msg.type === 'connection_ack') resolve();
            if (msg.id === '1' && (msg.type === 'error' || msg.type === 'complete')) finished();
          }),
        );
        if (opts.init) {
          ws.send(init);
          await acked;
        }
        for (const f of frames) ws.send(f);
        // The server either closes the socket, or answers the operation (then we close); 1.5 s bounds a silent server.
        const timer = setTimeout(() => ws.close(1000, 'test done'), 1_500);
        void answered.then(() => ws.close(1000, 'test done'));
        const close = await closed;
        clearTimeout(timer);
        return { close, messages };
      };
      const subscribe = (query: string, variables?: unknown) => JSON.stringify({ id: '1', type: 'subscribe', payload: { query, variables } });
      const violations: string[] = [];
      const record = (label: string, s: Session, ok: (s: Session) => string | null) => {
        tally.tried++;
        tally.count(`ws:${s.close.code}`);
        const v = ok(s);
        if (v) violations.push(`${label} → ${v} (close ${s.close.code} ${s.close.reason}; messages ${short(JSON.stringify(s.messages), 300)})`);
      };
      const closedWith = (code: number) => (s: Session) => (s.close.code === code ? null : `expected close ${code}`);
      /** A GraphQL error for the subscription, each error with an extensions.code, and the socket left usable (closed by us). */
      const graphqlError = (codes?: string[]) => (s: Session) => {
        if (s.close.code !== 1000) return `socket closed by the server with ${s.close.code}`;
        const m = s.messages.find((x) => x.id === '1' && (x.type === 'error' || x.type === 'next'));
        const errors: any[] | undefined = m?.type === 'error' ? m.payload : m?.payload?.errors;
        if (!errors?.length) return 'no GraphQL error';
        for (const e of errors) {
          const code = e?.extensions?.code;
          tally.count(typeof code === 'string' ? code : '(none)', tally.gqlCodes);
          if (typeof code !== 'string') return `error without extensions.code: ${short(JSON.stringify(e))}`;
          if (code === 'INTERNAL_SERVER_ERROR') return 'INTERNAL_SERVER_ERROR';
        }
        if (codes && !codes.includes(errors[0].extensions.code)) return `expected ${codes.join('/')}, got ${errors[0].extensions.code}`;
        return null;
      };

      const pad = 'x'.repeat(70 * 1024);
      record('70 KiB message after connection_init', await session([subscribe('subscription { clusterHealth { id } }', { pad })], { init: true }), closedWith(1009));
      record('70 KiB message before connection_init', await session([pad], { init: false }), closedWith(1009));
      record('1 MiB binary message after connection_init', await session([Buffer.alloc(1024 * 1024, 1)], { init: true }), closedWith(1009));
      record('64 KiB + 1 byte', await session([' '.repeat(64 * 1024 + 1)], { init: true }), closedWith(1009));
      record('malformed JSON frame', await session(['{nope'], { init: true }), closedWith(4400));
      record('unknown message type', await session([JSON.stringify({ type: 'drop_tables' })], { init: true }), closedWith(4400));
      record('subscribe before connection_init', await session([subscribe('subscription { clusterHealth { id } }')], { init: false }), closedWith(4401));
      record('second connection_init', await session([init], { init: true }), closedWith(4429));
      record('operation nested past depth 10', await session([subscribe(directivesChain(11))], { init: true }), graphqlError());
      record('subscription with 501 fields', await session([subscribe(`subscription { clusterHealth { ${Array.from({ length: 501 }, (_, i) => `a${i}: id`).join(' ')} } }`)], { init: true }), graphqlError());
      record('subscription with a bad clusterId', await session([subscribe('subscription { clusterHealth(clusterId: "abc") { id } }')], { init: true }), graphqlError(['BAD_USER_INPUT']));
      record('subscription for an absent cluster', await session([subscribe('subscription { discoveryStatus(clusterId: "999999") { state } }')], { init: true }), graphqlError(['NOT_FOUND']));
      record('subscription with an unknown field', await session([subscribe('subscription { nope }')], { init: true }), graphqlError());
      record('subscription with a syntax error', await session([subscribe('subscription {')], { init: true }), graphqlError());
      expect(violations).toEqual([]);
    });

    it('property: any name carrying an invisible or control character is refused (fast-check, C3 and createCluster)', async ({ expect }) => {
      const violations: string[] = [];
      await fc.assert(
        fc.asyncProperty(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.constantFrom(...INVISIBLE), fc.nat(), fc.boolean(), async (base, bad, pos, viaRest) => {
          // Inside the name (between fixed letters), so trimming cannot remove it; split on code points.
          const points = [...base];
          const at = pos % (points.length + 1);
          const name = `a${points.slice(0, at).join('')}${bad}${points.slice(at).join('')}z`;
          const a = viaRest
            ? rest(t, `fc C3 name ${JSON.stringify(name)}`, 'POST', `${BASE}/clusters`, { name, kubeconfig: UNREACHABLE_B64 }, { expect: { status: [400], field: /^name$/ } })
            : gql(t, `fc createCluster name ${JSON.stringify(name)}`, CREATE, { input: { name, kubeconfig: UNREACHABLE_YAML, skipConnectionTest: true } }, { expect: { code: ['BAD_USER_INPUT'], field: /^name$/ } });
          const v = await send(t, a, tally);
          if (v) violations.push(`${a.label} → ${v}`);
          return v === null;
        }),
        { numRuns: 50 },
      ).catch((err: Error) => violations.push(err.message.split('\n').slice(0, 4).join(' | ')));
      tally.violations.push(...violations);
      expect(violations).toEqual([]);
    });

    it('property: arbitrary JSON bodies on C3, C4 (absent id) and arbitrary id values in GraphQL never cause a 5xx (fast-check)', async ({ expect }) => {
      const violations: string[] = [];
      const field = fc.constantFrom('name', 'kubeconfig', 'is_default', 'enabled', 'prometheus_url', 'isDefault', '__proto__');
      const check = async (a: Attempt) => {
        const v = await send(t, a, tally);
        if (v) violations.push(`${a.label} → ${v}`);
        return v === null;
      };
      const report = (err: Error) => violations.push(err.message.split('\n').slice(0, 4).join(' | '));
      await fc
        .assert(fc.asyncProperty(fc.jsonValue({ maxDepth: 4 }), async (body) => check(rest(t, `fc C3 body ${short(JSON.stringify(body) ?? 'undefined', 80)}`, 'POST', `${BASE}/clusters`, undefined, { raw: JSON.stringify(body) ?? 'null' }))), { numRuns: 40 })
        .catch(report);
      await fc
        .assert(
          fc.asyncProperty(fc.dictionary(field, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }), async (body) =>
            check(rest(t, `fc C4 body ${short(JSON.stringify(body), 80)}`, 'PUT', `${BASE}/clusters/999999`, undefined, { raw: JSON.stringify(body) })),
          ),
          { numRuns: 40 },
        )
        .catch(report);
      const live = new Set(seedIds.map(Number));
      const idValue = fc
        .oneof(fc.string({ maxLength: 30 }), fc.integer(), fc.double(), fc.stringMatching(/^-?\d{1,40}$/))
        .filter((v) => !live.has(Number(String(v).trim())) || !/^\d+$/.test(String(v).trim()));
      await fc
        .assert(fc.asyncProperty(idValue, fc.constantFrom(...Object.keys(ID_OPS)), async (id, op) => check(gql(t, `fc ${op} id ${short(JSON.stringify(id), 60)}`, ID_OPS[op]!, { id }))), { numRuns: 50 })
        .catch(report);
      tally.violations.push(...violations);
      expect(violations).toEqual([]);
    });

    it('the database is unchanged: every column of clusters and discovery_tasks', async ({ expect }) => {
      const after = await snapshotTables(t.gw);
      expect(after).toEqual(before);
    });

    it('a compromised cluster API server answering garbage never causes a 5xx (C3, C6, testClusterConnection, health sweep)', async ({ expect }) => {
      // Runs after the snapshot comparison: registering these clusters is meant to change the database.
      // The background sweep is stopped so that the explicit sweep below is the one that claims (and records) them.
      const monitor = t.gw.health as unknown as { timer?: NodeJS.Timeout; sweeping?: Promise<void> };
      if (!('timer' in monitor)) throw new Error('HealthMonitor has no `timer` field any more: update this suite');
      clearTimeout(monitor.timer);
      await monitor.sweeping?.catch(() => {});
      const violations: string[] = [];
      const answers: { label: string; knobs: Partial<ClusterKnobs> }[] = [
        { label: 'NUL in /version gitVersion', knobs: { gitVersion: 'v1.31.4\u0000evil' } },
        { label: '200-character gitVersion (column is varchar(64))', knobs: { gitVersion: `v${'9'.repeat(200)}` } },
        { label: 'bidi override in gitVersion', knobs: { gitVersion: 'v1.31.4\u202E' } },
        { label: 'log-forging newline in gitVersion', knobs: { gitVersion: 'v1.31.4\n{"level":60,"msg":"forged"}' } },
        { label: 'non-JSON 200 bodies', knobs: { mode: 'garbage' } },
        { label: 'connection reset mid-body', knobs: { mode: 'reset' } },
        { label: '599 on every request', knobs: { mode: 'error5xx', errorCode: 599 } },
        { label: 'never answers', knobs: { mode: 'hang' } },
      ];
      const sims: ReachableCluster[] = [];
      try {
        for (const { label, knobs } of answers) {
          const sim = await reachableCluster(knobs);
          sims.push(sim);
          const c3 = rest(t, `C3 against a server with ${label}`, 'POST', `${BASE}/clusters`, { name: uniqueName('evil-api'), kubeconfig: sim.kubeconfigBase64 }, { expect: { status: [201, 400] } });
          const v3 = await sendAccepting(t, c3, tally);
          if (v3) violations.push(`${c3.label} → ${v3}`);
          // Registered without contact, then probed on demand and by the monitor.
          const created = await t.gql(CREATE, { input: { name: uniqueName('evil-api'), kubeconfig: sim.kubeconfigYaml, skipConnectionTest: true } });
          const id = created.data?.createCluster?.id as string | undefined;
          if (!id) {
            violations.push(`createCluster (skipConnectionTest) for ${label} failed: ${JSON.stringify(created.errors)}`);
            continue;
          }
          const c6 = rest(t, `C6 against a server with ${label}`, 'POST', `${BASE}/clusters/${id}/test-connection`, undefined, { expect: { status: [200, 503] } });
          const v6 = await sendAccepting(t, c6, tally);
          if (v6) violations.push(`${c6.label} → ${v6}`);
          const g6 = gql(t, `testClusterConnection against a server with ${label}`, 'mutation($id: ID!) { testClusterConnection(id: $id) { connected kubernetesVersion } }', { id });
          const vg = await sendAccepting(t, g6, tally);
          if (vg) violations.push(`${g6.label} → ${vg}`);
        }
        const swept = await t.gw.health.sweep().then(
          () => null,
          (err: Error) => `health sweep failed: ${short(err.message.replace(/\s+/g, ' '), 300)}`,
        );
        if (swept) violations.push(swept);
      } finally {
        await Promise.all(sims.map((s) => s.close()));
      }
      tally.violations.push(...violations);
      expect(violations).toEqual([]);
    });

    it(`at least 200 hostile requests were sent and none was answered with a 5xx`, ({ expect }) => {
      console.log(tally.summary(driver));
      expect(tally.tried).toBeGreaterThanOrEqual(200);
      expect(tally.fiveXx()).toBe(0);
    });

    it('every hostile REST answer is one the OpenAPI document describes', ({ expect }) => {
      expect([...new Set(tally.undocumented)]).toEqual([]);
    });
  });
});
