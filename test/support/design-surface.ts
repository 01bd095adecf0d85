import { type GraphQLSchema, isObjectType } from 'graphql';
import { expect } from 'vitest';

/**
 * DESIGN.md's GraphQL surface as data (its names are the public API), checked both on the schema the gateway builds
 * and on the one it serves (test/registry.graphql-schema.test.ts).
 */

/** DESIGN.md's GraphQL surface. Names in FUTURE are not built yet: allowed (with DESIGN's type), not required. */
export const DESIGN_OBJECTS: Record<string, Record<string, string>> = {
  Query: {
    clusters: 'ClusterList!',
    cluster: 'Cluster',
    currentCluster: 'Cluster',
    auditEvents: 'AuditEventConnection!',
    planClusterImport: 'ClusterImportPlan!',
    webhooks: '[Webhook!]!',
    accessTokens: '[AccessToken!]!',
  },
  Mutation: {
    issueClusterKubeconfig: 'IssuedKubeconfig!',
    revokeAccessToken: 'Boolean!',
    createCluster: 'Cluster!',
    updateCluster: 'Cluster!',
    deleteCluster: 'Boolean!',
    grantClusterAccess: 'ClusterGrant!',
    revokeClusterAccess: 'Boolean!',
    testClusterConnection: 'ConnectionTestResult!',
    rediscoverPrometheus: 'DiscoveryStatus!',
    applyClusterImport: 'ClusterImportResult!',
    createWebhook: 'CreatedWebhook!',
    updateWebhook: 'Webhook!',
    deleteWebhook: 'Boolean!',
    testWebhook: 'WebhookDelivery!',
  },
  Cluster: {
    id: 'ID!',
    name: 'String!',
    isDefault: 'Boolean!',
    enabled: 'Boolean!',
    healthStatus: 'HealthStatus!',
    healthMessage: 'String',
    lastConnectedAt: 'DateTime',
    kubernetesVersion: 'String',
    nodeCount: 'Int!',
    readyNodeCount: 'Int',
    podCount: 'Int!',
    prometheusUrl: 'String',
    prometheusSource: 'PrometheusSource!',
    impersonate: 'Boolean!',
    myRole: 'ClusterRole!',
    grants: '[ClusterGrant!]!',
    discovery: 'DiscoveryStatus',
    kubeconfig: 'String',
    metrics: 'ClusterMetrics!',
    metricsSummary: 'MetricsSummary',
    lastHealthyAt: 'DateTime',
    healthHistory: 'HealthEventConnection!',
    availability: 'Availability!',
    labels: '[ClusterLabel!]!',
    createdAt: 'DateTime!',
    updatedAt: 'DateTime!',
  },
  ClusterList: { items: '[Cluster!]!', total: 'Int!', pageInfo: 'PageInfo!' },
  ClusterLabel: { key: 'String!', value: 'String!' },
  IssuedKubeconfig: { kubeconfig: 'String!', tokenId: 'ID!', expiresAt: 'DateTime!' },
  AccessToken: {
    id: 'ID!',
    subject: 'String!',
    clusterId: 'ID!',
    createdAt: 'DateTime!',
    expiresAt: 'DateTime!',
    revokedAt: 'DateTime',
    lastUsedAt: 'DateTime',
  },
  MetricSample: { t: 'DateTime!', v: 'Float!' },
  MetricSeries: { name: 'String!', unit: 'String!', samples: '[MetricSample!]!', error: 'String' },
  ClusterMetrics: {
    source: 'String!',
    range: 'MetricsRange!',
    stepSeconds: 'Int!',
    cpuUsagePercent: 'MetricSeries!',
    memoryUsagePercent: 'MetricSeries!',
    podsRunning: 'MetricSeries!',
    networkReceiveBytesPerSecond: 'MetricSeries!',
    networkTransmitBytesPerSecond: 'MetricSeries!',
  },
  MetricsSummary: { cpuUsagePercent: 'Float', memoryUsagePercent: 'Float', podsRunning: 'Float', at: 'DateTime!' },
  ClusterGrant: {
    id: 'ID!',
    clusterId: 'ID!',
    subject: 'String!',
    subjectKind: 'SubjectKind!',
    role: 'ClusterRole!',
    createdAt: 'DateTime!',
    createdBy: 'String!',
  },
  PageInfo: { hasNextPage: 'Boolean!', endCursor: 'String' },
  AuditEvent: {
    id: 'ID!',
    at: 'DateTime!',
    actor: 'String!',
    action: 'String!',
    clusterId: 'ID',
    clusterName: 'String',
    target: 'String',
    outcome: 'Int!',
    requestId: 'String',
    sourceIp: 'String',
  },
  AuditEventConnection: { items: '[AuditEvent!]!', pageInfo: 'PageInfo!' },
  HealthEvent: { at: 'DateTime!', from: 'HealthStatus!', to: 'HealthStatus!', message: 'String' },
  HealthEventConnection: { items: '[HealthEvent!]!', pageInfo: 'PageInfo!' },
  Availability: {
    window: 'AvailabilityWindow!',
    observedSeconds: 'Int!',
    reachableRatio: 'Float',
    healthyRatio: 'Float',
    lastReachableAt: 'DateTime',
    lastHealthyAt: 'DateTime',
  },
  ClusterImportPlanItem: {
    context: 'String!',
    name: 'String!',
    server: 'String',
    action: 'ImportAction!',
    reason: 'String',
    reachable: 'Boolean',
    kubernetesVersion: 'String',
    existingClusterId: 'ID',
  },
  ClusterImportPlan: { items: '[ClusterImportPlanItem!]!' },
  ClusterImportResultItem: { context: 'String!', name: 'String!', outcome: 'ImportOutcome!', clusterId: 'ID', message: 'String' },
  ClusterImportResult: { items: '[ClusterImportResultItem!]!' },
  Webhook: {
    id: 'ID!',
    url: 'String!',
    events: '[WebhookEvent!]!',
    format: 'WebhookFormat!',
    enabled: 'Boolean!',
    labelSelector: 'String',
    createdAt: 'DateTime!',
    deliveries: '[WebhookDelivery!]!',
  },
  WebhookDelivery: {
    id: 'ID!',
    event: 'WebhookEvent!',
    clusterId: 'ID',
    attempt: 'Int!',
    status: 'String!',
    responseStatus: 'Int',
    nextAttemptAt: 'DateTime',
    createdAt: 'DateTime!',
  },
  CreatedWebhook: { webhook: 'Webhook!', secret: 'String!' },
};
const FUTURE = new Set([
  'Mutation.testClusterConnection',
  'Mutation.rediscoverPrometheus',
  'Cluster.discovery',
  // Fleet (issue 14): built by their own resolvers, so a schema of ClusterResolver alone lacks them.
  'Query.planClusterImport',
  'Mutation.applyClusterImport',
  'Cluster.lastHealthyAt',
  'Cluster.healthHistory',
  'Cluster.availability',
]);
/** Object types only reachable through FUTURE fields: checked when present. */
const FUTURE_TYPES = new Set([
  'PageInfo',
  'HealthEvent',
  'HealthEventConnection',
  'Availability',
  'ClusterImportPlanItem',
  'ClusterImportPlan',
  'ClusterImportResultItem',
  'ClusterImportResult',
]);

/** Object type → field → rendered type (`[Cluster!]!`). */
export type Surface = Map<string, Map<string, string>>;

export function surfaceOf(schema: GraphQLSchema): Surface {
  const surface: Surface = new Map();
  for (const type of Object.values(schema.getTypeMap())) {
    if (isObjectType(type)) surface.set(type.name, new Map(Object.values(type.getFields()).map((f) => [f.name, String(f.type)])));
  }
  return surface;
}

/** Every DESIGN.md field that exists today is present with DESIGN's type; nothing outside DESIGN.md is exposed. */
export function expectDesignSurface(surface: Surface): void {
  for (const [typeName, fields] of Object.entries(DESIGN_OBJECTS)) {
    const actual = surface.get(typeName);
    if (!actual && FUTURE_TYPES.has(typeName)) continue;
    expect(actual, `object type ${typeName}`).toBeDefined();
    for (const name of actual!.keys()) expect(Object.keys(fields), `${typeName}.${name} is not in DESIGN.md`).toContain(name);
    for (const [name, typeString] of Object.entries(fields)) {
      if (FUTURE.has(`${typeName}.${name}`) && !actual!.has(name)) continue;
      expect(actual!.get(name), `${typeName}.${name}`).toBe(typeString);
    }
  }
}

/** Arguments of each root field, `name: Type` joined with ", " (order is not part of the API). */
export const DESIGN_ARGS: Record<string, string> = {
  'Query.cluster': 'id: ID!',
  'Query.clusters': 'filter: ClusterFilter, first: Int, after: String, orderBy: ClusterOrderBy',
  'Query.currentCluster': '',
  'Mutation.createCluster': 'input: CreateClusterInput!',
  'Mutation.updateCluster': 'id: ID!, input: UpdateClusterInput!',
  'Mutation.deleteCluster': 'id: ID!',
  'Mutation.grantClusterAccess': 'input: GrantClusterAccessInput!',
  'Mutation.revokeClusterAccess': 'id: ID!',
  'Query.auditEvents': 'filter: AuditFilter, first: Int, after: String',
  'Query.webhooks': '',
  'Mutation.createWebhook': 'input: CreateWebhookInput!',
  'Mutation.updateWebhook': 'id: ID!, input: UpdateWebhookInput!',
  'Mutation.deleteWebhook': 'id: ID!',
  'Mutation.testWebhook': 'id: ID!',
  'Query.accessTokens': '',
  'Mutation.issueClusterKubeconfig': 'clusterId: ID!, ttlSeconds: Int',
  'Mutation.revokeAccessToken': 'id: ID!',
};
/** Input types: field → type. */
export const DESIGN_INPUTS: Record<string, Record<string, string>> = {
  CreateClusterInput: {
    name: 'String!',
    kubeconfig: 'String!',
    isDefault: 'Boolean',
    enabled: 'Boolean',
    skipConnectionTest: 'Boolean',
    impersonate: 'Boolean',
    labels: '[ClusterLabelInput!]',
  },
  UpdateClusterInput: {
    name: 'String',
    kubeconfig: 'String',
    isDefault: 'Boolean',
    enabled: 'Boolean',
    prometheusUrl: 'String',
    impersonate: 'Boolean',
    labels: '[ClusterLabelInput!]',
  },
  GrantClusterAccessInput: { clusterId: 'ID!', subject: 'String!', subjectKind: 'SubjectKind!', role: 'ClusterRole!' },
  AuditFilter: { clusterId: 'ID', actor: 'String', action: 'String', since: 'DateTime', until: 'DateTime' },
  CreateWebhookInput: {
    url: 'String!',
    events: '[WebhookEvent!]!',
    format: 'WebhookFormat',
    secret: 'String',
    labelSelector: 'String',
    enabled: 'Boolean',
  },
  UpdateWebhookInput: { url: 'String', events: '[WebhookEvent!]', format: 'WebhookFormat', labelSelector: 'String', enabled: 'Boolean' },
  ClusterLabelInput: { key: 'String!', value: 'String!' },
  ClusterFilter: {
    search: 'String',
    healthStatus: '[HealthStatus!]',
    labelSelector: 'String',
    enabled: 'Boolean',
    prometheusSource: '[PrometheusSource!]',
  },
  ClusterOrderBy: { field: 'ClusterOrderField!', direction: 'OrderDirection!' },
};
/** Enum types: every value. */
export const DESIGN_ENUMS: Record<string, string[]> = {
  HealthStatus: ['UNKNOWN', 'HEALTHY', 'WARNING', 'ERROR', 'UNAVAILABLE'],
  PrometheusSource: ['NONE', 'AUTO', 'MANUAL'],
  MetricsRange: ['HOUR', 'SIX_HOURS', 'DAY', 'WEEK'],
  ClusterRole: ['VIEWER', 'EDITOR', 'ADMIN'],
  SubjectKind: ['USER', 'GROUP'],
  // PING is an addition to DESIGN.md: testWebhook's delivery needs an event value (it cannot be subscribed to).
  WebhookEvent: [
    'CLUSTER_CREATED',
    'CLUSTER_UPDATED',
    'CLUSTER_DELETED',
    'CLUSTER_HEALTH_CHANGED',
    'CREDENTIALS_EXPIRING',
    'DISCOVERY_FINISHED',
    'PING',
  ],
  WebhookFormat: ['JSON', 'SLACK'],
  ClusterOrderField: ['NAME', 'CREATED_AT', 'UPDATED_AT', 'HEALTH_STATUS'],
  OrderDirection: ['ASC', 'DESC'],
};
