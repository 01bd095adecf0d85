import { stringify } from 'yaml';
import { ValidationError } from '../errors.js';

/** TTL rules of issued kubeconfigs (DESIGN, Issued kubeconfigs). */
export const DEFAULT_TTL_SECONDS = 8 * 3600;
export const MAX_TTL_SECONDS = 24 * 3600;
export const MIN_TTL_SECONDS = 60;

/** A TTL in seconds, checked against the bounds; `field` is the caller's name for it (`ttl` in REST, `ttlSeconds`). */
export function checkTtl(seconds: number | undefined | null, field: string): number {
  if (seconds === undefined || seconds === null) return DEFAULT_TTL_SECONDS;
  if (!Number.isSafeInteger(seconds)) throw new ValidationError(field, 'must be a whole number of seconds');
  if (seconds < MIN_TTL_SECONDS) throw new ValidationError(field, `must be at least ${MIN_TTL_SECONDS} seconds`);
  if (seconds > MAX_TTL_SECONDS) throw new ValidationError(field, `must be at most ${MAX_TTL_SECONDS} seconds (24h)`);
  return seconds;
}

/** REST's `?ttl=`: a duration like `8h`, `90m`, `1h30m`, `3600s`, or plain seconds. */
export function parseTtlParam(raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (/^\d{1,9}$/.test(raw)) return Number(raw);
  const m = /^(?:(\d{1,6})h)?(?:(\d{1,6})m)?(?:(\d{1,9})s)?$/.exec(raw);
  if (!m || (!m[1] && !m[2] && !m[3])) throw new ValidationError('ttl', 'must be a duration such as 8h, 90m, 1h30m or a number of seconds');
  return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
}

export interface KubeconfigParts {
  clusterName: string;
  server: string;
  /** PEM of the CA that signed the gateway's serving certificate; omitted when clients should use their system roots. */
  caPem: string | undefined;
  user: string;
  token: string;
}

/** The issued kubeconfig: one cluster, one user, one context named after the cluster, selected. */
export function renderKubeconfig(p: KubeconfigParts): string {
  const userName = `${p.user}@${p.clusterName}`;
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: p.clusterName,
        cluster: { server: p.server, ...(p.caPem ? { 'certificate-authority-data': Buffer.from(p.caPem).toString('base64') } : {}) },
      },
    ],
    users: [{ name: userName, user: { token: p.token } }],
    contexts: [{ name: p.clusterName, context: { cluster: p.clusterName, user: userName } }],
    'current-context': p.clusterName,
    preferences: {},
  });
}
