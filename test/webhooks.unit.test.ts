import { describe, expect, it } from 'vitest';
import { matchesSelector, parseLabelSelector } from '../src/webhooks/label-selector.js';
import { clusterFacts, renderBody, signBody } from '../src/webhooks/webhook-payload.js';
import { DEFAULT_RETRY_DELAYS_MS } from '../src/webhooks/webhook-worker.js';
import { parseWebhookUrl } from '../src/webhooks/webhook.validation.js';

const labels = { env: 'prod', tier: 'web', 'example.com/team': 'a' };

describe('webhook label selectors (Kubernetes grammar)', () => {
  it.each([
    ['', true],
    ['env=prod', true],
    ['env==prod', true],
    ['env!=prod', false],
    ['env=dev', false],
    ['missing!=x', true],
    ['env in (dev, prod)', true],
    ['env notin (prod)', false],
    ['missing notin (x)', true],
    ['env', true],
    ['!env', false],
    ['!missing', true],
    ['example.com/team=a,tier in (web,api)', true],
    ['env=prod,tier=db', false],
    // An empty value is valid syntax: it matches a label whose value is empty.
    ['env=', false],
  ])('%j matches %s', (selector, expected) => {
    expect(matchesSelector(selector, labels)).toBe(expected);
  });

  it.each(['env in (prod', '=prod', 'env=pr od', 'in in', 'a,,b', 'bad key=x', 'env in ((a))'])('refuses %j naming labelSelector', (selector) => {
    expect(() => parseLabelSelector(selector)).toThrow(/labelSelector: is not a valid label selector/);
  });
});

describe('webhook payloads and policy', () => {
  it('retries at least 6 times over at least 30 minutes with exponential backoff', () => {
    expect(DEFAULT_RETRY_DELAYS_MS.length).toBeGreaterThanOrEqual(6);
    expect(DEFAULT_RETRY_DELAYS_MS.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(30 * 60_000);
    for (let i = 1; i < DEFAULT_RETRY_DELAYS_MS.length; i++) expect(DEFAULT_RETRY_DELAYS_MS[i]).toBe(DEFAULT_RETRY_DELAYS_MS[i - 1]! * 2);
  });

  it('takes only whitelisted cluster facts, whatever the row carries', () => {
    const facts = clusterFacts({
      id: 3,
      name: 'prod-1',
      labels: { env: 'prod' },
      kubeconfig_ciphertext: 'v1.secret',
      token: 't0k3n',
      health_status: 'healthy',
      enabled: true,
    });
    const body = renderBody(9, { event: 'CLUSTER_CREATED', occurredAt: '2025-01-01T00:00:00.000Z', cluster: facts, data: {} }, 'json');
    expect(body).not.toMatch(/secret|t0k3n|kubeconfig/);
    expect(JSON.parse(body)).toMatchObject({
      id: '9',
      event: 'CLUSTER_CREATED',
      cluster: { id: 3, name: 'prod-1', labels: { env: 'prod' }, healthStatus: 'HEALTHY' },
    });
  });

  it('signs with sha256=<hex HMAC-SHA256 of the body>', () => {
    expect(signBody('key', 'The quick brown fox jumps over the lazy dog')).toBe(
      'sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8',
    );
  });

  it.each(['ftp://example.com/x', 'https://user:pw@example.com/hook', 'not a url', '/relative', 'file:///etc/passwd', 'https://example.com/#frag'])(
    'refuses the URL %j naming url',
    (url) => {
      expect(() => parseWebhookUrl(url)).toThrow(/^url: /);
    },
  );
});
