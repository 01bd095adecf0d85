import { labelKeyProblem, labelValueProblem } from './labels.js';

/**
 * Kubernetes label selectors (the string form `kubectl get -l` takes), parsed into requirements that are ANDed:
 *
 *   env=prod        env==prod      env!=prod       env in (prod, staging)      env notin (dev)      env      !env
 *
 * As in Kubernetes (apimachinery/pkg/labels): `!=` and `notin` also match objects without the key; `in`/`notin` need
 * at least one value; an empty selector matches everything; keys and values follow label syntax. The numeric `>`/`<`
 * operators of Kubernetes are not supported here and are refused. Pure: no I/O, no database; the cluster repository
 * turns requirements into SQL and `matchesSelector` evaluates them in memory (subscriptions).
 */

export type SelectorOperator = 'exists' | 'notExists' | 'equals' | 'notEquals' | 'in' | 'notIn';

export interface LabelRequirement {
  key: string;
  operator: SelectorOperator;
  /** One value for equals/notEquals, one or more for in/notIn, none for exists/notExists. */
  values: string[];
}

/** A selector that does not parse; the message says where and why. */
export class LabelSelectorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LabelSelectorError';
  }
}

/** Longest selector accepted: far beyond any real one, small enough that parsing and the SQL it becomes stay cheap. */
export const MAX_SELECTOR_LENGTH = 4096;
export const MAX_REQUIREMENTS = 64;

type Token = { kind: 'identifier'; text: string; at: number } | { kind: '!' | '!=' | '=' | '==' | '(' | ')' | ',' | '>' | '<' | 'end'; at: number };

const SPECIAL = new Set(['!', '=', '(', ')', ',', '>', '<']);
const isSpace = (c: string) => c === ' ' || c === '\t' || c === '\n' || c === '\r';

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i]!;
    if (isSpace(c)) {
      i++;
      continue;
    }
    if (SPECIAL.has(c)) {
      const two = input.slice(i, i + 2);
      if (two === '!=' || two === '==') {
        tokens.push({ kind: two, at: i });
        i += 2;
      } else {
        tokens.push({ kind: c as '!' | '=' | '(' | ')' | ',' | '>' | '<', at: i });
        i++;
      }
      continue;
    }
    const start = i;
    while (i < input.length && !isSpace(input[i]!) && !SPECIAL.has(input[i]!)) i++;
    tokens.push({ kind: 'identifier', text: input.slice(start, i), at: start });
  }
  tokens.push({ kind: 'end', at: input.length });
  return tokens;
}

const describe = (t: Token) => (t.kind === 'identifier' ? `"${t.text}"` : t.kind === 'end' ? 'the end of the selector' : `"${t.kind}"`);

/** Parses a selector string into requirements; throws `LabelSelectorError` for anything Kubernetes would refuse. */
export function parseLabelSelector(input: string): LabelRequirement[] {
  if (input.length > MAX_SELECTOR_LENGTH) throw new LabelSelectorError(`must be at most ${MAX_SELECTOR_LENGTH} characters`);
  const tokens = tokenize(input);
  let pos = 0;
  const peek = () => tokens[pos]!;
  const next = () => tokens[pos++]!;
  const fail = (t: Token, expected: string): never => {
    throw new LabelSelectorError(`found ${describe(t)} at position ${t.at + 1}, expected ${expected}`);
  };

  const key = (t: Token): string => {
    if (t.kind !== 'identifier') return fail(t, 'a label key');
    const problem = labelKeyProblem(t.text);
    if (problem) throw new LabelSelectorError(`invalid key "${t.text.slice(0, 80)}": ${problem}`);
    return t.text;
  };
  const value = (text: string): string => {
    const problem = labelValueProblem(text);
    if (problem) throw new LabelSelectorError(`invalid value "${text.slice(0, 80)}": ${problem}`);
    return text;
  };
  /** `( v1, v2 )`; empty items are empty-string values, as in Kubernetes. */
  const valueList = (): string[] => {
    const open = next();
    if (open.kind !== '(') fail(open, '"("');
    const values: string[] = [];
    let expectValue = true;
    for (;;) {
      const t = next();
      if (t.kind === 'identifier' && expectValue) {
        values.push(value(t.text));
        expectValue = false;
      } else if (t.kind === ',') {
        if (expectValue) values.push('');
        expectValue = true;
      } else if (t.kind === ')') {
        if (expectValue && values.length > 0) values.push('');
        break;
      } else fail(t, expectValue ? 'a value, "," or ")"' : '"," or ")"');
    }
    if (values.length === 0) throw new LabelSelectorError('"in" and "notin" need at least one value');
    return [...new Set(values)];
  };

  const requirement = (): LabelRequirement => {
    if (peek().kind === '!') {
      next();
      const k = key(next());
      const after = peek();
      if (after.kind !== ',' && after.kind !== 'end') fail(after, '"," or the end of the selector after "!key"');
      return { key: k, operator: 'notExists', values: [] };
    }
    const k = key(next());
    const op = next();
    switch (op.kind) {
      case ',':
      case 'end':
        pos--; // the separator belongs to the caller
        return { key: k, operator: 'exists', values: [] };
      case '=':
      case '==':
      case '!=': {
        // `key=` (nothing before "," or the end) selects the empty value, as in Kubernetes.
        const v = peek().kind === 'identifier' ? value((next() as { text: string }).text) : '';
        return { key: k, operator: op.kind === '!=' ? 'notEquals' : 'equals', values: [v] };
      }
      case 'identifier':
        if (op.text === 'in') return { key: k, operator: 'in', values: valueList() };
        if (op.text === 'notin') return { key: k, operator: 'notIn', values: valueList() };
        return fail(op, 'an operator (=, ==, !=, in, notin)');
      case '>':
      case '<':
        throw new LabelSelectorError(`the numeric operator "${op.kind}" is not supported; use =, ==, !=, in, notin, key or !key`);
      default:
        return fail(op, 'an operator (=, ==, !=, in, notin), "," or the end of the selector');
    }
  };

  const requirements: LabelRequirement[] = [];
  if (peek().kind === 'end') return requirements;
  for (;;) {
    requirements.push(requirement());
    if (requirements.length > MAX_REQUIREMENTS) throw new LabelSelectorError(`at most ${MAX_REQUIREMENTS} requirements`);
    const sep = next();
    if (sep.kind === 'end') return requirements;
    if (sep.kind !== ',') fail(sep, '"," or the end of the selector');
  }
}

/** True when a label set satisfies every requirement (the in-memory twin of the repository's SQL). */
export function matchesSelector(requirements: readonly LabelRequirement[], labels: ReadonlyMap<string, string>): boolean {
  return requirements.every(({ key, operator, values }) => {
    const has = labels.has(key);
    const v = labels.get(key);
    switch (operator) {
      case 'exists':
        return has;
      case 'notExists':
        return !has;
      case 'equals':
        return has && v === values[0];
      case 'notEquals':
        return !has || v !== values[0];
      case 'in':
        return has && values.includes(v!);
      case 'notIn':
        return !has || !values.includes(v!);
    }
  });
}
