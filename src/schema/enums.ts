import { registerEnumType } from 'type-graphql';
import { CLUSTER_ROLES, SUBJECT_KINDS } from '../access/roles.js';
import { DISCOVERY_STATES, HEALTH_STATUSES, PROMETHEUS_SOURCES } from '../db/schema.js';

/** A GraphQL enum over stored values: upper-case names (`NOT_FOUND`), the lower-case strings as values. */
type GraphQLEnumOf<V extends string> = { readonly [K in V as Uppercase<K>]: K };

// The values are the strings stored in the database and used by REST, so no mapping is needed between layers; the
// lists themselves live in db/schema.ts.
function graphqlEnum<V extends string>(values: readonly V[]): GraphQLEnumOf<V> {
  return Object.freeze(Object.fromEntries(values.map((v) => [v.toUpperCase(), v]))) as GraphQLEnumOf<V>;
}

export const HealthStatus = graphqlEnum(HEALTH_STATUSES);
export const PrometheusSource = graphqlEnum(PROMETHEUS_SOURCES);
export const DiscoveryState = graphqlEnum(DISCOVERY_STATES);
export const ClusterRole = graphqlEnum(CLUSTER_ROLES);
export const SubjectKind = graphqlEnum(SUBJECT_KINDS);

registerEnumType(HealthStatus, {
  name: 'HealthStatus',
  description: 'Reachability and condition of a cluster.',
  valuesConfig: {
    UNKNOWN: { description: 'Not probed yet, or disabled.' },
    HEALTHY: { description: 'The API server answers and every node is Ready.' },
    WARNING: { description: 'Reachable, but some nodes are NotReady, there are none, permissions are partial or credentials expire soon.' },
    ERROR: { description: 'The API server answers, but with errors or refusing the credentials.' },
    UNAVAILABLE: { description: 'The API server cannot be reached.' },
  },
});
registerEnumType(PrometheusSource, {
  name: 'PrometheusSource',
  description: 'Where the Prometheus URL came from.',
  valuesConfig: {
    NONE: { description: 'No Prometheus URL: none set, none discovered.' },
    AUTO: { description: 'Discovered in the cluster.' },
    MANUAL: { description: 'Set by hand; discovery leaves it alone.' },
  },
});
registerEnumType(DiscoveryState, {
  name: 'DiscoveryState',
  description: 'Lifecycle of a Prometheus discovery task.',
  valuesConfig: {
    PENDING: { description: 'Created, not started yet.' },
    RUNNING: { description: 'Checking candidate services.' },
    FOUND: { description: 'A Prometheus was found and set as the URL.' },
    NOT_FOUND: { description: 'No candidate answered as Prometheus.' },
    FAILED: { description: 'The task could not search (e.g. the cluster was unreachable).' },
    CANCELLED: { description: 'Stopped before it ended (the cluster was deleted or its URL set by hand).' },
  },
});
registerEnumType(ClusterRole, {
  name: 'ClusterRole',
  description:
    'A role on one cluster, lowest first: VIEWER reads, EDITOR also changes workloads through the proxy, ADMIN also manages the cluster and its grants.',
  valuesConfig: {
    VIEWER: { description: 'Reads the cluster and its workloads.' },
    EDITOR: { description: 'Also changes workloads through the proxy.' },
    ADMIN: { description: 'Also manages the cluster and its grants.' },
  },
});
registerEnumType(SubjectKind, {
  name: 'SubjectKind',
  description: 'Whom a grant names: a user (token subject) or a group (token groups claim).',
  valuesConfig: { USER: { description: 'A token subject (`sub`).' }, GROUP: { description: "A name in the token's groups claim." } },
});
