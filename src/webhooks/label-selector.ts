import { ValidationError } from '../errors.js';
import { LabelSelectorError, matchesSelector as matchesRequirements, parseLabelSelector as parseRequirements } from '../fleet/label-selector.js';

/** Webhook selectors are stored as text: a shorter bound than list filters, since each one is kept per webhook. */
const MAX_WEBHOOK_SELECTOR = 1024;

/**
 * A webhook's label selector, checked with the fleet's Kubernetes selector grammar (fleet/label-selector.ts); a
 * `ValidationError` naming `field` (default `labelSelector`) when it is not valid. Returns it trimmed, for storage.
 */
export function parseLabelSelector(selector: string, field = 'labelSelector'): string {
  if (selector.length > MAX_WEBHOOK_SELECTOR) throw new ValidationError(field, `must be at most ${MAX_WEBHOOK_SELECTOR} characters`);
  try {
    parseRequirements(selector);
  } catch (err) {
    if (err instanceof LabelSelectorError) throw new ValidationError(field, `is not a valid label selector: ${err.message}`);
    throw err;
  }
  return selector.trim();
}

/** Whether a cluster's labels (as stored: key → value) satisfy a stored selector, with Kubernetes semantics. */
export function matchesSelector(selector: string, labels: Record<string, string>): boolean {
  return matchesRequirements(parseRequirements(selector), new Map(Object.entries(labels)));
}
