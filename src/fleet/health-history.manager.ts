import { requireUser, type Caller } from '../auth/principal.js';
import type { ClusterManager } from '../clusters/cluster.manager.js';
import { ValidationError } from '../errors.js';
import { BatchLoader, PerContext } from '../util/batch-loader.js';
import { AVAILABILITY_WINDOWS, type AvailabilityView, type AvailabilityWindowValue, type LastSeen, toAvailability } from './availability.js';
import type { HealthEventView, HealthHistoryRepository, HistoryPosition } from './health-history.repository.js';

export const HISTORY_PAGE_DEFAULT = 50;
export const HISTORY_PAGE_MAX = 500;

export interface HistoryPageRequest {
  first?: number;
  after?: string;
  since?: Date;
}

export interface HistoryPage {
  items: HealthEventView[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/** Field names as the calling transport spells them, so a 400 names the field the client actually sent. */
export interface HistoryFieldNames {
  first: string;
  after: string;
}

const GRAPHQL_FIELDS: HistoryFieldNames = { first: 'first', after: 'after' };

/**
 * Health history and availability for every transport. Field resolvers on a list ask for many clusters in one
 * request: those reads are batched (one statement per request and window, BatchLoader), like discovery's.
 */
export class HealthHistoryManager {
  private readonly lastSeenLoaders: PerContext<BatchLoader<number, LastSeen>>;
  private readonly availabilityLoaders: PerContext<BatchLoader<string, AvailabilityView>>;

  constructor(
    private readonly repo: HealthHistoryRepository,
    private readonly clusters: Pick<ClusterManager, 'get'>,
    /** The clock availability windows end at (tests pin it). */
    private readonly now: () => Date = () => new Date(),
  ) {
    this.lastSeenLoaders = new PerContext(() => new BatchLoader((ids) => repo.lastSeen(ids)));
    this.availabilityLoaders = new PerContext(() => new BatchLoader((keys) => this.loadAvailability(keys)));
  }

  /** REST: one cluster's history by id (404 for a cluster the caller cannot see). */
  async history(caller: Caller, rawId: string | number, page: HistoryPageRequest, fields: HistoryFieldNames): Promise<HistoryPage> {
    const cluster = await this.clusters.get(caller, rawId);
    return this.page(cluster.id, page, fields);
  }

  /** `Cluster.healthHistory`: the cluster was already read (and authorized) by the parent field. */
  async historyOf(caller: Caller, clusterId: number, page: HistoryPageRequest): Promise<HistoryPage> {
    requireUser(caller);
    return this.page(clusterId, page, GRAPHQL_FIELDS);
  }

  /** REST: one cluster's availability by id. */
  async availability(caller: Caller, rawId: string | number, window: AvailabilityWindowValue): Promise<AvailabilityView> {
    const cluster = await this.clusters.get(caller, rawId);
    return this.availabilityOf(caller, cluster.id, window);
  }

  /** `Cluster.availability(window)`: batched per request. */
  async availabilityOf(caller: Caller, clusterId: number, window: AvailabilityWindowValue): Promise<AvailabilityView> {
    requireUser(caller);
    const view = await this.availabilityLoaders.of(caller).load(`${window}:${clusterId}`);
    return view ?? toAvailability(window, { observed: 0, healthy: 0, reachable: 0 }, { lastHealthyAt: null, lastReachableAt: null });
  }

  /** `Cluster.lastHealthyAt`: batched per request. */
  async lastHealthyAt(caller: Caller, clusterId: number): Promise<Date | null> {
    requireUser(caller);
    return (await this.lastSeenLoaders.of(caller).load(clusterId))?.lastHealthyAt ?? null;
  }

  private async page(clusterId: number, req: HistoryPageRequest, fields: HistoryFieldNames): Promise<HistoryPage> {
    const limit = req.first ?? HISTORY_PAGE_DEFAULT;
    if (!Number.isInteger(limit) || limit < 1 || limit > HISTORY_PAGE_MAX)
      throw new ValidationError(fields.first, `must be an integer from 1 to ${HISTORY_PAGE_MAX}`);
    const before = req.after === undefined ? undefined : decodeCursor(req.after, fields.after);
    const rows = await this.repo.page(clusterId, { limit, since: req.since, before });
    const items = rows.slice(0, limit);
    const last = items.at(-1);
    return { items, pageInfo: { hasNextPage: rows.length > limit, endCursor: last ? encodeCursor(last) : null } };
  }

  /** Keys are `window:clusterId`; one statement per window asked for (a request rarely asks for more than one). */
  private async loadAvailability(keys: string[]): Promise<Map<string, AvailabilityView>> {
    const byWindow = new Map<AvailabilityWindowValue, number[]>();
    for (const key of keys) {
      const [window, id] = key.split(':') as [AvailabilityWindowValue, string];
      byWindow.set(window, [...(byWindow.get(window) ?? []), Number(id)]);
    }
    const now = this.now();
    const allIds = [...new Set([...byWindow.values()].flat())];
    const [lastSeen, ...sums] = await Promise.all([
      this.repo.lastSeen(allIds),
      ...[...byWindow].map(([window, ids]) => this.repo.windowSums(ids, new Date(now.getTime() - AVAILABILITY_WINDOWS[window].seconds * 1000), now)),
    ]);
    const out = new Map<string, AvailabilityView>();
    [...byWindow].forEach(([window, ids], i) => {
      for (const id of ids) {
        const s = sums[i]!.get(id) ?? { observed: 0, healthy: 0, reachable: 0 };
        out.set(`${window}:${id}`, toAvailability(window, s, lastSeen.get(id) ?? { lastHealthyAt: null, lastReachableAt: null }));
      }
    });
    return out;
  }
}

/** Opaque to clients; encodes the (at, id) of the last row of a page. */
function encodeCursor(e: HealthEventView): string {
  return Buffer.from(JSON.stringify([e.at.toISOString(), e.id])).toString('base64url');
}

function decodeCursor(raw: string, field: string): HistoryPosition {
  try {
    const [at, id] = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as [unknown, unknown];
    const date = new Date(String(at));
    if (typeof at === 'string' && !Number.isNaN(date.getTime()) && Number.isSafeInteger(id) && (id as number) > 0)
      return { at: date, id: id as number };
  } catch {
    // fall through: any malformed cursor is the same client error
  }
  throw new ValidationError(field, 'is not a cursor this endpoint issued');
}
