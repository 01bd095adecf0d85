import { X509Certificate } from 'node:crypto';
import { isBase64 } from '../util/base64.js';
import { parseDocument } from 'yaml';
import { ValidationError } from '../errors.js';

/**
 * The only shape in which a kubeconfig leaves this module: one resolved context with inline credentials.
 * Clients are built from this (never from the raw YAML), so nothing a request sent can make the server run a
 * program or read a file, even if a field slipped past the checks below.
 */
export interface KubeconfigSpec {
  contextName: string;
  clusterName: string;
  userName: string;
  server: string;
  namespace?: string;
  caData?: string;
  insecureSkipTlsVerify: boolean;
  tlsServerName?: string;
  token?: string;
  clientCertificateData?: string;
  clientKeyData?: string;
  username?: string;
  password?: string;
}

export const MAX_KUBECONFIG_BYTES = 256 * 1024;
const FIELD = 'kubeconfig';

/** Fields that would make a client run a program or read a server file: refused wherever they appear. */
const FORBIDDEN_USER_FIELDS: Record<string, string> = {
  exec: 'runs a program on the server',
  'auth-provider': 'runs a plug-in on the server',
  tokenFile: 'reads a file on the server',
  'client-certificate': 'reads a file on the server; use client-certificate-data',
  'client-key': 'reads a file on the server; use client-key-data',
};
const FORBIDDEN_CLUSTER_FIELDS: Record<string, string> = {
  'certificate-authority': 'reads a file on the server; use certificate-authority-data',
  'proxy-url': 'would route cluster traffic through an arbitrary proxy',
};

/**
 * Accepts a kubeconfig as YAML text or as base64 of it. REST requires base64 (`requireBase64`), GraphQL takes
 * either: YAML never looks like base64 (it has ':' and whitespace), so the two cannot be confused.
 */
export function decodeKubeconfigInput(value: string, opts: { requireBase64?: boolean } = {}): string {
  if (value.length > MAX_KUBECONFIG_BYTES * 1.4) throw new ValidationError(FIELD, `must be at most ${MAX_KUBECONFIG_BYTES / 1024} KiB`);
  const compact = value.replace(/\s+/g, '');
  const looksBase64 = isBase64(compact);
  if (looksBase64) {
    const text = Buffer.from(compact, 'base64').toString('utf8');
    if (text.includes('\uFFFD')) throw new ValidationError(FIELD, 'base64 does not decode to UTF-8 text');
    return text;
  }
  if (opts.requireBase64) throw new ValidationError(FIELD, 'must be base64-encoded kubeconfig YAML');
  return value;
}

/**
 * Parses kubeconfig YAML into a plain mapping with the same defences as `parseKubeconfig` (size, nesting depth, alias
 * expansion, duplicate keys), without resolving a context: for callers that handle every context (fleet import).
 */
export function parseKubeconfigDocument(text: string, maxBytes = MAX_KUBECONFIG_BYTES): Record<string, unknown> {
  if (Buffer.byteLength(text, 'utf8') > maxBytes) throw new ValidationError(FIELD, `must be at most ${maxBytes / 1024} KiB`);
  if (text.trim() === '') throw new ValidationError(FIELD, 'is empty');
  rejectDeepNesting(text);
  // Alias expansion is capped so a "billion laughs" document fails in milliseconds instead of eating memory.
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false, strict: true });
  if (doc.errors.length > 0) throw new ValidationError(FIELD, `is not valid YAML (${firstLine(doc.errors[0]!.message)})`);
  let root: unknown;
  try {
    root = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new ValidationError(FIELD, `is not valid YAML (${firstLine((err as Error).message)})`);
  }
  if (!isRecord(root)) throw new ValidationError(FIELD, 'must be a YAML mapping (apiVersion: v1, kind: Config)');
  if (root.kind !== undefined && root.kind !== 'Config') throw new ValidationError(`${FIELD}.kind`, 'must be "Config"');
  return root;
}

/** Parses and validates kubeconfig YAML; throws `ValidationError` naming the offending field. */
export function parseKubeconfig(text: string): KubeconfigSpec {
  return kubeconfigSpecFrom(parseKubeconfigDocument(text));
}

/** Validates an already parsed kubeconfig mapping (see `parseKubeconfigDocument`) and resolves its current context. */
export function kubeconfigSpecFrom(root: Record<string, unknown>): KubeconfigSpec {
  const clusters = namedList(root, 'clusters', 'cluster');
  const users = namedList(root, 'users', 'user');
  const contexts = namedList(root, 'contexts', 'context');
  users.forEach((u, i) => rejectForbidden(u.value, FORBIDDEN_USER_FIELDS, `${FIELD}.users[${i}] "${u.name}"`, contexts, 'user', u.name));
  clusters.forEach((c, i) => rejectForbidden(c.value, FORBIDDEN_CLUSTER_FIELDS, `${FIELD}.clusters[${i}] "${c.name}"`, contexts, 'cluster', c.name));

  const currentName = typeof root['current-context'] === 'string' && root['current-context'] !== '' ? root['current-context'] : undefined;
  if (!currentName && contexts.length !== 1)
    throw new ValidationError(`${FIELD}.current-context`, 'is required when there is not exactly one context');
  const context = currentName ? contexts.find((c) => c.name === currentName) : contexts[0];
  if (!context) throw new ValidationError(`${FIELD}.current-context`, `names context "${currentName}", which is not in contexts`);

  const clusterName = stringField(context.value, 'cluster', `${FIELD}.contexts "${context.name}".context.cluster`);
  const userName = stringField(context.value, 'user', `${FIELD}.contexts "${context.name}".context.user`);
  const cluster = clusters.find((c) => c.name === clusterName);
  if (!cluster)
    throw new ValidationError(`${FIELD}.contexts "${context.name}".context.cluster`, `names cluster "${clusterName}", which is not in clusters`);
  const user = users.find((u) => u.name === userName);
  if (!user) throw new ValidationError(`${FIELD}.contexts "${context.name}".context.user`, `names user "${userName}", which is not in users`);

  const where = `${FIELD}.clusters "${clusterName}".cluster`;
  const server = stringField(cluster.value, 'server', `${where}.server`);
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new ValidationError(`${where}.server`, 'must be an absolute https:// URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ValidationError(`${where}.server`, 'must be an https:// (or http://) URL');
  if (url.username || url.password) throw new ValidationError(`${where}.server`, 'must not embed credentials');

  const u = user.value;
  const userWhere = `${FIELD}.users "${userName}".user`;
  const spec: KubeconfigSpec = {
    contextName: context.name,
    clusterName,
    userName,
    server: server.replace(/\/+$/, ''),
    namespace: optionalString(context.value, 'namespace', `${FIELD}.contexts "${context.name}".context.namespace`),
    caData: optionalBase64(cluster.value, 'certificate-authority-data', `${where}.certificate-authority-data`),
    insecureSkipTlsVerify: cluster.value['insecure-skip-tls-verify'] === true,
    tlsServerName: optionalString(cluster.value, 'tls-server-name', `${where}.tls-server-name`),
    token: optionalString(u, 'token', `${userWhere}.token`),
    clientCertificateData: optionalBase64(u, 'client-certificate-data', `${userWhere}.client-certificate-data`),
    clientKeyData: optionalBase64(u, 'client-key-data', `${userWhere}.client-key-data`),
    username: optionalString(u, 'username', `${userWhere}.username`),
    password: optionalString(u, 'password', `${userWhere}.password`),
  };
  if (Boolean(spec.clientCertificateData) !== Boolean(spec.clientKeyData)) {
    throw new ValidationError(userWhere, 'client-certificate-data and client-key-data must be given together');
  }
  if (spec.clientCertificateData) certificateNotAfter(spec.clientCertificateData, `${userWhere}.client-certificate-data`);
  return spec;
}

// Real kubeconfigs nest about 6 levels deep. The YAML parser recurses per level, so thousands of nested brackets
// in a few KB would overflow the stack (and, repeated, crash the process): refuse them before parsing.
const MAX_FLOW_DEPTH = 64;
const MAX_INDENT = 256;

function rejectDeepNesting(text: string): void {
  let depth = 0;
  let quote: string | undefined;
  let lineStart = true;
  let indent = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\n') {
      lineStart = true;
      indent = 0;
      continue;
    }
    if (lineStart) {
      if (ch === ' ') {
        if (++indent > MAX_INDENT) throw new ValidationError(FIELD, `is nested too deeply (indentation over ${MAX_INDENT} columns)`);
        continue;
      }
      lineStart = false;
    }
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === '\\' && quote === '"') i++;
      continue;
    }
    if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '#' && (i === 0 || text[i - 1] === ' ' || text[i - 1] === '\t' || text[i - 1] === '\n')) {
      while (i + 1 < text.length && text[i + 1] !== '\n') i++;
    } else if (ch === '[' || ch === '{') {
      if (++depth > MAX_FLOW_DEPTH) throw new ValidationError(FIELD, `is nested too deeply (more than ${MAX_FLOW_DEPTH} levels)`);
    } else if ((ch === ']' || ch === '}') && depth > 0) depth--;
  }
}

/** When the credential stops working, if it says: a client certificate's notAfter, or a JWT token's `exp`. */
export function credentialExpiry(spec: KubeconfigSpec): Date | null {
  const dates: Date[] = [];
  if (spec.clientCertificateData) dates.push(certificateNotAfter(spec.clientCertificateData, 'client-certificate-data'));
  if (spec.token) {
    const exp = jwtExp(spec.token);
    if (exp) dates.push(exp);
  }
  return dates.length ? new Date(Math.min(...dates.map((d) => d.getTime()))) : null;
}

function certificateNotAfter(base64Pem: string, field: string): Date {
  try {
    return new Date(new X509Certificate(Buffer.from(base64Pem, 'base64')).validTo);
  } catch {
    throw new ValidationError(field, 'is not a base64-encoded PEM certificate');
  }
}

function jwtExp(token: string): Date | null {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  try {
    const payload = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof payload.exp === 'number' ? new Date(payload.exp * 1000) : null;
  } catch {
    return null;
  }
}

interface Named {
  name: string;
  value: Record<string, unknown>;
}

function namedList(root: Record<string, unknown>, key: string, inner: string): Named[] {
  const list = root[key];
  if (list === undefined || list === null) throw new ValidationError(`${FIELD}.${key}`, 'is required');
  if (!Array.isArray(list)) throw new ValidationError(`${FIELD}.${key}`, 'must be a list');
  return list.map((entry, i) => {
    if (!isRecord(entry) || typeof entry.name !== 'string' || entry.name === '') {
      throw new ValidationError(`${FIELD}.${key}[${i}].name`, 'is required');
    }
    const value = entry[inner] ?? {};
    if (!isRecord(value)) throw new ValidationError(`${FIELD}.${key}[${i}].${inner}`, 'must be a mapping');
    return { name: entry.name, value };
  });
}

function rejectForbidden(
  value: Record<string, unknown>,
  forbidden: Record<string, string>,
  where: string,
  contexts: Named[],
  ref: 'user' | 'cluster',
  name: string,
): void {
  for (const [field, why] of Object.entries(forbidden)) {
    if (value[field] === undefined) continue;
    const usedBy = contexts.filter((c) => c.value[ref] === name).map((c) => `"${c.name}"`);
    const ctx = usedBy.length ? ` (context ${usedBy.join(', ')})` : '';
    throw new ValidationError(`${where}.${field}`, `is not allowed${ctx}: it ${why}; only inline credentials are accepted`);
  }
}

function stringField(obj: Record<string, unknown>, key: string, field: string): string {
  const v = obj[key];
  if (typeof v !== 'string' || v === '') throw new ValidationError(field, 'is required');
  return v;
}

function optionalString(obj: Record<string, unknown>, key: string, field: string): string | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new ValidationError(field, 'must be a string');
  return v;
}

function optionalBase64(obj: Record<string, unknown>, key: string, field: string): string | undefined {
  const v = optionalString(obj, key, field);
  if (v === undefined) return undefined;
  const compact = v.replace(/\s+/g, '');
  if (!isBase64(compact, { requirePadding: false })) throw new ValidationError(field, 'must be base64');
  return compact;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.slice(0, 200);
}
