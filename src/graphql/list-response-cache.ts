import type { ApolloServerPlugin } from '@apollo/server';
import { Kind, type DocumentNode, type FragmentDefinitionNode, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';
import type { RequestContext } from '../auth/principal.js';
import type { ClusterView } from '../clusters/cluster.view.js';

/** Fields whose value depends on the caller or on more than the cached list: operations selecting them always run. */
const UNCACHEABLE_FIELDS = new Set(['kubeconfig', 'discovery']);

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

/**
 * Rendered answers to list reads (`{ clusters { … } }`), so repeated reads skip Apollo entirely (see
 * http/cached-reads.ts). Apollo's plugin stores an answer after executing an operation that reads nothing but list
 * fields, for an authenticated caller, without errors; an answer is served only while the cluster list is the very
 * same array instance it was computed from (ClusterListCache hands out a new one after any change on any replica),
 * so a hit is byte for byte what execution would have produced.
 */
export class ListResponseCache {
  private readonly entries = new Map<string, { list: readonly ClusterView[]; body: Buffer }>();
  // Keyed by the operation node: Apollo reuses parsed documents, so this is computed once per distinct operation.
  private readonly cacheable = new WeakMap<OperationDefinitionNode, boolean>();

  constructor(
    private readonly currentList: () => Promise<readonly ClusterView[]>,
    private readonly stringify: (result: { data: Record<string, unknown> }) => string,
    private readonly maxEntries = 200,
  ) {}

  /** The stored answer for this request, if it is still current. */
  async lookup(request: GraphQLRequestBody, accept: string | undefined): Promise<CachedGraphQLResponse | undefined> {
    const contentType = CONTENT_TYPE_BY_ACCEPT.get(accept);
    if (!contentType || !isWellFormed(request)) return undefined;
    const entry = this.entries.get(keyOf(request.query, request.operationName, request.variables));
    if (!entry) return undefined;
    return entry.list === (await this.currentList()) ? { contentType, body: entry.body } : undefined;
  }

  plugin(): ApolloServerPlugin<RequestContext> {
    const cache = this;
    return {
      async requestDidStart() {
        let list: readonly ClusterView[] | undefined;
        return {
          async didResolveOperation(rc) {
            const op = rc.operation;
            if (!rc.contextValue.principal || op?.operation !== 'query' || typeof rc.request.query !== 'string') return;
            if (!cache.isCacheable(rc.document, op)) return;
            // Taken before execution: should the list change meanwhile, the entry is stale at once and never served.
            list = await cache.currentList();
          },
          async willSendResponse(rc) {
            if (!list || rc.response.body.kind !== 'single') return;
            const { data, errors, extensions } = rc.response.body.singleResult;
            if (errors?.length || extensions || !data) return;
            // Anything beyond the content type (set later by Apollo) would not be replayed: do not store such answers.
            if ((rc.response.http.status ?? 200) !== 200 || [...rc.response.http.headers].length > 0) return;
            if (cache.entries.size >= cache.maxEntries) cache.entries.delete(cache.entries.keys().next().value!);
            const key = keyOf(rc.request.query!, rc.request.operationName, rc.request.variables);
            cache.entries.set(key, { list, body: Buffer.from(cache.stringify({ data })) });
          },
        };
      },
    };
  }

  private isCacheable(doc: DocumentNode, operation: OperationDefinitionNode): boolean {
    let ok = this.cacheable.get(operation);
    if (ok === undefined) {
      ok = onlyListFields(doc, operation.selectionSet);
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

/** True when the operation's only root field is `clusters` and no selection below reaches an uncacheable field. */
function onlyListFields(doc: DocumentNode, root: SelectionSetNode): boolean {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of doc.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const rootFields = new Set<string>();
  const visit = (set: SelectionSetNode, isRoot: boolean, seen: Set<string>): boolean => {
    for (const sel of set.selections) {
      // @include/@skip read only variables, which are part of the key; any other directive opts out.
      if (sel.directives?.some((d) => d.name.value !== 'include' && d.name.value !== 'skip')) return false;
      if (sel.kind === Kind.FIELD) {
        if (isRoot) rootFields.add(sel.name.value);
        if (UNCACHEABLE_FIELDS.has(sel.name.value)) return false;
        if (sel.selectionSet && !visit(sel.selectionSet, false, seen)) return false;
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        if (!visit(sel.selectionSet, isRoot, seen)) return false;
      } else {
        const frag = fragments.get(sel.name.value);
        if (!frag || seen.has(frag.name.value)) return false;
        if (!visit(frag.selectionSet, isRoot, new Set(seen).add(frag.name.value))) return false;
      }
    }
    return true;
  };
  if (!visit(root, true, new Set())) return false;
  rootFields.delete('__typename');
  return rootFields.size === 1 && rootFields.has('clusters');
}
