import { createPublicKey } from 'node:crypto';
import { z } from 'zod';
import { DEFAULT_ROLE_CHOICES, type DefaultClusterRole } from './access/roles.js';
import { parseCidr, type TrustProxy } from './http/client-address.js';
import { isBase64 } from './util/base64.js';

/**
 * The one configuration model. Nothing else in the program reads `process.env`: everything it needs is parsed and
 * checked here, and every problem is reported at once so an operator fixes a bad deployment in one go.
 */

const boolish = z.enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off']).transform((v) => ['true', '1', 'yes', 'on'].includes(v));

const intIn = (min: number, max: number) =>
  z.string().regex(/^\d+$/, 'must be a whole number').transform(Number).pipe(z.number().int().min(min).max(max));

const base64Key32 = z.string().transform((v, ctx) => {
  const key = Buffer.from(v, 'base64');
  if (!isBase64(v, { requirePadding: false }) || key.length !== 32) {
    ctx.addIssue({ code: 'custom', message: 'must be 32 bytes encoded as base64 (try: openssl rand -base64 32)' });
    return z.NEVER;
  }
  return key;
});

const pemPublicKey = z.string().transform((v, ctx) => {
  try {
    const key = createPublicKey(v.replace(/\\n/g, '\n'));
    const type = key.asymmetricKeyType;
    if (type === 'rsa') return { pem: key.export({ type: 'spki', format: 'pem' }).toString(), algorithm: 'RS256' as const };
    if (type === 'ec') return { pem: key.export({ type: 'spki', format: 'pem' }).toString(), algorithm: 'ES256' as const };
    ctx.addIssue({ code: 'custom', message: `unsupported key type ${type}; use an RSA or EC (P-256) public key` });
  } catch {
    ctx.addIssue({ code: 'custom', message: 'is not a PEM public key' });
  }
  return z.NEVER;
});

/** TRUST_PROXY: a number of proxy hops (1–32), or a comma list of addresses and CIDR ranges of the proxies. */
const trustProxy = z.string().transform((v, ctx): TrustProxy => {
  if (/^\d+$/.test(v)) {
    const hops = Number(v);
    if (hops >= 1 && hops <= 32) return { hops };
  } else {
    const cidrs = v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const bad = cidrs.find((c) => !parseCidr(c));
    if (cidrs.length > 0 && !bad) return { cidrs };
    if (bad) {
      ctx.addIssue({ code: 'custom', message: `"${bad.slice(0, 60)}" is not an IP address or CIDR range (e.g. 10.0.0.0/8)` });
      return z.NEVER;
    }
  }
  ctx.addIssue({ code: 'custom', message: 'must be a number of proxy hops (1-32) or a comma list of proxy addresses/CIDR ranges' });
  return z.NEVER;
});

const envSchema = z.object({
  PORT: intIn(0, 65535).default(12306),
  HOST: z.string().min(1).default('0.0.0.0'),
  /** HTTPS listener (kubectl through issued kubeconfigs); default PORT + 1, or 0 (any free port) when PORT is 0. */
  HTTPS_PORT: intIn(0, 65535).optional(),
  TLS_CERT_FILE: z.string().min(1).optional(),
  TLS_KEY_FILE: z.string().min(1).optional(),
  /** The https:// address issued kubeconfigs point at (a load balancer's, say); default https://localhost:<HTTPS port>. */
  PUBLIC_URL: z
    .url({ protocol: /^https$/, error: 'must be an https:// URL (kubectl sends bearer tokens only over TLS)' })
    .refine((v) => !/[?#]/.test(v) && !new URL(v).username && !new URL(v).password, 'must be an https:// URL without credentials, query or fragment')
    .optional(),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  JWT_PUBLIC_KEY: pemPublicKey.optional(),
  /** The identity provider's JWKS (OIDC `jwks_uri`): keys fetched, cached and rotated by `kid`. */
  JWT_JWKS_URL: z.url({ protocol: /^https?$/, error: 'must be an https:// (or http://) URL of a JSON Web Key Set' }).optional(),
  /** Claim naming the admin role (`admin`, or an array holding it); a dotted path reaches nested claims. */
  JWT_ROLE_CLAIM: z.string().min(1).max(200).default('role'),
  JWT_GROUPS_CLAIM: z.string().min(1).max(200).default('groups'),
  JWT_ISSUER: z.string().min(1).optional(),
  JWT_AUDIENCE: z.string().min(1).optional(),
  ENCRYPTION_KEY: base64Key32.optional(),
  /** Retired keys, comma separated, still accepted for decryption so keys can rotate without a re-encrypt outage. */
  ENCRYPTION_PREVIOUS_KEYS: z
    .string()
    .optional()
    .transform((v) =>
      v
        ? v
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
        : [],
    )
    .pipe(z.array(base64Key32)),
  HEALTH_CHECK_INTERVAL_SECONDS: intIn(1, 86_400).default(60),
  HEALTH_FLIP_THRESHOLD: intIn(1, 20).default(2),
  HEALTH_CHECK_CONCURRENCY: intIn(1, 1000).default(64),
  KUBE_CONNECT_TIMEOUT_MS: intIn(100, 120_000).default(5_000),
  KUBE_REQUEST_TIMEOUT_MS: intIn(100, 300_000).default(10_000),
  PROMETHEUS_AUTO_DISCOVERY: boolish.default(true),
  DISCOVERY_TIMEOUT_SECONDS: intIn(5, 300).default(30),
  /** Refuse every write (REST, GraphQL, proxy) with 403 "只读模式已启用"; reads keep working. */
  READ_ONLY: boolish.default(false),
  /** Audit events older than this many days are pruned (once per interval, by one replica). */
  AUDIT_RETENTION_DAYS: intIn(1, 36_500).default(90),
  /** 401s per client address per minute before it gets 429s; 0 disables the brake. */
  AUTH_FAILURE_LIMIT: intIn(0, 1_000_000).default(30),
  /** Proxies whose X-Forwarded-For names the client (brake, logs, audit); unset: the socket's peer is the client. */
  TRUST_PROXY: trustProxy.optional(),
  /** The role every valid token holds on every cluster it has no grant on: `viewer` (everyone reads all) or `none`. */
  DEFAULT_CLUSTER_ROLE: z.enum(DEFAULT_ROLE_CHOICES).default('viewer'),
  /** Days of health history kept; at least the longest availability window (30 days). */
  HEALTH_HISTORY_RETENTION_DAYS: intIn(30, 36_500).default(90),
  /** A kubeconfig file whose contexts are imported at start when no cluster exists. */
  IMPORT_KUBECONFIG: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/**
 * Rules across variables. Checked on the raw values, separately from the per-variable schema, so they are reported
 * even when some other variable is malformed (zod skips refinements after a field error).
 */
function crossFieldProblems(env: Record<string, string | undefined>): string[] {
  const problems: string[] = [];
  const keySources = ['JWT_SECRET', 'JWT_PUBLIC_KEY', 'JWT_JWKS_URL'].filter((k) => env[k]);
  if (keySources.length > 1) {
    problems.push(
      `${keySources[0]}: set one of JWT_SECRET, JWT_PUBLIC_KEY or JWT_JWKS_URL, ${keySources.length === 2 ? `not both ${keySources.join(' and ')}` : 'not all three'}`,
    );
  }
  if (Boolean(env.TLS_CERT_FILE) !== Boolean(env.TLS_KEY_FILE)) problems.push('TLS_CERT_FILE: set both TLS_CERT_FILE and TLS_KEY_FILE, or neither');
  if (env.DATABASE_URL && !env.ENCRYPTION_KEY) {
    problems.push('ENCRYPTION_KEY: is required with DATABASE_URL (32 bytes, base64); keys are generated only for the embedded database');
  }
  if (env.DATABASE_URL && keySources.length === 0) {
    problems.push(
      'JWT_SECRET: JWT_SECRET, JWT_PUBLIC_KEY or JWT_JWKS_URL is required with DATABASE_URL; a secret is generated only for the embedded database',
    );
  }
  return problems;
}

export interface Config {
  port: number;
  host: string;
  /**
   * HTTPS: `port` (0: any free one); `certFile`/`keyFile` when the operator brings a certificate; `publicUrl` as
   * configured (the gateway derives https://localhost:<port> when unset and it serves HTTPS itself).
   */
  https: { port: number; certFile?: string; keyFile?: string; publicUrl?: string };
  database: { kind: 'postgres'; url: string } | { kind: 'embedded'; dataDir: string };
  dataDir: string;
  /** Unset when the key must be generated into DATA_DIR (embedded mode); see `secrets.ts`. */
  jwt: {
    secret?: string;
    publicKey?: { pem: string; algorithm: 'RS256' | 'ES256' };
    jwksUrl?: string;
    issuer?: string;
    audience?: string;
  };
  /** JWT_ROLE_CLAIM / JWT_GROUPS_CLAIM: the claims naming the admin role and the groups (dotted paths reach nested ones). */
  jwtClaims: { role: string; groups: string };
  encryption: { key?: Buffer; previousKeys: Buffer[] };
  health: { intervalSeconds: number; flipThreshold: number; concurrency: number };
  kube: { connectTimeoutMs: number; requestTimeoutMs: number };
  discovery: { autoDiscovery: boolean; timeoutSeconds: number };
  healthHistory: { retentionDays: number };
  /** Path of the kubeconfig imported at start (IMPORT_KUBECONFIG). */
  importKubeconfig?: string;
  authFailureLimitPerMinute: number;
  /** TRUST_PROXY (http/client-address.ts); undefined: X-Forwarded-For is ignored. */
  trustProxy?: TrustProxy;
  /** DESIGN "Access": what a token holds on a cluster without a grant. */
  defaultClusterRole: DefaultClusterRole;
  readOnly: boolean;
  audit: { retentionDays: number };
  logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment into a `Config`; throws one `ConfigError` listing every problem. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings mean "unset": `FOO= npm start` must not turn into a validation error.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  const problems = [
    ...(parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.') || 'environment'}: ${i.message}`)),
    ...crossFieldProblems(cleaned),
  ];
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const e = parsed.data;
  return {
    port: e.PORT,
    host: e.HOST,
    https: {
      port: e.HTTPS_PORT ?? (e.PORT === 0 ? 0 : e.PORT + 1),
      certFile: e.TLS_CERT_FILE,
      keyFile: e.TLS_KEY_FILE,
      publicUrl: e.PUBLIC_URL?.replace(/\/+$/, ''),
    },
    database: e.DATABASE_URL ? { kind: 'postgres', url: e.DATABASE_URL } : { kind: 'embedded', dataDir: e.DATA_DIR },
    dataDir: e.DATA_DIR,
    jwt: {
      secret: e.JWT_SECRET,
      publicKey: e.JWT_PUBLIC_KEY,
      jwksUrl: e.JWT_JWKS_URL,
      issuer: e.JWT_ISSUER,
      audience: e.JWT_AUDIENCE,
    },
    jwtClaims: { role: e.JWT_ROLE_CLAIM, groups: e.JWT_GROUPS_CLAIM },
    encryption: { key: e.ENCRYPTION_KEY, previousKeys: e.ENCRYPTION_PREVIOUS_KEYS },
    health: {
      intervalSeconds: e.HEALTH_CHECK_INTERVAL_SECONDS,
      flipThreshold: e.HEALTH_FLIP_THRESHOLD,
      concurrency: e.HEALTH_CHECK_CONCURRENCY,
    },
    kube: { connectTimeoutMs: e.KUBE_CONNECT_TIMEOUT_MS, requestTimeoutMs: e.KUBE_REQUEST_TIMEOUT_MS },
    discovery: { autoDiscovery: e.PROMETHEUS_AUTO_DISCOVERY, timeoutSeconds: e.DISCOVERY_TIMEOUT_SECONDS },
    healthHistory: { retentionDays: e.HEALTH_HISTORY_RETENTION_DAYS },
    importKubeconfig: e.IMPORT_KUBECONFIG,
    authFailureLimitPerMinute: e.AUTH_FAILURE_LIMIT,
    trustProxy: e.TRUST_PROXY,
    defaultClusterRole: e.DEFAULT_CLUSTER_ROLE,
    readOnly: e.READ_ONLY,
    audit: { retentionDays: e.AUDIT_RETENTION_DAYS },
    logLevel: e.LOG_LEVEL,
  };
}
