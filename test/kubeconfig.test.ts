import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../src/errors.js';
import { credentialExpiry, decodeKubeconfigInput, MAX_KUBECONFIG_BYTES, parseKubeconfig } from '../src/kube/kubeconfig.js';
import { b64, kubeconfigYaml } from './support/kubeconfigs.js';

/** Runs `fn`, expects a `ValidationError`, and returns it for further checks. */
function validationError(fn: () => unknown): ValidationError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught, 'expected a ValidationError').toBeInstanceOf(ValidationError);
  return caught as ValidationError;
}

const b64url = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
/** A JWT-shaped token (unsigned: only the payload matters for expiry). */
const jwtShaped = (payload: Record<string, unknown>) => `${b64url({ alg: 'RS256', typ: 'JWT' })}.${b64url(payload)}.c2lnbmF0dXJl`;

/** A self-signed ECDSA P-256 client certificate (PEM) and its PKCS#8 key (PEM), both base64 as kubeconfig wants. */
async function clientCertificate(notAfter: Date): Promise<{ certData: string; keyData: string }> {
  const crypto = webcrypto as unknown as Crypto;
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = (await crypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    { serialNumber: '01', name: 'CN=alice, O=system:masters', notBefore: new Date(Date.now() - 3_600_000), notAfter, signingAlgorithm: alg, keys },
    crypto,
  );
  const pkcs8 = Buffer.from(await crypto.subtle.exportKey('pkcs8', keys.privateKey));
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END PRIVATE KEY-----\n`;
  return { certData: b64(cert.toString('pem')), keyData: b64(keyPem) };
}

const multiContext = (current: string | null) =>
  [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: prod',
    '  cluster:',
    '    server: https://prod.example.com:6443/',
    '- name: stage',
    '  cluster:',
    '    server: https://stage.example.com',
    'users:',
    '- name: prod-admin',
    '  user:',
    '    token: prod-token',
    '- name: stage-admin',
    '  user:',
    '    token: stage-token',
    'contexts:',
    '- name: prod-ctx',
    '  context:',
    '    cluster: prod',
    '    user: prod-admin',
    '- name: stage-ctx',
    '  context:',
    '    cluster: stage',
    '    user: stage-admin',
    '    namespace: apps',
    current === null ? '' : `current-context: ${current}`,
    '',
  ].join('\n');

describe('parseKubeconfig: accepted shapes', () => {
  it('accepts an inline bearer token and resolves the single context', () => {
    const spec = parseKubeconfig(kubeconfigYaml({ user: { token: 'sha256~abc' } }));
    expect(spec).toMatchObject({
      contextName: 'fixture-ctx',
      clusterName: 'fixture',
      userName: 'fixture-user',
      server: 'https://127.0.0.1:6443',
      token: 'sha256~abc',
      insecureSkipTlsVerify: false,
    });
    expect(spec.clientCertificateData).toBeUndefined();
  });

  it('accepts inline client-certificate-data / client-key-data and certificate-authority-data', async () => {
    const { certData, keyData } = await clientCertificate(new Date(Date.now() + 86_400_000));
    const yaml = kubeconfigYaml({
      user: { 'client-certificate-data': certData, 'client-key-data': keyData },
      cluster: { 'certificate-authority-data': certData },
    });
    const spec = parseKubeconfig(yaml);
    expect(spec.clientCertificateData).toBe(certData);
    expect(spec.clientKeyData).toBe(keyData);
    expect(spec.caData).toBe(certData);
    expect(spec.token).toBeUndefined();
  });

  it('accepts username/password and http:// servers', () => {
    const spec = parseKubeconfig(kubeconfigYaml({ server: 'http://10.0.0.1:8080', user: { username: 'u', password: 'p' } }));
    expect(spec).toMatchObject({ server: 'http://10.0.0.1:8080', username: 'u', password: 'p' });
  });

  it('with several contexts, uses current-context (cluster, user and namespace of that context)', () => {
    const prod = parseKubeconfig(multiContext('prod-ctx'));
    expect(prod).toMatchObject({
      contextName: 'prod-ctx',
      clusterName: 'prod',
      userName: 'prod-admin',
      server: 'https://prod.example.com:6443',
      token: 'prod-token',
    });
    const stage = parseKubeconfig(multiContext('stage-ctx'));
    expect(stage).toMatchObject({
      contextName: 'stage-ctx',
      clusterName: 'stage',
      server: 'https://stage.example.com',
      token: 'stage-token',
      namespace: 'apps',
    });
  });

  it('with exactly one context and no current-context, uses that context', () => {
    const yaml = kubeconfigYaml().replace('current-context: fixture-ctx', '');
    expect(parseKubeconfig(yaml).contextName).toBe('fixture-ctx');
  });
});

describe('parseKubeconfig: credentials that would run a program or read a file are refused', () => {
  const userCases: [string, unknown][] = [
    ['exec', { apiVersion: 'client.authentication.k8s.io/v1', command: '/bin/sh', args: ['-c', 'id'] }],
    ['auth-provider', { name: 'gcp', config: { 'cmd-path': '/usr/bin/gcloud' } }],
    ['tokenFile', '/var/run/secrets/kubernetes.io/serviceaccount/token'],
    ['client-certificate', '/etc/kubernetes/pki/admin.crt'],
    ['client-key', '/etc/kubernetes/pki/admin.key'],
  ];
  it.each(userCases)('users[].user.%s → ValidationError naming the field and the context', (field, value) => {
    const err = validationError(() => parseKubeconfig(kubeconfigYaml({ user: { token: 't', [field]: value } })));
    expect(err.code).toBe('BAD_USER_INPUT');
    expect(err.field).toBe(`kubeconfig.users[0] "fixture-user".${field}`);
    expect(err.field.startsWith('kubeconfig.users')).toBe(true);
    expect(err.message).toContain('"fixture-ctx"');
    expect(err.message).toContain(field);
  });

  const clusterCases: [string, unknown][] = [
    ['certificate-authority', '/etc/kubernetes/pki/ca.crt'],
    ['proxy-url', 'http://evil.example.com:3128'],
  ];
  it.each(clusterCases)('clusters[].cluster.%s → ValidationError naming the field and the context', (field, value) => {
    const err = validationError(() => parseKubeconfig(kubeconfigYaml({ cluster: { [field]: value } })));
    expect(err.field).toBe(`kubeconfig.clusters[0] "fixture".${field}`);
    expect(err.message).toContain('"fixture-ctx"');
  });

  it('refuses a forbidden field even in a user the current context does not use', () => {
    const yaml = multiContext('prod-ctx').replace('    token: stage-token', '    exec: {command: /bin/true}');
    const err = validationError(() => parseKubeconfig(yaml));
    expect(err.field).toBe('kubeconfig.users[1] "stage-admin".exec');
    expect(err.message).toContain('"stage-ctx"');
  });
});

describe('parseKubeconfig: resource limits', () => {
  it('rejects a "billion laughs" alias bomb quickly', () => {
    const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    const names = 'bcdefghij'.split('');
    let prev = 'a';
    for (const n of names) {
      lines.push(`${n}: &${n} [${Array(9).fill(`*${prev}`).join(',')}]`);
      prev = n;
    }
    lines.push('apiVersion: v1', 'kind: Config', `clusters: *${prev}`, 'users: []', 'contexts: []');
    const bomb = lines.join('\n');
    const started = performance.now();
    const err = validationError(() => parseKubeconfig(bomb));
    const elapsed = performance.now() - started;
    expect(err.field).toBe('kubeconfig');
    expect(err.message).toMatch(/alias/i);
    expect(elapsed).toBeLessThan(1000);
  });

  it(`rejects documents over ${MAX_KUBECONFIG_BYTES / 1024} KiB`, () => {
    const big = kubeconfigYaml({ user: { token: 'x'.repeat(MAX_KUBECONFIG_BYTES + 1) } });
    const err = validationError(() => parseKubeconfig(big));
    expect(err.field).toBe('kubeconfig');
    expect(err.message).toMatch(/256 KiB/);
    // The size is counted in bytes: 100k three-byte characters are ~300 KB even though they are 100k chars.
    const wide = kubeconfigYaml({ user: { token: '€'.repeat(100_000) } });
    expect(wide.length).toBeLessThan(MAX_KUBECONFIG_BYTES);
    expect(validationError(() => parseKubeconfig(wide)).field).toBe('kubeconfig');
  });

  it('rejects oversize input before decoding it', () => {
    const err = validationError(() => decodeKubeconfigInput('A'.repeat(MAX_KUBECONFIG_BYTES * 2)));
    expect(err.field).toBe('kubeconfig');
  });
});

describe('parseKubeconfig: structural errors name the field', () => {
  it('requires current-context when there are several contexts', () => {
    const err = validationError(() => parseKubeconfig(multiContext(null)));
    expect(err.field).toBe('kubeconfig.current-context');
  });

  it('refuses a current-context that is not in contexts', () => {
    const err = validationError(() => parseKubeconfig(multiContext('nope')));
    expect(err.field).toBe('kubeconfig.current-context');
    expect(err.message).toContain('"nope"');
  });

  it('refuses a context pointing at a missing cluster', () => {
    const err = validationError(() => parseKubeconfig(multiContext('prod-ctx').replace('    cluster: prod\n', '    cluster: ghost\n')));
    expect(err.field).toBe('kubeconfig.contexts "prod-ctx".context.cluster');
    expect(err.message).toContain('"ghost"');
  });

  it('refuses a context pointing at a missing user', () => {
    const err = validationError(() => parseKubeconfig(multiContext('stage-ctx').replace('    user: stage-admin\n', '    user: ghost\n')));
    expect(err.field).toBe('kubeconfig.contexts "stage-ctx".context.user');
    expect(err.message).toContain('"ghost"');
  });

  it.each(['ftp://example.com', 'file:///etc/passwd', 'not a url', 'https://user:pw@example.com'])('refuses server %s', (server) => {
    const err = validationError(() => parseKubeconfig(kubeconfigYaml({ server })));
    expect(err.field).toBe('kubeconfig.clusters "fixture".cluster.server');
  });

  it('refuses a missing server, missing lists and non-mapping documents', () => {
    expect(validationError(() => parseKubeconfig(kubeconfigYaml({ server: '' }))).field).toBe('kubeconfig.clusters "fixture".cluster.server');
    expect(validationError(() => parseKubeconfig('apiVersion: v1\nkind: Config\nusers: []\ncontexts: []\n')).field).toBe('kubeconfig.clusters');
    expect(validationError(() => parseKubeconfig('- a\n- b\n')).field).toBe('kubeconfig');
    expect(validationError(() => parseKubeconfig('   \n')).field).toBe('kubeconfig');
    expect(validationError(() => parseKubeconfig('a: [1, 2')).field).toBe('kubeconfig');
    expect(validationError(() => parseKubeconfig(kubeconfigYaml().replace('kind: Config', 'kind: Pod'))).field).toBe('kubeconfig.kind');
  });

  it('refuses a client certificate without its key, and certificate data that is not a certificate', () => {
    const half = validationError(() => parseKubeconfig(kubeconfigYaml({ user: { 'client-certificate-data': b64('x') } })));
    expect(half.field).toBe('kubeconfig.users "fixture-user".user');
    const notCert = validationError(() =>
      parseKubeconfig(kubeconfigYaml({ user: { 'client-certificate-data': b64('not a cert'), 'client-key-data': b64('not a key') } })),
    );
    expect(notCert.field).toBe('kubeconfig.users "fixture-user".user.client-certificate-data');
  });
});

describe('decodeKubeconfigInput: YAML or base64', () => {
  const yaml = kubeconfigYaml();

  it('passes YAML through unchanged', () => {
    expect(decodeKubeconfigInput(yaml)).toBe(yaml);
  });

  it('decodes base64, also when wrapped over lines', () => {
    expect(decodeKubeconfigInput(b64(yaml))).toBe(yaml);
    const wrapped = b64(yaml).replace(/(.{76})/g, '$1\n');
    expect(wrapped).toContain('\n');
    expect(decodeKubeconfigInput(wrapped)).toBe(yaml);
  });

  it('accepts kubeconfigs as kubectl writes them: JSON, CRLF line endings, a UTF-8 byte-order mark', () => {
    const json = JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'c', cluster: { server: 'https://1.2.3.4' } }],
      users: [{ name: 'u', user: { token: 't' } }],
      contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
      'current-context': 'x',
    });
    expect(parseKubeconfig(decodeKubeconfigInput(json)).contextName).toBe('x');
    expect(parseKubeconfig(decodeKubeconfigInput(b64(json))).contextName).toBe('x');
    expect(parseKubeconfig(decodeKubeconfigInput(b64(yaml.replace(/\n/g, '\r\n')))).token).toBe('sha256~fixture-token');
    expect(parseKubeconfig(decodeKubeconfigInput(b64('\uFEFF' + yaml))).contextName).toBe('fixture-ctx');
  });

  it('with requireBase64, refuses raw YAML but accepts base64', () => {
    const err = validationError(() => decodeKubeconfigInput(yaml, { requireBase64: true }));
    expect(err.field).toBe('kubeconfig');
    expect(decodeKubeconfigInput(b64(yaml), { requireBase64: true })).toBe(yaml);
  });

  it('refuses base64 that does not decode to UTF-8 text', () => {
    const binary = Buffer.from([0xff, 0xfe, 0xfd, 0x00, 0x80, 0x81]).toString('base64');
    expect(validationError(() => decodeKubeconfigInput(binary)).field).toBe('kubeconfig');
  });
});

describe('credentialExpiry', () => {
  it("reads a JWT token's exp", () => {
    const exp = Math.floor(Date.now() / 1000) + 3600;
    const spec = parseKubeconfig(kubeconfigYaml({ user: { token: jwtShaped({ sub: 'system:serviceaccount:x:y', exp }) } }));
    expect(credentialExpiry(spec)?.getTime()).toBe(exp * 1000);
  });

  it('is null for opaque tokens and JWTs without exp', () => {
    expect(credentialExpiry(parseKubeconfig(kubeconfigYaml({ user: { token: 'sha256~opaque' } })))).toBeNull();
    expect(credentialExpiry(parseKubeconfig(kubeconfigYaml({ user: { token: jwtShaped({ sub: 'x' }) } })))).toBeNull();
    expect(credentialExpiry(parseKubeconfig(kubeconfigYaml({ user: { token: 'a.%%%.c' } })))).toBeNull();
  });

  describe('client certificates', () => {
    let notAfter: Date;
    let cert: { certData: string; keyData: string };
    beforeAll(async () => {
      notAfter = new Date(Math.floor(Date.now() / 1000) * 1000 + 30 * 86_400_000);
      cert = await clientCertificate(notAfter);
    });

    it("reads a client certificate's notAfter", () => {
      const spec = parseKubeconfig(kubeconfigYaml({ user: { 'client-certificate-data': cert.certData, 'client-key-data': cert.keyData } }));
      expect(credentialExpiry(spec)?.toISOString()).toBe(notAfter.toISOString());
    });

    it('takes the earlier of certificate notAfter and token exp', () => {
      const exp = Math.floor(Date.now() / 1000) + 60;
      const spec = parseKubeconfig(
        kubeconfigYaml({ user: { 'client-certificate-data': cert.certData, 'client-key-data': cert.keyData, token: jwtShaped({ exp }) } }),
      );
      expect(credentialExpiry(spec)?.getTime()).toBe(exp * 1000);
    });
  });
});
