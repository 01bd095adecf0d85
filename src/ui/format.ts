/** Human wording of figures and times for the tables and charts. */

const UNITS: [number, string][] = [
  [60, 's'],
  [60, 'min'],
  [24, 'h'],
  [Number.POSITIVE_INFINITY, 'd'],
];

/** "just now", "3 min ago", "2 h ago", "5 d ago". */
export function timeAgo(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return 'never';
  let value = Math.max(0, (now - Date.parse(iso)) / 1000);
  if (value < 10) return 'just now';
  for (const [size, unit] of UNITS) {
    if (value < size) return `${Math.floor(value)} ${unit} ago`;
    value /= size;
  }
  return 'long ago';
}

export const percent = (v: number | null | undefined, digits = 0) => (v === null || v === undefined ? '—' : `${v.toFixed(digits)} %`);

export function bytesPerSecond(v: number): string {
  const units = ['B/s', 'KiB/s', 'MiB/s', 'GiB/s'];
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 && i > 0 ? 1 : 0)} ${units[i]}`;
}

/** A sample value in the unit the API names for its series. */
export function inUnit(v: number, unit: string): string {
  if (unit === 'percent') return percent(v, 1);
  if (unit === 'bytes/s') return bytesPerSecond(v);
  return Number.isInteger(v) ? String(v) : v.toFixed(1);
}

export const dateTime = (iso: string) => new Date(iso).toLocaleString();

/** Words for the health enum (the enum value itself stays on the element as data-health). */
export const HEALTH_WORDS: Record<string, string> = {
  HEALTHY: 'Healthy',
  WARNING: 'Warning',
  ERROR: 'Error',
  UNAVAILABLE: 'Unavailable',
  UNKNOWN: 'Unknown',
};
export const HEALTH_STATES = Object.keys(HEALTH_WORDS);
