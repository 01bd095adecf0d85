import type { ApolloServerPlugin } from '@apollo/server';
import {
  getNamedType,
  isInterfaceType,
  isObjectType,
  Kind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import type { Caller, RequestContext } from '../auth/principal.js';
import type { ClusterListSnapshot } from '../clusters/cluster-list-cache.js';
import { NO_STORE } from '../rest/responses.js';
import { servedPerRequest } from '../schema/field-extensions.js';

/** Arguments of `clusters` that make it a SQL read rather than a cut of the cached list (ClusterManager.page). */
const SQL_LIST_ARGUMENTS = new Set(['filter', 'orderBy']);

const JSON_UTF8 = 'application/json; charset=utf-8';
const GRAPHQL_RESPONSE_JSON = 'application/graphql-response+json; charset=utf-8';
/**
 * The response type Apollo negotiates for the Accept headers real clients send (its
 * `chooseContentTypeForSingleResultResponse`); requests with any other Accept header are not answered from memory.
 */
const CONTENT_TYPE_BY_ACCEPT = new Map<string | undefined, string>([
  [undefined, JSON_UTF8],
  ['*/*', JSON_UTF8],
  ['application/json', JSON_UTF8],
  ['application/json, */*', JSON_UTF8],
  ['application/json, multipart/mixed', JSON_UTF8],
  ['application/graphql-response+json', GRAPHQL_RESPONSE_JSON],
  ['application/graphql-response+json, application/json', GRAPHQL_RESPONSE_JSON],
  ['application/graphql-response+json, application/json, multipart/mixed', GRAPHQL_RESPONSE_JSON],
]);

/** The content type Apollo answers a request with this Accept header, if it is one answered ahead of Apollo. */
export const contentTypeForAccept = (accept: string | undefined): string | undefined => CONTENT_TYPE_BY_ACCEPT.get(accept);

/** A GraphQL request as it arrives in a POST body. */
export interface GraphQLRequestBody {
  query?: unknown;
  operationName?: unknown;
  variables?: unknown;
  extensions?: unknown;
}

export interface CachedGraphQLResponse {
  contentType: string;
  body: Buffer;
}

const keyOf = (query: string, operationName: unknown, variables: unknown) =>
  `${typeof operationName === 'string' ? operationName : ''}\u0000${query}\u0000${JSON.stringify(variables ?? {})}`;

/** Bounds of the rendered answers kept in memory (one replica). */
export interface ListResponseCacheLimits {
  /** Most answers kept. */
  maxEntries: number;
  /** Most bytes kept, all answers together: any caller can choose what is rendered, so entries alone bound nothing. */
  maxBytes: number;
  /** Answers larger than this are never kept: one would crowd out every ordinary list read. */
  maxEntryBytes: number;
}

export const DEFAULT_LIST_RESPONSE_CACHE_LIMITS: ListResponseCacheLimits = {
  maxEntries: 200,
  maxBytes: 32 * 1024 * 1024,
  maxEntryBytes: 4 * 1024 * 1024,
};

/**
 * Rendered answers to list reads (`{ clusters { … } }`), so repeated reads skip Apollo entirely (see
 * http/cached-reads.ts). Apollo's plugin stores an answer after executing an operation that reads nothing but list
 * fields, for an authenticated caller, without errors; an answer is served only while the cluster list has the
 * version it was computed under (ClusterListCache gives new content a new version after any change on any replica).
 * Pages of the whole list (`clusters(first:, after:)`) are cut from that same list and cached the same way (the
 * variables are part of the key); filtered or ordered reads are not cached: they run in SQL, whose rows may be newer
 * than the version the answer would be filed under. A hit is byte for byte what execution would have produced.
 *
 * One rendered answer serves many callers, so it is stored and served only for callers who see every cluster
 * (`sharedWith`: global admins, or everyone under DEFAULT_CLUSTER_ROLE viewer), and operations selecting a field whose
 * value differs per caller (schema extension `perCaller`, e.g. `myRole`, `kubeconfig`, `grants`) or comes from outside
 * the list (`outsideClusterList`) always execute: what remains is the same for every such caller.
 *
 * Memory is bounded by bytes as well as entries (oldest first out), and the first time a new list version is seen
 * every answer rendered under an older version is dropped: a stale answer can never be served again, so keeping it only
 * pins memory.
 */
export class ListResponseCache {
  private readonly entries = new Map<string, { version: number; body: Buffer }>();
  private bytes = 0;
  /** The list version the kept answers were rendered under (all of them: older ones are purged on change). */
  private versionSeen?: number;
  // Keyed by the operation node: Apollo reuses parsed documents, so this is computed once per distinct operation.
  private readonly cacheable = new WeakMap<OperationDefinitionNode, boolean>();
  private readonly limits: ListResponseCacheLimits;

  constructor(
    private readonly currentList: () => Promise<ClusterListSnapshot>,
    private readonly stringify: (result: { data: Record<string, unknown> }) => string,
    /** Whether this caller sees exactly the list every other sharer sees (AccessManager.seesEveryCluster). */
    private readonly sharedWith: (caller: Caller) => boolean,
    limits: Partial<ListResponseCacheLimits> = {},
  ) {
    this.limits = { ...DEFAULT_LIST_RESPONSE_CACHE_LIMITS, ...limits };
  }

  /** Bytes of rendered answers held right now. */
  get byteSize(): number {
    return this.bytes;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The stored answer for this request, if it is still current. */
  async lookup(request: GraphQLRequestBody, accept: string | undefined, caller: Caller): Promise<CachedGraphQLResponse | undefined> {
    const contentType = CONTENT_TYPE_BY_ACCEPT.get(accept);
    if (!contentType || !isWellFormed(request) || !this.sharedWith(caller)) return undefined;
    const key = keyOf(request.query, request.operationName, request.variables);
    if (!this.entries.has(key)) return undefined;
    const { version } = await this.currentList();
    this.observe(version);
    const entry = this.entries.get(key);
    return entry && entry.version === version ? { contentType, body: entry.body } : undefined;
  }

  plugin(): ApolloServerPlugin<RequestContext> {
    const cache = this;
    return {
      async requestDidStart() {
        let version: number | undefined;
        return {
          async didResolveOperation(rc) {
            const op = rc.operation;
            if (!rc.contextValue.principal || op?.operation !== 'query' || typeof rc.request.query !== 'string') return;
            if (!cache.sharedWith(rc.contextValue) || !cache.isCacheable(rc.schema, rc.document, op)) return;
            // Taken before execution: should the list change meanwhile, the entry is stale at once and never served.
            version = (await cache.currentList()).version;
            cache.observe(version);
          },
          async willSendResponse(rc) {
            if (version === undefined || rc.response.body.kind !== 'single') return;
            const { data, errors, extensions } = rc.response.body.singleResult;
            if (errors?.length || extensions || !data) return;
            // Anything beyond the content type (set later by Apollo) and `Cache-Control: no-store` (which the lane
            // always sends) would not be replayed: do not store such answers.
            if (
              (rc.response.http.status ?? 200) !== 200 ||
              [...rc.response.http.headers].some(([name, value]) => name !== 'cache-control' || value !== NO_STORE)
            )
              return;
            cache.store(keyOf(rc.request.query!, rc.request.operationName, rc.request.variables), version, cache.stringify({ data }));
          },
        };
      },
    };
  }

  private store(key: string, version: number, rendered: string): void {
    // Rendered under a version that has been replaced meanwhile: it could never be served.
    if (version !== this.versionSeen) return;
    // Measured before a Buffer is made, so an oversized answer never costs a copy.
    if (Buffer.byteLength(rendered) > this.limits.maxEntryBytes) return;
    const body = Buffer.from(rendered);
    this.remove(key);
    while (this.entries.size > 0 && (this.entries.size >= this.limits.maxEntries || this.bytes + body.length > this.limits.maxBytes)) {
      this.remove(this.entries.keys().next().value!);
    }
    this.entries.set(key, { version, body });
    this.bytes += body.length;
  }

  /** Notes the current version; the first sight of a new one drops every answer rendered under another. */
  private observe(version: number): void {
    if (version === this.versionSeen) return;
    this.versionSeen = version;
    for (const [key, entry] of this.entries) if (entry.version !== version) this.remove(key);
  }

  private remove(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.bytes -= entry.body.length;
  }

  /** Whether this operation's answers are filed here (its plugin must see it executed in Apollo to do so). */
  isCacheable(schema: GraphQLSchema, doc: DocumentNode, operation: OperationDefinitionNode): boolean {
    let ok = this.cacheable.get(operation);
    if (ok === undefined) {
      ok = onlyListFields(schema, doc, operation.selectionSet);
      this.cacheable.set(operation, ok);
    }
    return ok;
  }
}

/** Shapes Apollo accepts as they are; anything else is left to Apollo to reject (or coerce) and never matches. */
function isWellFormed(r: GraphQLRequestBody): r is GraphQLRequestBody & { query: string } {
  const { operationName: name, variables: vars } = r;
  return (
    typeof r.query === 'string' &&
    r.extensions === undefined &&
    (name === undefined || name === null || typeof name === 'string') &&
    (vars === undefined || vars === null || (typeof vars === 'object' && !Array.isArray(vars)))
  );
}

/**
 * True when the operation's only root field is `clusters` and no selection below reaches a field the schema marks as
 * served per request (schema/field-extensions.ts). Field definitions are looked up along the selection's types; a
 * name the schema does not know (the operation will fail validation anyway) or an abstract type opts out.
 */
function onlyListFields(schema: GraphQLSchema, doc: DocumentNode, root: SelectionSetNode): boolean {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of doc.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const rootFields = new Set<string>();
  const visit = (set: SelectionSetNode, parent: GraphQLNamedType | null | undefined, isRoot: boolean, seen: Set<string>): boolean => {
    if (!isObjectType(parent) && !isInterfaceType(parent)) return false;
    for (const sel of set.selections) {
      // @include/@skip read only variables, which are part of the key; any other directive opts out.
      if (sel.directives?.some((d) => d.name.value !== 'include' && d.name.value !== 'skip')) return false;
      if (sel.kind === Kind.FIELD) {
        if (isRoot) rootFields.add(sel.name.value);
        if (sel.name.value === '__typename') continue;
        const field = parent.getFields()[sel.name.value];
        if (!field || servedPerRequest(field.extensions)) return false;
        if (isRoot && sel.arguments?.some((a) => SQL_LIST_ARGUMENTS.has(a.name.value))) return false;
        if (sel.selectionSet && !visit(sel.selectionSet, getNamedType(field.type), false, seen)) return false;
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        const type = sel.typeCondition ? schema.getType(sel.typeCondition.name.value) : parent;
        if (!visit(sel.selectionSet, type, isRoot, seen)) return false;
      } else {
        const frag = fragments.get(sel.name.value);
        if (!frag || seen.has(frag.name.value)) return false;
        if (!visit(frag.selectionSet, schema.getType(frag.typeCondition.name.value), isRoot, new Set(seen).add(frag.name.value))) return false;
      }
    }
    return true;
  };
  if (!visit(root, schema.getQueryType(), true, new Set())) return false;
  rootFields.delete('__typename');
  return rootFields.size === 1 && rootFields.has('clusters');
}
