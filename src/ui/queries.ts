/** The GraphQL documents the dashboard sends; field names as in the published schema (schema.graphql). */

/** Everything a fleet row shows that the live clusterHealth push also carries. */
const ROW_FIELDS = `id name isDefault enabled labels { key value } healthStatus healthMessage kubernetesVersion
  nodeCount readyNodeCount podCount prometheusUrl prometheusSource lastConnectedAt myRole`;

export const FLEET_QUERY = `query Fleet($filter: ClusterFilter, $first: Int, $after: String, $orderBy: ClusterOrderBy) {
  clusters(filter: $filter, first: $first, after: $after, orderBy: $orderBy) {
    total
    pageInfo { hasNextPage endCursor }
    items { ${ROW_FIELDS} metricsSummary { cpuUsagePercent memoryUsagePercent podsRunning at } }
  }
}`;

export const FLEET_HEALTH_SUBSCRIPTION = `subscription FleetHealth($labelSelector: String) {
  clusterHealth(labelSelector: $labelSelector) { ${ROW_FIELDS} }
}`;

export const CLUSTER_QUERY = `query ClusterPage($id: ID!, $since: DateTime!) {
  cluster(id: $id) {
    ${ROW_FIELDS} createdAt impersonate
    healthHistory(first: 50, since: $since) { items { at from to message } }
    day: availability(window: DAY) { ...availability }
    week: availability(window: WEEK) { ...availability }
  }
}
fragment availability on Availability { window observedSeconds reachableRatio healthyRatio lastReachableAt lastHealthyAt }`;

export const CLUSTER_HEALTH_SUBSCRIPTION = `subscription ClusterHealth($id: ID!) { clusterHealth(clusterId: $id) { ${ROW_FIELDS} } }`;

const SERIES = '{ name unit error samples { t v } }';
export const METRICS_QUERY = `query ClusterMetrics($id: ID!, $range: MetricsRange!) {
  cluster(id: $id) {
    metrics(range: $range) {
      source range stepSeconds
      cpuUsagePercent ${SERIES} memoryUsagePercent ${SERIES} podsRunning ${SERIES}
      networkReceiveBytesPerSecond ${SERIES} networkTransmitBytesPerSecond ${SERIES}
    }
  }
}`;

export const DISCOVERY_SUBSCRIPTION = `subscription Discovery($id: ID!) {
  discoveryStatus(clusterId: $id) { state message prometheusUrl startedAt finishedAt candidatesChecked }
}`;

export const TEST_CONNECTION = `mutation TestConnection($id: ID!) {
  testClusterConnection(id: $id) { connected kubernetesVersion nodeCount testedAt message }
}`;
export const REDISCOVER = `mutation Rediscover($id: ID!) { rediscoverPrometheus(id: $id) { state message } }`;
export const UPDATE_LABELS = `mutation UpdateLabels($id: ID!, $labels: [ClusterLabelInput!]!) {
  updateCluster(id: $id, input: { labels: $labels }) { id labels { key value } }
}`;
export const ISSUE_KUBECONFIG = `mutation IssueKubeconfig($id: ID!) { issueClusterKubeconfig(clusterId: $id) { kubeconfig expiresAt } }`;

export interface Label {
  key: string;
  value: string;
}
export interface ClusterRow {
  id: string;
  name: string;
  isDefault: boolean;
  enabled: boolean;
  labels: Label[];
  healthStatus: string;
  healthMessage: string | null;
  kubernetesVersion: string | null;
  nodeCount: number;
  readyNodeCount: number | null;
  podCount: number;
  prometheusUrl: string | null;
  prometheusSource: 'NONE' | 'AUTO' | 'MANUAL';
  lastConnectedAt: string | null;
  myRole: 'VIEWER' | 'EDITOR' | 'ADMIN';
  metricsSummary?: { cpuUsagePercent: number | null; memoryUsagePercent: number | null; podsRunning: number | null; at: string } | null;
}
export interface FleetPage {
  clusters: { total: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; items: ClusterRow[] };
}
export interface Availability {
  window: string;
  observedSeconds: number;
  reachableRatio: number | null;
  healthyRatio: number | null;
  lastReachableAt: string | null;
  lastHealthyAt: string | null;
}
export interface HealthEvent {
  at: string;
  from: string;
  to: string;
  message: string | null;
}
export interface ClusterDetail extends ClusterRow {
  createdAt: string;
  impersonate: boolean;
  healthHistory: { items: HealthEvent[] };
  day: Availability;
  week: Availability;
}
export interface Series {
  name: string;
  unit: string;
  error: string | null;
  samples: { t: string; v: number }[];
}
export interface Metrics {
  source: string;
  range: string;
  stepSeconds: number;
  cpuUsagePercent: Series;
  memoryUsagePercent: Series;
  podsRunning: Series;
  networkReceiveBytesPerSecond: Series;
  networkTransmitBytesPerSecond: Series;
}
export interface DiscoveryStatus {
  state: string;
  message: string | null;
  prometheusUrl: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  candidatesChecked: number | null;
}
