/**
 * Domain errors. Managers and services throw these and know nothing of HTTP; each transport maps them exactly once
 * (GraphQL: `graphql/errors.ts` → `extensions.code`; REST: `rest/envelope.ts` → status + envelope). Database outages
 * are not domain errors: both mappers recognise them by `isConnectionError` (db/errors.ts) and answer 503.
 */
export abstract class DomainError extends Error {
  abstract readonly code:
    | 'UNAUTHENTICATED'
    | 'FORBIDDEN'
    | 'NOT_FOUND'
    | 'BAD_USER_INPUT'
    | 'CONFLICT'
    | 'CLUSTER_UNREACHABLE'
    | 'PROMETHEUS_NOT_CONFIGURED'
    | 'PROMETHEUS_UNREACHABLE'
    | 'SERVICE_UNAVAILABLE';
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * The HTTP status of each domain error code: REST answers with it (rest/envelope.ts), GraphQL reports the code
 * (graphql/errors.ts), and the audit log records it as a write's outcome (audit/audited-writes.ts).
 */
export const HTTP_STATUS_BY_CODE: Record<DomainError['code'], number> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  BAD_USER_INPUT: 400,
  CONFLICT: 409,
  CLUSTER_UNREACHABLE: 503,
  // The cluster exists but its state (no Prometheus URL) does not allow the request: a conflict, not "not found",
  // which would read as "no such cluster".
  PROMETHEUS_NOT_CONFIGURED: 409,
  PROMETHEUS_UNREACHABLE: 503,
  SERVICE_UNAVAILABLE: 503,
};

export class UnauthenticatedError extends DomainError {
  readonly code = 'UNAUTHENTICATED';
  constructor(message = 'a valid bearer token is required') {
    super(message);
  }
}

/**
 * A presented token could not be checked because the identity provider's keys cannot be fetched (JWT_JWKS_URL down):
 * 503, never "accepted", and not a 401 either, which would feed the auth brake for every user of that provider.
 */
export class AuthenticationUnavailableError extends DomainError {
  readonly code = 'SERVICE_UNAVAILABLE';
}

export class ForbiddenError extends DomainError {
  readonly code = 'FORBIDDEN';
  constructor(message = 'this operation requires the admin role') {
    super(message);
  }
}

export class NotFoundError extends DomainError {
  readonly code = 'NOT_FOUND';
}

/** Bad input. `field` names the offending input field so clients can point at it. */
export class ValidationError extends DomainError {
  readonly code = 'BAD_USER_INPUT';
  /** `field` uses GraphQL's camelCase names; REST renders the first segment in snake_case. */
  constructor(
    readonly field: string,
    readonly detail: string,
  ) {
    super(`${field}: ${detail}`);
  }
}

export class ConflictError extends DomainError {
  readonly code = 'CONFLICT';
}

/** Why a cluster could not be reached, as data, so clients can react without parsing messages. */
export type UnreachableReason = 'UNAUTHORIZED' | 'FORBIDDEN' | 'TLS' | 'TIMEOUT' | 'REFUSED' | 'DNS' | 'API_ERROR' | 'NETWORK';

export class ClusterUnreachableError extends DomainError {
  readonly code = 'CLUSTER_UNREACHABLE';
  constructor(
    readonly reason: UnreachableReason,
    message: string,
  ) {
    super(message);
  }
}

/** The cluster has no Prometheus URL (none set by hand, none discovered). `discoveryState` says where discovery stands. */
export class PrometheusNotConfiguredError extends DomainError {
  readonly code = 'PROMETHEUS_NOT_CONFIGURED';
  constructor(
    readonly discoveryState: string,
    message: string,
  ) {
    super(message);
  }
}

/** Why a cluster's Prometheus gave no usable answer, as data (the message has the detail). */
export type PrometheusUnreachableReason = 'TIMEOUT' | 'REFUSED' | 'DNS' | 'TLS' | 'NETWORK' | 'HTTP_STATUS' | 'NOT_PROMETHEUS' | 'TOO_LARGE' | 'BUSY';

/** The cluster's Prometheus could not be reached, or what answered is not Prometheus' query API. */
export class PrometheusUnreachableError extends DomainError {
  readonly code = 'PROMETHEUS_UNREACHABLE';
  constructor(
    readonly reason: PrometheusUnreachableReason,
    message: string,
  ) {
    super(message);
  }
}
