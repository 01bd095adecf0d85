/**
 * Label and field selectors with the Kubernetes grammar: `a=b`, `a==b`, `a!=b`, `a`, `!a`, `a in (x,y)`,
 * `a notin (x,y)`, comma meaning AND. Invalid selectors throw `SelectorError` (mapped to 400 BadRequest).
 */

export class SelectorError extends Error {}

/** The facts a selector can look at; built cheaply per object, without the full object. */
export interface SelectableFacts {
  name: string;
  namespace?: string;
  labels: Record<string, string>;
  /** Extra fields usable in field selectors, e.g. `spec.nodeName`, `status.phase`. */
  fields?: Record<string, string>;
}

export type Predicate = (facts: SelectableFacts) => boolean;

/** Splits on commas that are not inside parentheses. */
function splitTopLevel(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

const KEY = /^[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?$/;

function checkKey(key: string): string {
  if (!KEY.test(key)) throw new SelectorError(`unable to parse requirement: invalid label key "${key}"`);
  return key;
}

type LabelReq = (labels: Record<string, string>) => boolean;

function parseLabelRequirement(req: string): LabelReq {
  const setMatch = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(req);
  if (setMatch) {
    const key = checkKey(setMatch[1] ?? '');
    const values = new Set((setMatch[3] ?? '').split(',').map((v) => v.trim()));
    return setMatch[2] === 'in' ? (l) => l[key] !== undefined && values.has(l[key]) : (l) => l[key] === undefined || !values.has(l[key]);
  }
  const cmp = /^([^=!<>\s]+)\s*(==|=|!=|<|>)\s*(.*)$/.exec(req);
  if (cmp) {
    const key = checkKey(cmp[1] ?? '');
    const op = cmp[2];
    const value = (cmp[3] ?? '').trim();
    if (op === '!=') return (l) => l[key] !== value;
    if (op === '<' || op === '>') {
      const n = Number(value);
      if (!Number.isInteger(n)) throw new SelectorError(`unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer`);
      return (l) => l[key] !== undefined && (op === '<' ? Number(l[key]) < n : Number(l[key]) > n);
    }
    return (l) => l[key] === value;
  }
  if (req.startsWith('!')) {
    const key = checkKey(req.slice(1).trim());
    return (l) => l[key] === undefined;
  }
  const key = checkKey(req);
  return (l) => l[key] !== undefined;
}

/** Parses a `labelSelector`; undefined or empty matches everything. */
export function parseLabelSelector(sel: string | undefined): Predicate | undefined {
  if (!sel?.trim()) return undefined;
  const reqs = splitTopLevel(sel).map(parseLabelRequirement);
  return (f) => reqs.every((r) => r(f.labels));
}

/**
 * Parses a `fieldSelector`. Supported fields: `metadata.name`, `metadata.namespace` and whatever the resource
 * exposes in `fields`; anything else is a 400, as the real server rejects unknown field labels.
 */
export function parseFieldSelector(sel: string | undefined, extraFields: string[] = []): Predicate | undefined {
  if (!sel?.trim()) return undefined;
  const known = ['metadata.name', 'metadata.namespace', ...extraFields];
  const reqs = splitTopLevel(sel).map((req) => {
    const m = /^([^=!\s]+)\s*(==|=|!=)\s*(.*)$/.exec(req);
    if (!m) throw new SelectorError(`invalid selector: '${sel}'; can't understand '${req}'`);
    const field = m[1] ?? '';
    if (!known.includes(field)) {
      throw new SelectorError(`"${field}" is not a known field selector: only ${known.map((k) => `"${k}"`).join(', ')}`);
    }
    const value = (m[3] ?? '').trim();
    const get = (f: SelectableFacts): string =>
      field === 'metadata.name' ? f.name : field === 'metadata.namespace' ? (f.namespace ?? '') : (f.fields?.[field] ?? '');
    return m[2] === '!=' ? (f: SelectableFacts) => get(f) !== value : (f: SelectableFacts) => get(f) === value;
  });
  return (f) => reqs.every((r) => r(f));
}
