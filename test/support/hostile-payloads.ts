import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { b64, kubeconfigYaml, yamlBomb } from './kubeconfigs.js';

/**
 * The hostile-input suites' payloads: malformed ids, names, SQL-looking strings, kubeconfigs that try to run programs
 * or read files, and GraphQL documents built to exhaust the parser. Each table says what must be refused; the suites
 * (test/hostile-input.*.test.ts) send them through REST and GraphQL.
 */

/** A kubeconfig that runs a program would create this file: its existence means a kubeconfig was executed. */
export const PWN_FILE = join(tmpdir(), `kgw-pwned-${process.pid}-${Date.now()}`);

/** A kubeconfig that parses but whose server refuses connections at once (port 1): C3's connection test fails fast. */
export const UNREACHABLE_YAML = kubeconfigYaml({ server: 'https://127.0.0.1:1' });
export const UNREACHABLE_B64 = b64(UNREACHABLE_YAML);

export const CREATE = 'mutation Create($input: CreateClusterInput!) { createCluster(input: $input) { id name } }';
export const UPDATE = 'mutation Update($id: ID!, $input: UpdateClusterInput!) { updateCluster(id: $id, input: $input) { id name } }';
export const ID_OPS: Record<string, string> = {
  cluster: 'query Q($id: ID!) { cluster(id: $id) { id name } }',
  updateCluster: 'mutation M($id: ID!) { updateCluster(id: $id, input: { enabled: true }) { id } }',
  deleteCluster: 'mutation M($id: ID!) { deleteCluster(id: $id) }',
  testClusterConnection: 'mutation M($id: ID!) { testClusterConnection(id: $id) { connected } }',
  rediscoverPrometheus: 'mutation M($id: ID!) { rediscoverPrometheus(id: $id) { state } }',
};

/** Ids that are malformed, out of range or absent: REST path segment and GraphQL variable value. */
export const BAD_IDS: { name: string; seg: string; gql: unknown }[] = [
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
export const BAD_GQL_ID_VALUES: { name: string; gql: unknown }[] = [
  { name: 'zero number', gql: 0 },
  { name: 'true', gql: true },
  { name: 'null', gql: null },
  { name: 'list', gql: ['1'] },
  { name: 'object', gql: { id: 1 } },
  { name: '2^63 number', gql: 2 ** 63 },
];

/** Names that must be refused: control, invisible, bidi, private-use, surrogate characters, or too long. */
export const BAD_NAMES: { name: string; value: string }[] = [
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

export const SQLI = [
  "'; DROP TABLE clusters; --",
  '" OR "1"="1',
  '1); DELETE FROM clusters; --',
  "x' UNION SELECT kubeconfig_ciphertext FROM clusters --",
  '$$; TRUNCATE discovery_tasks CASCADE; $$',
  "\\'; UPDATE clusters SET is_default = true; --",
  "%' OR name LIKE '%",
];

export const kubeconfigWith = (user: Record<string, unknown>, cluster: Record<string, unknown> = {}, server = 'https://127.0.0.1:1') =>
  kubeconfigYaml({ server, user, cluster });

/** Kubeconfigs that must be refused with a 400 naming the problem. `yaml` is the text; REST sends base64 of it. */
export const BAD_KUBECONFIGS: { name: string; yaml: string; message: RegExp; restOnly?: boolean; restMessage?: RegExp }[] = [
  {
    name: 'exec plugin',
    yaml: kubeconfigWith({ exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'sh', args: ['-c', `touch ${PWN_FILE}`] } }),
    message: /exec/,
  },
  {
    name: 'auth-provider',
    yaml: kubeconfigWith({ 'auth-provider': { name: 'oidc', config: { 'cmd-path': '/bin/sh', 'cmd-args': `-c "touch ${PWN_FILE}"` } } }),
    message: /auth-provider/,
  },
  { name: 'tokenFile', yaml: kubeconfigWith({ tokenFile: '/etc/passwd' }), message: /tokenFile/ },
  {
    name: 'client-certificate path',
    yaml: kubeconfigWith({ 'client-certificate': '/etc/ssl/certs/ca-certificates.crt', 'client-key': '/etc/shadow' }),
    message: /client-certificate|client-key/,
  },
  { name: 'client-key path', yaml: kubeconfigWith({ token: 't', 'client-key': '/etc/shadow' }), message: /client-key/ },
  {
    name: 'certificate-authority path',
    yaml: kubeconfigWith({ token: 't' }, { 'certificate-authority': '/etc/passwd' }),
    message: /certificate-authority/,
  },
  { name: 'proxy-url', yaml: kubeconfigWith({ token: 't' }, { 'proxy-url': 'http://attacker.example:3128' }), message: /proxy-url/ },
  {
    name: 'exec in an unused second user',
    yaml: kubeconfigWith({ token: 't' }).replace(
      'contexts:',
      `- name: sleeper\n  user:\n    exec: {"command": "sh", "args": ["-c", "touch ${PWN_FILE}"]}\ncontexts:`,
    ),
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
  { name: 'file:// server', yaml: kubeconfigWith({ token: 't' }, {}, 'file:///etc/passwd'), message: /server/ },
  { name: 'unix socket server', yaml: kubeconfigWith({ token: 't' }, {}, 'unix:///var/run/docker.sock'), message: /server/ },
  { name: 'credentials in server URL', yaml: kubeconfigWith({ token: 't' }, {}, 'https://admin:secret@10.0.0.1'), message: /server/ },
  { name: 'server not a URL', yaml: kubeconfigWith({ token: 't' }, {}, 'not a url'), message: /server/ },
  { name: 'kind Secret', yaml: kubeconfigWith({ token: 't' }).replace('kind: Config', 'kind: Secret'), message: /kind/ },
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
  {
    name: 'users is a mapping',
    yaml: kubeconfigWith({ token: 't' }).replace(/users:\n- name: fixture-user\n {2}user:\n.*\n/, 'users: {a: 1}\n'),
    message: /users/,
  },
  {
    name: 'current-context names nothing',
    yaml: kubeconfigWith({ token: 't' }).replace('current-context: fixture-ctx', 'current-context: ghost'),
    message: /current-context/,
  },
  { name: 'token is a number', yaml: kubeconfigWith({ token: 12345 }), message: /token/ },
  { name: 'cert data without key', yaml: kubeconfigWith({ 'client-certificate-data': b64('garbage') }), message: /client-certificate-data/ },
  {
    name: 'garbage cert and key',
    yaml: kubeconfigWith({ 'client-certificate-data': b64('garbage'), 'client-key-data': b64('garbage') }),
    message: /client-certificate-data/,
  },
  {
    name: 'CA data not base64',
    yaml: kubeconfigWith({ token: 't' }, { 'certificate-authority-data': '!!! not base64 !!!' }),
    message: /certificate-authority-data/,
  },
  { name: '300 KiB document', yaml: kubeconfigWith({ token: 't' }) + '# ' + 'x'.repeat(300 * 1024) + '\n', message: /256 KiB/ },
];

/** Values that are not base64 at all: REST refuses them before decoding. */
export const NOT_BASE64 = ['not base64!!!', 'YWJj=', '====', 'YQ', '😀😀😀😀', 'YW Jj\u0000', '-_-_'];

/** Characters no name may carry: control, invisible, bidi, private-use and lone surrogates (fast-check inserts them). */
export const INVISIBLE = [
  '\u0000',
  '\u0007',
  '\u001b',
  '\u007f',
  '\u0085',
  '\u200B',
  '\u200C',
  '\u200D',
  '\u2060',
  '\uFEFF',
  '\u202A',
  '\u202E',
  '\u2066',
  '\u2069',
  '\u00AD',
  '\u2028',
  '\uE000',
  '\uD800',
  '\uDFFF',
];

/** `a { b { c { leaf } } }` from a path of selections. */
export const nest = (path: string[], leaf: string) => path.reduceRight((inner, f) => `${f} { ${inner} }`, leaf);
/** `fields { type { fields { type … } } }`, n levels: the fan-out chain of introspection (`ofType` is not counted). */
export const fieldsTypeChain = (n: number) => Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 'fields' : 'type'));
/** `{ __schema { types { fields { type { fields … { name } } } } } }`: the leaf sits at depth n + 3. */
export const introspectionDepth = (n: number) => `{ ${nest(['__schema', 'types', ...fieldsTypeChain(n)], 'name')} }`;
/**
 * `__schema directives args type fields args type fields args …`: deep, yet with only two nested `fields`, so graphql-js's
 * own MaxIntrospectionDepthRule lets it through and only the gateway's depth rule stands in the way.
 */
export const directivesChain = (depth: number) => {
  const path = ['__schema', 'directives'];
  const cycle = ['args', 'type', 'fields'];
  while (path.length < depth - 1) path.push(cycle[(path.length - 2) % 3]!);
  return `{ ${nest(path, 'name')} }`;
};
