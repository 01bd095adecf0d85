import { WEBHOOK_EVENTS, WEBHOOK_FORMATS, type WebhookEventValue, type WebhookFormatValue } from '../db/schema.js';
import { ValidationError } from '../errors.js';
import { parseLabelSelector } from './label-selector.js';

const MAX_URL = 2048;

/**
 * A webhook URL: absolute http(s), a host, no user:password (credentials would be stored and sent in the clear of
 * every log line that prints a URL; a receiver authenticates deliveries by their signature instead), no fragment.
 */
export function parseWebhookUrl(raw: string): string {
  if (raw.length > MAX_URL) throw new ValidationError('url', `must be at most ${MAX_URL} characters`);
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new ValidationError('url', 'must be an absolute http:// or https:// URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ValidationError('url', 'must use http or https');
  if (url.username || url.password) throw new ValidationError('url', 'must not contain credentials (user:password@)');
  if (!url.hostname) throw new ValidationError('url', 'must name a host');
  if (url.hash) throw new ValidationError('url', 'must not contain a fragment (#…)');
  return url.toString();
}

/** Subscribed events: at least one, each a known subscribable event (PING is for testWebhook only), no repeats. */
export function parseWebhookEvents(raw: readonly string[]): WebhookEventValue[] {
  if (raw.length === 0) throw new ValidationError('events', 'must name at least one event');
  const known = new Set<string>(WEBHOOK_EVENTS);
  // REST sends `cluster_created`, people copying GraphQL's names `CLUSTER_CREATED`: both mean the same event.
  raw = raw.map((e) => e.toLowerCase());
  for (const e of raw) if (!known.has(e)) throw new ValidationError('events', `unknown event "${e}"; expected one of ${WEBHOOK_EVENTS.join(', ')}`);
  return [...new Set(raw)] as WebhookEventValue[];
}

export function parseWebhookFormat(raw: string): WebhookFormatValue {
  raw = raw.toLowerCase();
  if (!(WEBHOOK_FORMATS as readonly string[]).includes(raw)) throw new ValidationError('format', `must be one of ${WEBHOOK_FORMATS.join(', ')}`);
  return raw as WebhookFormatValue;
}

/** A caller-chosen signing secret: long enough to resist guessing, printable so it survives copy and paste. */
export function parseWebhookSecret(raw: string): string {
  if (raw.length < 16 || raw.length > 256) throw new ValidationError('secret', 'must be 16 to 256 characters');
  if (!/^[\x21-\x7e]+$/.test(raw)) throw new ValidationError('secret', 'must be printable ASCII without spaces');
  return raw;
}

/** An empty selector means "every cluster" and is stored as null. */
export function parseWebhookSelector(raw: string): string | null {
  const selector = parseLabelSelector(raw, 'labelSelector');
  return selector === '' ? null : selector;
}
