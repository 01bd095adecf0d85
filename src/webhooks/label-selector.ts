// lead: use src/fleet/label-selector.ts at merge (the fleet helper owns the full Kubernetes selector parser; this is a
// minimal stand-in with the same grammar so webhook filtering can be built and tested on its own branch).
import { ValidationError } from '../errors.js';

type Requirement =
  | { key: string; op: 'exists' | 'notexists' }
  | { key: string; op: 'eq' | 'neq'; value: string }
  | { key: string; op: 'in' | 'notin'; values: string[] };

const KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

/** Splits on commas outside parentheses (`a in (x,y),b` has two requirements). */
function splitTopLevel(selector: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(selector.slice(start, i));
      start = i + 1;
    }
    if (depth < 0 || depth > 1) throw new Error('unbalanced parentheses');
  }
  if (depth !== 0) throw new Error('unbalanced parentheses');
  parts.push(selector.slice(start));
  return parts.map((p) => p.trim());
}

function key(k: string): string {
  if (!KEY.test(k)) throw new Error(`"${k}" is not a valid label key`);
  return k;
}

function value(v: string): string {
  if (!VALUE.test(v)) throw new Error(`"${v}" is not a valid label value`);
  return v;
}

function parseRequirement(text: string): Requirement {
  if (text === '') throw new Error('empty requirement');
  if (text.startsWith('!')) return { key: key(text.slice(1).trim()), op: 'notexists' };
  const set = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(text);
  if (set) {
    const values = set[3]!.split(',').map((v) => value(v.trim()));
    return { key: key(set[1]!), op: set[2] as 'in' | 'notin', values };
  }
  const cmp = /^([^=!\s]+)\s*(==|=|!=)\s*(.*)$/.exec(text);
  if (cmp) return { key: key(cmp[1]!), op: cmp[2] === '!=' ? 'neq' : 'eq', value: value(cmp[3]!.trim()) };
  return { key: key(text), op: 'exists' };
}

function parse(selector: string): Requirement[] {
  if (selector.trim() === '') return [];
  return splitTopLevel(selector).map(parseRequirement);
}

/** Parses a selector; a `ValidationError` naming `field` (default `labelSelector`) when it is not valid. */
export function parseLabelSelector(selector: string, field = 'labelSelector'): string {
  if (selector.length > 1024) throw new ValidationError(field, 'must be at most 1024 characters');
  try {
    parse(selector);
  } catch (err) {
    throw new ValidationError(field, `is not a valid label selector: ${(err as Error).message}`);
  }
  return selector.trim();
}

/** Kubernetes selector semantics: every requirement holds (`!=` and `notin` also match a missing key). */
export function matchesSelector(selector: string, labels: Record<string, string>): boolean {
  return parse(selector).every((r) => {
    const has = Object.hasOwn(labels, r.key);
    const v = labels[r.key];
    switch (r.op) {
      case 'exists':
        return has;
      case 'notexists':
        return !has;
      case 'eq':
        return has && v === r.value;
      case 'neq':
        return !has || v !== r.value;
      case 'in':
        return has && r.values.includes(v!);
      case 'notin':
        return !has || !r.values.includes(v!);
    }
  });
}
