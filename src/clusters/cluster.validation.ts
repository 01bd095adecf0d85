import { ValidationError } from '../errors.js';

// Control, format (zero-width, bidi overrides), private-use and unpaired surrogate characters make names that look
// alike but differ, or break terminals and logs; names are for people, so they are refused.
const INVISIBLE_OR_CONTROL = /[\p{Cc}\p{Cf}\p{Co}\p{Cs}\u2028\u2029]/u;

/** True when a client-supplied string holds control or invisible characters (never valid in names or URLs here). */
export const hasControlCharacters = (s: string): boolean => INVISIBLE_OR_CONTROL.test(s);

/** A cluster name: trimmed, 1–100 characters, printable. */
export function parseClusterName(raw: unknown): string {
  if (typeof raw !== 'string') throw new ValidationError('name', 'must be a string');
  const name = raw.normalize('NFC').trim();
  if (name.length === 0) throw new ValidationError('name', 'is required (1-100 characters)');
  if ([...name].length > 100) throw new ValidationError('name', 'must be at most 100 characters');
  if (INVISIBLE_OR_CONTROL.test(name)) throw new ValidationError('name', 'must not contain control or invisible characters');
  return name;
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
