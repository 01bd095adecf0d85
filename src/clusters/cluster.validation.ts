import { NotFoundError, ValidationError } from '../errors.js';

// Control, format (zero-width, bidi overrides), private-use and unpaired surrogate characters make names that look
// alike but differ, or break terminals and logs; names are for people, so they are refused.
const INVISIBLE_OR_CONTROL = /[\p{Cc}\p{Cf}\p{Co}\p{Cs}\u2028\u2029]/u;

/** True when a client-supplied string holds control or invisible characters (never valid in names or URLs here). */
export const hasControlCharacters = (s: string): boolean => INVISIBLE_OR_CONTROL.test(s);

/** The one name limit (characters, i.e. code points, after trimming); the column is varchar(100) to match. */
export const CLUSTER_NAME_MAX_LENGTH = 100;

const normalizeName = (raw: string): string => raw.normalize('NFC').trim();

/** What is wrong with a client-supplied cluster name, or undefined when it is a valid name. */
export function clusterNameProblem(raw: string): string | undefined {
  const name = normalizeName(raw);
  if (name.length === 0) return `is required (1-${CLUSTER_NAME_MAX_LENGTH} characters)`;
  if ([...name].length > CLUSTER_NAME_MAX_LENGTH) return `must be at most ${CLUSTER_NAME_MAX_LENGTH} characters`;
  if (INVISIBLE_OR_CONTROL.test(name)) return 'must not contain control or invisible characters';
  return undefined;
}

/** A cluster name: trimmed, 1–100 characters, printable. */
export function parseClusterName(raw: unknown): string {
  if (typeof raw !== 'string') throw new ValidationError('name', 'must be a string');
  const problem = clusterNameProblem(raw);
  if (problem) throw new ValidationError('name', problem);
  return normalizeName(raw);
}

/**
 * A name used to select a cluster (`X-Cluster-Name`): control characters are bad input; a name longer than any
 * cluster's can only be "not found".
 */
export function parseClusterSelectorName(raw: string, field = 'X-Cluster-Name'): string {
  if (hasControlCharacters(raw))
    throw new ValidationError(field, `must be a cluster name (printable, at most ${CLUSTER_NAME_MAX_LENGTH} characters)`);
  if ([...raw].length > CLUSTER_NAME_MAX_LENGTH) throw new NotFoundError(`no cluster has a name longer than ${CLUSTER_NAME_MAX_LENGTH} characters`);
  return raw;
}

/** Parses a client-supplied cluster id: a positive 32-bit integer, else a `ValidationError` naming `field`. */
export function parseClusterId(raw: string | number, field = 'id'): number {
  const text = String(raw).trim();
  if (!/^\d{1,30}$/.test(text) || Number(text) < 1) throw new ValidationError(field, 'must be a positive integer');
  const id = Number(text);
  if (id > 2_147_483_647) throw new NotFoundError(`cluster ${text} not found`);
  return id;
}

/**
 * A manually configured Prometheus URL: http(s), no credentials in it. Empty means "back to automatic". Stored in the
 * WHATWG-normalised form (lower-case host, no default port, dot segments resolved, no trailing slash), so what is stored
 * is what every later reader resolves. Spellings that parsers disagree on are refused rather than guessed: a backslash
 * (WHATWG reads `http://a.example\@b.example` as host a.example, other parsers as user `a.example\` at b.example), any
 * `@` before the host (credentials, even empty ones) and a scheme without `//`.
 */
export function parsePrometheusUrl(raw: unknown): string | null {
  if (typeof raw !== 'string') throw new ValidationError('prometheusUrl', 'must be a string');
  const value = raw.trim();
  if (value === '') return null;
  if (value.length > 2048) throw new ValidationError('prometheusUrl', 'must be at most 2048 characters');
  if (INVISIBLE_OR_CONTROL.test(value)) throw new ValidationError('prometheusUrl', 'must not contain control or invisible characters');
  if (value.includes('\\')) throw new ValidationError('prometheusUrl', 'must not contain a backslash');
  const scheme = /^(https?):\/\//i.exec(value);
  if (!scheme) throw new ValidationError('prometheusUrl', 'must be an absolute http:// or https:// URL');
  const authority = value.slice(scheme[0].length).split(/[/?#]/, 1)[0]!;
  if (authority.includes('@')) throw new ValidationError('prometheusUrl', 'must not embed credentials');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ValidationError('prometheusUrl', 'must be an absolute http:// or https:// URL');
  }
  if (url.username || url.password) throw new ValidationError('prometheusUrl', 'must not embed credentials');
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}${url.search}${url.hash}`;
}
