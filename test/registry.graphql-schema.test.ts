import {
  buildClientSchema,
  getIntrospectionQuery,
  getNamedType,
  graphql,
  type GraphQLEnumType,
  type GraphQLInputObjectType,
  type GraphQLObjectType,
  type GraphQLSchema,
  isEnumType,
  isInputObjectType,
  parse,
  print,
  printSchema,
  visit,
} from 'graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import { AccessManager } from '../src/access/access.manager.js';
import type { GrantsRepository } from '../src/access/grants.repository.js';
import type { RequestContext } from '../src/auth/principal.js';
import { ClusterManager } from '../src/clusters/cluster.manager.js';
import type { ClusterService } from '../src/clusters/cluster.service.js';
import type { ClusterView } from '../src/clusters/cluster.view.js';
import { buildGatewaySchema } from '../src/graphql/schema.js';
import { AccessResolver } from '../src/resolvers/access.resolver.js';
import type { AuditManager } from '../src/audit/audit.manager.js';
import { AuditResolver } from '../src/resolvers/audit.resolver.js';
import { ClusterResolver } from '../src/resolvers/cluster.resolver.js';
import { WebhookResolver } from '../src/resolvers/webhook.resolver.js';
import { AccessTokenResolver } from '../src/resolvers/access-token.resolver.js';
import type { TokenManager } from '../src/access/token.manager.js';
import type { WebhookManager } from '../src/webhooks/webhook.manager.js';
import { testDrivers } from './support/databases.js';
import { DESIGN_ARGS, DESIGN_ENUMS, DESIGN_INPUTS, expectDesignSurface, type Surface, surfaceOf } from './support/design-surface.js';
import { useTestGateway } from './support/gateway.js';

/**
 * The GraphQL schema against DESIGN.md: as served over HTTP (introspection without a token), and as built
 * (graphql() on the schema with a stand-in service), including its wiring, names and authorization.
 */

describe.each(testDrivers())('GraphQL cluster registry over HTTP on %s', (driver) => {
  const t = useTestGateway(driver);

  it('introspection works without a token', async () => {
    const res = await t.gql(
      `{ __schema { queryType { name } mutationType { name } } __type(name: "Cluster") { fields { name } } }`,
      {},
      { token: null },
    );
    expect(res.status).toBe(200);
    expect(res.errors).toBeUndefined();
    expect(res.data.__schema).toEqual({ queryType: { name: 'Query' }, mutationType: { name: 'Mutation' } });
    expect((res.data.__type.fields as { name: string }[]).map((f) => f.name)).toContain('kubeconfig');
  });

  it('answers the standard introspection query (getIntrospectionQuery, as GraphiQL and codegen send it) without a token', async () => {
    const res = await t.gql(getIntrospectionQuery(), {}, { token: null });
    expect(res.errors).toBeUndefined();
    expect(res.status).toBe(200);
    const served = buildClientSchema(res.data);
    expect(served.getType('Cluster')).toBeDefined();
  });

  it('the served schema (introspected without a token) matches the DESIGN.md surface', async () => {
    const typeRef = 'kind name ofType { kind name ofType { kind name ofType { kind name } } }';
    const res = await t.gql(`{ __schema { types { name kind fields { name type { ${typeRef} } } } } }`, {}, { token: null });
    expect(res.errors).toBeUndefined();
    type Ref = { kind: string; name: string | null; ofType?: Ref | null };
    const render = (r: Ref): string => (r.kind === 'NON_NULL' ? `${render(r.ofType!)}!` : r.kind === 'LIST' ? `[${render(r.ofType!)}]` : r.name!);
    const types = res.data.__schema.types as { name: string; kind: string; fields: { name: string; type: Ref }[] | null }[];
    const surface: Surface = new Map(
      types.filter((ty) => ty.kind === 'OBJECT').map((ty) => [ty.name, new Map((ty.fields ?? []).map((f) => [f.name, render(f.type)]))]),
    );
    expectDesignSurface(surface);
  });
});

const sampleView = (over: Partial<ClusterView> = {}): ClusterView => ({
  id: 7,
  name: 'prod',
  isDefault: true,
  enabled: true,
  healthStatus: 'warning',
  healthMessage: '1 of 3 nodes NotReady',
  lastConnectedAt: new Date('2025-10-17T10:30:00Z'),
  kubernetesVersion: 'v1.31.4',
  nodeCount: 3,
  readyNodeCount: 2,
  podCount: 150,
  prometheusUrl: 'http://prometheus.monitoring:9090',
  prometheusSource: 'auto',
  impersonate: false,
  labels: [],
  createdAt: new Date('2025-10-17T08:00:00Z'),
  updatedAt: new Date('2025-10-17T10:30:00Z'),
  ...over,
});

describe('GraphQL schema (graphql() on the built schema)', () => {
  let schema: GraphQLSchema;
  const calls: string[] = [];
  // A stand-in service: the schema tests check wiring, names and authorization, not storage.
  const service = {
    list: async () => {
      calls.push('list');
      return {
        items: [sampleView(), sampleView({ id: 8, name: 'stage', isDefault: false, healthStatus: 'unavailable', prometheusSource: 'manual' })],
        version: 1,
      };
    },
    get: async (id: number) => {
      calls.push(`get:${id}`);
      return sampleView({ id });
    },
    current: async () => sampleView(),
    kubeconfig: async (id: number) => {
      calls.push(`kubeconfig:${id}`);
      return 'apiVersion: v1\n';
    },
    create: async () => {
      calls.push('create');
      return sampleView();
    },
    update: async () => {
      calls.push('update');
      return sampleView();
    },
    remove: async () => {
      calls.push('remove');
    },
  } as unknown as ClusterService;
  const ctx = (role: 'admin' | 'user' | null): RequestContext => ({ requestId: 'test', principal: role ? { subject: 's', role, groups: [] } : null });

  beforeAll(async () => {
    // No grants stored: every user is a VIEWER (DEFAULT_CLUSTER_ROLE viewer), as before per-cluster access existed.
    const access = new AccessManager({ rolesOf: async () => new Map() } as unknown as GrantsRepository, 'viewer');
    // The audit and webhook resolvers contribute DESIGN.md's types; their managers are never called here.
    schema = await buildGatewaySchema([
      new ClusterResolver(new ClusterManager(service, access)),
      new AccessResolver(access),
      new AuditResolver({} as AuditManager),
      new WebhookResolver({} as WebhookManager),
      new AccessTokenResolver({} as TokenManager),
    ]);
  });

  it('has exactly the object types and field types of DESIGN.md (for what exists today)', () => {
    expectDesignSurface(surfaceOf(schema));
    expect(schema.getQueryType()?.name).toBe('Query');
    expect(schema.getMutationType()?.name).toBe('Mutation');
  });

  it('has the arguments of DESIGN.md', () => {
    for (const [path, args] of Object.entries(DESIGN_ARGS)) {
      const [typeName, fieldName] = path.split('.') as [string, string];
      const field = (schema.getType(typeName) as GraphQLObjectType).getFields()[fieldName]!;
      // Arguments are named, so their order is not part of the API.
      const sorted = (list: string[]) => [...list].sort().join(', ');
      expect(sorted(field.args.map((a) => `${a.name}: ${String(a.type)}`)), path).toBe(sorted(args ? args.split(', ') : []));
    }
  });

  it('has exactly the input types of DESIGN.md', () => {
    for (const [typeName, fields] of Object.entries(DESIGN_INPUTS)) {
      const type = schema.getType(typeName);
      expect(isInputObjectType(type), typeName).toBe(true);
      const actual = (type as GraphQLInputObjectType).getFields();
      expect(Object.fromEntries(Object.entries(actual).map(([n, f]) => [n, String(f.type)])), typeName).toEqual(fields);
    }
  });

  it('has exactly the enum values of DESIGN.md', () => {
    for (const [typeName, values] of Object.entries(DESIGN_ENUMS)) {
      const type = schema.getType(typeName);
      expect(isEnumType(type), typeName).toBe(true);
      expect(
        (type as GraphQLEnumType)
          .getValues()
          .map((v) => v.name)
          .sort(),
        typeName,
      ).toEqual([...values].sort());
    }
    expect(getNamedType(schema.getType('DateTime')!)?.name).toBe('DateTime');
  });

  it('printSchema shows the SDL with the public names', () => {
    // Every element carries a description (issue 17), which puts arguments on lines of their own: compare the SDL
    // without descriptions, where each field's signature is one line.
    const withoutDescriptions = visit(parse(printSchema(schema)), {
      enter: (node) => ('description' in node && node.description ? { ...node, description: undefined } : undefined),
    });
    const sdl = print(withoutDescriptions);
    expect(sdl).toContain('type Query {');
    expect(sdl).toMatch(/clusters(\([^)]*\))?: ClusterList!/);
    expect(sdl).toMatch(/cluster\(id: ID!\): Cluster\n/);
    expect(sdl).toMatch(/currentCluster: Cluster\n/);
    expect(sdl).toMatch(/createCluster\(input: CreateClusterInput!\): Cluster!/);
    expect(sdl).toMatch(/updateCluster\((id: ID!, input: UpdateClusterInput!|input: UpdateClusterInput!, id: ID!)\): Cluster!/);
    expect(sdl).toMatch(/deleteCluster\(id: ID!\): Boolean!/);
    expect(sdl).toContain('enum HealthStatus {');
    expect(sdl).toContain('enum PrometheusSource {');
  });

  it('resolves clusters with upper-case enums and ISO timestamps; no kubeconfig in lists', async () => {
    const source = `{ clusters { total items { id name healthStatus prometheusSource lastConnectedAt kubeconfig } } }`;
    const admin = await graphql({ schema, source, contextValue: ctx('admin') });
    expect(admin.errors).toBeUndefined();
    // graphql-scalars' DateTime serializes to a Date in-process; the wire (JSON) form is the ISO string.
    expect(JSON.parse(JSON.stringify(admin.data))).toEqual({
      clusters: {
        total: 2,
        items: [
          { id: '7', name: 'prod', healthStatus: 'WARNING', prometheusSource: 'AUTO', lastConnectedAt: '2025-10-17T10:30:00.000Z', kubeconfig: null },
          {
            id: '8',
            name: 'stage',
            healthStatus: 'UNAVAILABLE',
            prometheusSource: 'MANUAL',
            lastConnectedAt: '2025-10-17T10:30:00.000Z',
            kubeconfig: null,
          },
        ],
      },
    });
    calls.length = 0;
    const user = await graphql({ schema, source, contextValue: ctx('user') });
    expect(user.errors).toBeUndefined();
    expect((user.data as { clusters: { items: { kubeconfig: unknown }[] } }).clusters.items.map((i) => i.kubeconfig)).toEqual([null, null]);
    // A user's request never decrypts a kubeconfig.
    expect(calls.filter((c) => c.startsWith('kubeconfig'))).toEqual([]);
  });

  it('refuses anonymous reads and non-admin writes before touching the service', async () => {
    calls.length = 0;
    const anon = await graphql({ schema, source: '{ clusters { total } }', contextValue: ctx(null) });
    expect(anon.errors?.[0]?.originalError?.constructor.name).toBe('UnauthenticatedError');
    for (const source of [
      'mutation { createCluster(input: { name: "x", kubeconfig: "y" }) { id } }',
      'mutation { updateCluster(id: "7", input: { enabled: false }) { id } }',
      'mutation { deleteCluster(id: "7") }',
    ]) {
      const res = await graphql({ schema, source, contextValue: ctx('user') });
      expect(res.errors?.[0]?.originalError?.constructor.name, source).toBe('ForbiddenError');
    }
    expect(calls).toEqual([]);
  });

  it('cluster(id) parses the id before calling the service', async () => {
    calls.length = 0;
    const bad = await graphql({ schema, source: '{ cluster(id: "abc") { id } }', contextValue: ctx('user') });
    expect(bad.errors?.[0]?.originalError?.constructor.name).toBe('ValidationError');
    expect(calls).toEqual([]);
    const good = await graphql({ schema, source: '{ cluster(id: " 42 ") { id } }', contextValue: ctx('user') });
    expect(good.errors).toBeUndefined();
    expect(calls).toEqual(['get:42']);
  });
});
