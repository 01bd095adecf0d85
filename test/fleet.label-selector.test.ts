import { describe, expect, it } from 'vitest';
import { type LabelRequirement, LabelSelectorError, matchesSelector, parseLabelSelector } from '../src/fleet/label-selector.js';
import { parseLabels } from '../src/fleet/labels.js';
import { ValidationError } from '../src/errors.js';

/** The Kubernetes label-selector grammar (apimachinery/pkg/labels), as a table: what parses to what, what is refused. */

const req = (key: string, operator: LabelRequirement['operator'], ...values: string[]): LabelRequirement => ({ key, operator, values });

describe('label selector grammar', () => {
  it.each<[string, LabelRequirement[]]>([
    ['', []],
    ['   ', []],
    ['env=prod', [req('env', 'equals', 'prod')]],
    ['env==prod', [req('env', 'equals', 'prod')]],
    ['env = prod', [req('env', 'equals', 'prod')]],
    ['env!=prod', [req('env', 'notEquals', 'prod')]],
    ['env=', [req('env', 'equals', '')]],
    ['env=,tier=web', [req('env', 'equals', ''), req('tier', 'equals', 'web')]],
    ['env', [req('env', 'exists')]],
    ['!env', [req('env', 'notExists')]],
    [' ! env ', [req('env', 'notExists')]],
    ['env in (prod, staging)', [req('env', 'in', 'prod', 'staging')]],
    ['env in (prod,prod)', [req('env', 'in', 'prod')]],
    ['env notin (dev)', [req('env', 'notIn', 'dev')]],
    ['env in (a,)', [req('env', 'in', 'a', '')]],
    ['env in (,a)', [req('env', 'in', '', 'a')]],
    ['example.com/team=a-b_c.d', [req('example.com/team', 'equals', 'a-b_c.d')]],
    [
      'env=prod,tier in (web),!legacy,region',
      [req('env', 'equals', 'prod'), req('tier', 'in', 'web'), req('legacy', 'notExists'), req('region', 'exists')],
    ],
    ['env=prod,env!=dev', [req('env', 'equals', 'prod'), req('env', 'notEquals', 'dev')]],
    ['in=notin', [req('in', 'equals', 'notin')]],
  ])('parses %j', (input, expected) => {
    expect(parseLabelSelector(input)).toEqual(expected);
  });

  it.each<[string, RegExp]>([
    ['env=prod,', /found the end of the selector.*expected a label key/],
    [',env', /found ","/],
    ['env in ()', /at least one value/],
    ['env in (a', /found the end of the selector/],
    ['env in a', /expected "\("/],
    ['env notin', /expected "\("/],
    ['env=a=b', /found "="/],
    ['env=a b', /found "b"/],
    ['env prod', /expected an operator/],
    ['!env=prod', /after "!key"/],
    ['!', /expected a label key/],
    ['=prod', /expected a label key/],
    ['env > 5', /numeric operator ">" is not supported/],
    ['env < 5', /numeric operator "<" is not supported/],
    ['-env=a', /invalid key/],
    ['Example.com/env=a', /invalid key.*prefix/],
    [`${'a'.repeat(64)}=b`, /invalid key/],
    [`env=${'v'.repeat(64)}`, /invalid value/],
    ['env=a/b', /invalid value/],
    ['env in (ok, -bad)', /invalid value "-bad"/],
    ['(env)', /expected a label key/],
    ['a'.repeat(4097), /at most 4096 characters/],
    [Array.from({ length: 65 }, (_, i) => `k${i}`).join(','), /at most 64 requirements/],
  ])('refuses %j', (input, message) => {
    expect(() => parseLabelSelector(input)).toThrow(LabelSelectorError);
    expect(() => parseLabelSelector(input)).toThrow(message);
  });
});

describe('label selector matching (Kubernetes semantics)', () => {
  const labels = new Map([
    ['env', 'prod'],
    ['tier', 'web'],
    ['empty', ''],
  ]);
  it.each<[string, boolean]>([
    ['', true],
    ['env=prod', true],
    ['env=dev', false],
    ['env!=dev', true],
    ['missing!=x', true], // != also matches objects without the key
    ['env in (dev, prod)', true],
    ['env in (dev)', false],
    ['missing in (x)', false],
    ['env notin (dev)', true],
    ['env notin (prod)', false],
    ['missing notin (x)', true], // notin also matches objects without the key
    ['env', true],
    ['missing', false],
    ['!missing', true],
    ['!env', false],
    ['empty=', true],
    ['empty', true],
    ['env=prod,tier=web', true],
    ['env=prod,tier=api', false],
  ])('%j → %s', (selector, expected) => {
    expect(matchesSelector(parseLabelSelector(selector), labels)).toBe(expected);
  });
});

describe('label validation', () => {
  it('accepts Kubernetes keys and values and sorts by key', () => {
    expect(parseLabels({ 'z-last': '', 'example.com/team': 'A.b-c_9', a: 'x' })).toEqual([
      { key: 'a', value: 'x' },
      { key: 'example.com/team', value: 'A.b-c_9' },
      { key: 'z-last', value: '' },
    ]);
  });

  it.each<[string, unknown, RegExp]>([
    ['a key with a space', { 'bad key': 'v' }, /key "bad key": the name/],
    ['an upper-case prefix', { 'Example.com/a': 'v' }, /key "Example.com\/a": the prefix/],
    ['an empty prefix', { '/a': 'v' }, /the prefix/],
    ['a 64-character name', { ['n'.repeat(64)]: 'v' }, /the name must be 1-63/],
    ['a 254-character prefix', { [`${'p'.repeat(254)}/a`]: 'v' }, /the prefix/],
    ['a value ending in "-"', { k: 'v-' }, /key "k": the value/],
    ['a 64-character value', { k: 'v'.repeat(64) }, /key "k": the value/],
    ['a non-string value', { k: 1 }, /key "k": the value must be a string/],
    ['65 labels', Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, 'v'])), /at most 64 labels/],
  ])('refuses %s with a ValidationError naming labels and the key', (_label, input, message) => {
    let caught: unknown;
    try {
      parseLabels(input as Record<string, unknown>);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ValidationError);
    expect((caught as ValidationError).field).toBe('labels');
    expect((caught as ValidationError).message).toMatch(message);
  });

  it('refuses a key given twice in the list form', () => {
    expect(() =>
      parseLabels([
        { key: 'a', value: '1' },
        { key: 'a', value: '2' },
      ]),
    ).toThrow(/key "a" is given more than once/);
  });
});
