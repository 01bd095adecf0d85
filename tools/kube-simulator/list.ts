/**
 * Chunked list semantics of the API server over an index-addressable source: `limit`, opaque `continue`
 * tokens, `metadata.remainingItemCount` (only without selectors, as the real server), 400 for malformed
 * and 410 Expired for compacted tokens. Items are produced lazily so large lists can be streamed.
 */
import type { ClusterModel } from './model.js';
import type { KubeObject } from './objects.js';
import { parseFieldSelector, parseLabelSelector, SelectorError, type Predicate, type SelectableFacts } from './selectors.js';
import { badRequest, expiredContinue, type KubeStatus } from './status.js';

/** Objects addressable by index in [start, end), in key (namespace/name) order. */
export interface IndexedSource {
  start: number;
  end: number;
  facts(i: number): SelectableFacts;
  build(i: number): KubeObject;
  /** Field selector fields besides metadata.name / metadata.namespace. */
  extraFields?: string[];
}

/** A page of a list: metadata to send and a lazy item sequence. */
export interface ListPage {
  metadata: { resourceVersion: string; continue?: string; remainingItemCount?: number };
  items: Iterable<KubeObject>;
  /** Number of items in `items`. */
  count: number;
}

/** Thrown for requests that must be answered with a Status. */
export class StatusError extends Error {
  constructor(readonly status: KubeStatus) {
    super(status.message);
  }
}

interface ContinueToken {
  v: string;
  rv: number;
  start: string;
  /** Index of the next object in the source (our addition to the real token's fields). */
  i: number;
}

function encodeContinue(t: ContinueToken): string {
  return Buffer.from(JSON.stringify(t)).toString('base64url');
}

function decodeContinue(raw: string, model: ClusterModel): number {
  let t: Partial<ContinueToken>;
  try {
    // Accept both URL-safe and standard base64, as Go's decoder of the real server is lenient about padding.
    t = JSON.parse(Buffer.from(raw.replace(/\+/g, '-').replace(/\//g, '_'), 'base64url').toString('utf8')) as Partial<ContinueToken>;
  } catch {
    throw new StatusError(badRequest(`invalid continue token: illegal base64 data at input byte 0`));
  }
  if (t === null || typeof t !== 'object' || t.v !== 'meta.k8s.io/v1' || !Number.isInteger(t.i) || !Number.isInteger(t.rv)) {
    throw new StatusError(badRequest('invalid continue token: continue key is not supported'));
  }
  if ((t.rv as number) <= model.compactedRv) throw new StatusError(expiredContinue());
  return t.i as number;
}

/** Query parameters relevant to lists. */
export interface ListQuery {
  limit?: string;
  continue?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

export function listPage(model: ClusterModel, src: IndexedSource, q: ListQuery): ListPage {
  let label: Predicate | undefined;
  let field: Predicate | undefined;
  try {
    label = parseLabelSelector(q.labelSelector);
    field = parseFieldSelector(q.fieldSelector, src.extraFields);
  } catch (e) {
    if (e instanceof SelectorError) throw new StatusError(badRequest(e.message));
    throw e;
  }
  const filtered = label !== undefined || field !== undefined;
  const match = (i: number): boolean => {
    if (!filtered) return true;
    const f = src.facts(i);
    return (label?.(f) ?? true) && (field?.(f) ?? true);
  };
  const limit = q.limit ? Number(q.limit) : 0;
  if (!Number.isInteger(limit) || limit < 0) throw new StatusError(badRequest(`invalid limit: ${q.limit}`));
  let from = src.start;
  if (q.continue) from = Math.max(src.start, src.start + decodeContinue(q.continue, model));
  const rv = String(model.rv);

  if (!limit) {
    // Unlimited: lazily stream everything from `from`; count is computed cheaply (no objects built).
    let count = 0;
    for (let i = from; i < src.end; i++) if (match(i)) count++;
    return { metadata: { resourceVersion: rv }, items: lazy(src, from, src.end, match), count };
  }

  const picked: number[] = [];
  let i = from;
  for (; i < src.end && picked.length < limit; i++) if (match(i)) picked.push(i);
  // Look ahead for one more match so we never hand out a continue token that leads to an empty page.
  let next = i;
  while (next < src.end && !match(next)) next++;
  const metadata: ListPage['metadata'] = { resourceVersion: rv };
  if (next < src.end) {
    const key = src.facts(next);
    metadata.continue = encodeContinue({
      v: 'meta.k8s.io/v1',
      rv: model.rv,
      start: `${key.namespace ? `${key.namespace}/` : ''}${key.name}\u0000`,
      i: next - src.start,
    });
    if (!filtered && !model.knobs.omitRemainingItemCount) metadata.remainingItemCount = src.end - next;
  }
  return { metadata, items: picked.map((p) => src.build(p)), count: picked.length };
}

function* lazy(src: IndexedSource, from: number, end: number, match: (i: number) => boolean): Generator<KubeObject> {
  for (let i = from; i < end; i++) if (match(i)) yield src.build(i);
}

/** A source over an in-memory array (already in key order). */
export function arraySource<T>(arr: T[], facts: (t: T) => SelectableFacts, build: (t: T) => KubeObject, extraFields?: string[]): IndexedSource {
  return {
    start: 0,
    end: arr.length,
    facts: (i) => facts(arr[i] as T),
    build: (i) => build(arr[i] as T),
    extraFields,
  };
}
