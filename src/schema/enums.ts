import { registerEnumType } from 'type-graphql';

// GraphQL shows the upper-case names; the values are the lower-case strings stored in the database and used by REST,
// so no mapping is needed between layers.
export enum HealthStatus {
  UNKNOWN = 'unknown',
  HEALTHY = 'healthy',
  WARNING = 'warning',
  ERROR = 'error',
  UNAVAILABLE = 'unavailable',
}

export enum PrometheusSource {
  NONE = 'none',
  AUTO = 'auto',
  MANUAL = 'manual',
}

export enum DiscoveryState {
  PENDING = 'pending',
  RUNNING = 'running',
  FOUND = 'found',
  NOT_FOUND = 'not_found',
  FAILED = 'failed',
  CANCELLED = 'cancelled',
}

registerEnumType(HealthStatus, { name: 'HealthStatus', description: 'Reachability and condition of a cluster.' });
registerEnumType(PrometheusSource, { name: 'PrometheusSource', description: 'Where the Prometheus URL came from.' });
registerEnumType(DiscoveryState, { name: 'DiscoveryState', description: 'Lifecycle of a Prometheus discovery task.' });
