/** The PostgreSQL error fields we act on, dug out of driver and drizzle wrappers (postgres.js, PGlite). */
export function pgError(err: unknown): { code?: string; constraint?: string } {
  for (let e = err as Record<string, unknown> | undefined, depth = 0; e && depth < 5; e = e.cause as Record<string, unknown>, depth++) {
    if (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) {
      const constraint = (e.constraint_name ?? e.constraint) as string | undefined;
      return { code: e.code, constraint };
    }
  }
  return {};
}

export const isUniqueViolation = (err: unknown, constraint?: string): boolean => {
  const info = pgError(err);
  return info.code === '23505' && (constraint === undefined || info.constraint === constraint);
};

/** Connection-level failures (server down, refused, terminated): retryable, reported as 503 rather than 500. */
export function isConnectionError(err: unknown): boolean {
  for (let e = err as Record<string, unknown> | undefined, depth = 0; e && depth < 5; e = e.cause as Record<string, unknown>, depth++) {
    const code = e.code;
    if (
      typeof code === 'string' &&
      (/^08/.test(code) ||
        [
          '57P01',
          '57P02',
          '57P03',
          'ECONNREFUSED',
          'ECONNRESET',
          'CONNECTION_CLOSED',
          'CONNECTION_ENDED',
          'CONNECTION_DESTROYED',
          'CONNECT_TIMEOUT',
          'ETIMEDOUT',
        ].includes(code))
    ) {
      return true;
    }
  }
  return false;
}
