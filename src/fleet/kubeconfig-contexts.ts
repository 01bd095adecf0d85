import { stringify } from 'yaml';
import { ValidationError } from '../errors.js';
import { type KubeconfigSpec, kubeconfigSpecFrom, parseKubeconfigDocument } from '../kube/kubeconfig.js';
import { isBase64 } from '../util/base64.js';

/**
 * An import file holds a fleet: larger than one cluster's kubeconfig (256 KiB), yet inside the 1 MB JSON body limit
 * once base64-encoded.
 */
export const MAX_IMPORT_BYTES = 720 * 1024;

/** One context of an import file, reduced to a kubeconfig of its own, or the reason it cannot be imported. */
export type ImportContext =
  | { context: string; ok: true; spec: KubeconfigSpec /** The context's own kubeconfig, rendered when stored. */; yaml(): string }
  | { context: string; ok: false; problem: string; server?: string };

export interface SplitKubeconfig {
  contexts: ImportContext[];
  currentContext: string | null;
}

/** YAML text or base64 of it (REST requires base64, GraphQL and the start-up file take either). */
export function decodeImportInput(value: string, opts: { requireBase64?: boolean } = {}): string {
  if (value.length > Math.ceil((MAX_IMPORT_BYTES * 4) / 3) + 1024)
    throw new ValidationError('kubeconfig', `must be at most ${MAX_IMPORT_BYTES / 1024} KiB`);
  const compact = value.replace(/\s+/g, '');
  if (compact.length > 0 && isBase64(compact)) {
    const text = Buffer.from(compact, 'base64').toString('utf8');
    if (text.includes('\uFFFD')) throw new ValidationError('kubeconfig', 'base64 does not decode to UTF-8 text');
    return text;
  }
  if (opts.requireBase64) throw new ValidationError('kubeconfig', 'must be base64-encoded kubeconfig YAML');
  return value;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Splits a kubeconfig into one kubeconfig per context, holding only that context, its cluster and its user. Each is
 * then checked by the one kubeconfig parser (kube/kubeconfig.ts), so the rules are C3's: a context whose user runs a
 * program (`exec`, `auth-provider`) or reads a file (`tokenFile`, `client-certificate`, …) comes back with the reason
 * naming the field, and the other contexts are unaffected. Only a file that is not a kubeconfig at all is an error.
 */
export function splitKubeconfig(text: string): SplitKubeconfig {
  const root = parseKubeconfigDocument(text, MAX_IMPORT_BYTES);
  const list = (key: string): unknown[] => {
    const v = root[key];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) throw new ValidationError(`kubeconfig.${key}`, 'must be a list');
    return v;
  };
  const clusters = list('clusters');
  const users = list('users');
  const contexts = list('contexts');
  if (contexts.length === 0) throw new ValidationError('kubeconfig.contexts', 'must list at least one context');
  const byName = (entries: unknown[], name: unknown) => entries.find((e) => isRecord(e) && e.name === name) as Record<string, unknown> | undefined;

  const out = contexts.map((entry, i): ImportContext => {
    const name = isRecord(entry) && typeof entry.name === 'string' && entry.name !== '' ? entry.name : `#${i + 1}`;
    if (!isRecord(entry) || name.startsWith('#')) return { context: name, ok: false, problem: `kubeconfig.contexts[${i}].name: is required` };
    const ctx = isRecord(entry.context) ? entry.context : {};
    const cluster = byName(clusters, ctx.cluster);
    const user = byName(users, ctx.user);
    if (!cluster)
      return {
        context: name,
        ok: false,
        problem: `kubeconfig.contexts "${name}".context.cluster: names cluster "${String(ctx.cluster)}", which is not in clusters`,
      };
    if (!user)
      return {
        context: name,
        ok: false,
        problem: `kubeconfig.contexts "${name}".context.user: names user "${String(ctx.user)}", which is not in users`,
      };
    const server = isRecord(cluster.cluster) && typeof cluster.cluster.server === 'string' ? cluster.cluster.server : undefined;
    const single = {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [cluster],
      users: [user],
      contexts: [{ name, context: ctx }],
      'current-context': name,
    };
    try {
      return { context: name, ok: true, spec: kubeconfigSpecFrom(structuredClone(single)), yaml: () => stringify(single) };
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      // The single-context document has one user and one cluster: its list index says nothing about the file.
      return { context: name, ok: false, server, problem: err.message.replace(/^kubeconfig\.(users|clusters)\[0\]/, 'kubeconfig.$1') };
    }
  });
  const current = root['current-context'];
  return { contexts: out, currentContext: typeof current === 'string' && current !== '' ? current : null };
}

/**
 * What makes two kubeconfigs the same cluster access: server, trust and credentials. Compared between a context and an
 * existing cluster's decrypted kubeconfig in memory; never stored or logged.
 */
export function sameAccess(a: KubeconfigSpec, b: KubeconfigSpec): boolean {
  const keys: (keyof KubeconfigSpec)[] = [
    'server',
    'caData',
    'insecureSkipTlsVerify',
    'tlsServerName',
    'token',
    'clientCertificateData',
    'clientKeyData',
    'username',
    'password',
  ];
  return keys.every((k) => (a[k] ?? null) === (b[k] ?? null));
}
