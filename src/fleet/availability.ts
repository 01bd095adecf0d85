import type { HealthStatusValue } from '../db/schema.js';
import { ValidationError } from '../errors.js';

/**
 * The availability windows: GraphQL names them (`HOUR` … `MONTH`, stored here lower-case as the enum values), REST
 * spells them as durations (`1h`, `24h`, `7d`, `30d`). The longest window bounds the shortest allowed retention.
 */
export const AVAILABILITY_WINDOWS = {
  hour: { seconds: 3_600, rest: '1h' },
  day: { seconds: 86_400, rest: '24h' },
  week: { seconds: 7 * 86_400, rest: '7d' },
  month: { seconds: 30 * 86_400, rest: '30d' },
} as const;
export type AvailabilityWindowValue = keyof typeof AVAILABILITY_WINDOWS;

/**
 * States that count, per ratio. `healthyRatio` is DESIGN's availability: time in HEALTHY or WARNING (a WARNING cluster
 * serves requests; it has a NotReady node, partial permissions or credentials about to expire). `reachableRatio` also
 * counts ERROR: the API server answered, if only with 401/403/5xx. UNAVAILABLE counts in neither. UNKNOWN (before the
 * first probe, or while disabled) is not observed time at all, so it counts in no denominator either.
 */
export const HEALTHY_STATES: readonly HealthStatusValue[] = ['healthy', 'warning'];
export const REACHABLE_STATES: readonly HealthStatusValue[] = ['healthy', 'warning', 'error'];

/** A cluster's availability over one window ending now, computed from its transitions (not from samples). */
export interface AvailabilityView {
  window: AvailabilityWindowValue;
  /** Seconds of the window in which the cluster was probed (not UNKNOWN): starts at the first probe. */
  observedSeconds: number;
  /** Null when nothing was observed in the window. */
  reachableRatio: number | null;
  healthyRatio: number | null;
  lastReachableAt: Date | null;
  lastHealthyAt: Date | null;
}

/** Seconds spent per category within a window, as the repository sums them. */
export interface WindowSums {
  observed: number;
  healthy: number;
  reachable: number;
}

/** When a cluster was last seen healthy / reachable: now-ish when it still is, else when it stopped being so. */
export interface LastSeen {
  lastHealthyAt: Date | null;
  lastReachableAt: Date | null;
}

export function toAvailability(window: AvailabilityWindowValue, sums: WindowSums, last: LastSeen): AvailabilityView {
  const ratio = (part: number) => (sums.observed > 0 ? Math.min(1, part / sums.observed) : null);
  return {
    window,
    observedSeconds: Math.floor(sums.observed),
    reachableRatio: ratio(sums.reachable),
    healthyRatio: ratio(sums.healthy),
    ...last,
  };
}

/** REST's `window` query parameter (`1h`, `24h`, `7d`, `30d`; default 24h). */
export function parseRestWindow(raw: unknown): AvailabilityWindowValue {
  if (raw === undefined) return 'day';
  const entry = Object.entries(AVAILABILITY_WINDOWS).find(([, w]) => w.rest === raw);
  if (!entry)
    throw new ValidationError(
      'window',
      `must be one of ${Object.values(AVAILABILITY_WINDOWS)
        .map((w) => w.rest)
        .join(', ')}`,
    );
  return entry[0] as AvailabilityWindowValue;
}
