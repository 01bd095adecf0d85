import { ValidationError } from '../errors.js';

/** One label of a cluster (GraphQL `ClusterLabel`, REST renders the set as an object). */
export interface ClusterLabel {
  key: string;
  value: string;
}

/** The most labels one cluster may carry (Kubernetes has no limit; ours bounds rows, indexes and answers). */
export const MAX_LABELS = 64;

// Kubernetes' syntax (apimachinery validation.IsQualifiedName / IsValidLabelValue).
const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** What is wrong with a label key, or undefined: `[prefix/]name`, prefix a DNS subdomain ≤ 253, name ≤ 63. */
export function labelKeyProblem(key: string): string | undefined {
  const slash = key.indexOf('/');
  const prefix = slash === -1 ? undefined : key.slice(0, slash);
  const name = slash === -1 ? key : key.slice(slash + 1);
  if (prefix !== undefined) {
    if (prefix.length === 0 || prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix)) {
      return 'the prefix must be a DNS subdomain of at most 253 characters (lower-case letters, digits, "-" and ".")';
    }
  }
  if (name.length === 0 || name.length > 63 || !NAME.test(name)) {
    return 'the name must be 1-63 characters: letters, digits, "-", "_" and ".", starting and ending with a letter or digit';
  }
  return undefined;
}

/** What is wrong with a label value, or undefined: empty, or at most 63 characters of the name syntax. */
export function labelValueProblem(value: string): string | undefined {
  if (value === '') return undefined;
  if (value.length > 63 || !NAME.test(value)) {
    return 'the value must be empty or 1-63 characters: letters, digits, "-", "_" and ".", starting and ending with a letter or digit';
  }
  return undefined;
}

/** Printable form of a key in a message (bounded, so a huge key is not echoed back whole). */
const quoted = (key: string) => JSON.stringify(key.length > 80 ? `${key.slice(0, 80)}…` : key);

/**
 * A label set as given by a client (GraphQL's list of pairs or REST's object), checked and sorted by key. Every
 * problem is a `ValidationError` naming `field` and the offending key; a key given twice is refused rather than one
 * silently winning.
 */
export function parseLabels(input: readonly ClusterLabel[] | Readonly<Record<string, unknown>>, field = 'labels'): ClusterLabel[] {
  const pairs: [string, unknown][] = Array.isArray(input)
    ? (input as readonly ClusterLabel[]).map((l) => [l.key, l.value])
    : Object.entries(input as Record<string, unknown>);
  if (pairs.length > MAX_LABELS) throw new ValidationError(field, `at most ${MAX_LABELS} labels (got ${pairs.length})`);
  const seen = new Set<string>();
  const labels: ClusterLabel[] = [];
  for (const [key, value] of pairs) {
    if (typeof key !== 'string') throw new ValidationError(field, 'keys must be strings');
    const keyProblem = labelKeyProblem(key);
    if (keyProblem) throw new ValidationError(field, `key ${quoted(key)}: ${keyProblem}`);
    if (typeof value !== 'string') throw new ValidationError(field, `key ${quoted(key)}: the value must be a string`);
    const valueProblem = labelValueProblem(value);
    if (valueProblem) throw new ValidationError(field, `key ${quoted(key)}: ${valueProblem}`);
    if (seen.has(key)) throw new ValidationError(field, `key ${quoted(key)} is given more than once`);
    seen.add(key);
    labels.push({ key, value });
  }
  return sortLabels(labels);
}

/** Sorted by key (code-point order, the same in every locale), the order every transport shows. */
export function sortLabels(labels: ClusterLabel[]): ClusterLabel[] {
  return labels.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** The stored (jsonb) and REST form: an object from key to value, keys in sorted order. */
export function labelsToObject(labels: readonly ClusterLabel[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const { key, value } of labels) out[key] = value;
  return out;
}

/** The view form of a stored label object. */
export function labelsFromObject(stored: Readonly<Record<string, string>> | null | undefined): ClusterLabel[] {
  return sortLabels(Object.entries(stored ?? {}).map(([key, value]) => ({ key, value })));
}
