import type { ApolloServerPlugin, GraphQLResponse } from '@apollo/server';
import { Kind, type DocumentNode, type FragmentDefinitionNode, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';
import type { RequestContext } from '../auth/principal.js';
import type { ClusterView } from '../clusters/cluster.view.js';

/** Fields whose value depends on the caller or on more than the cached list: operations selecting them always run. */
const UNCACHEABLE_FIELDS = new Set(['kubeconfig', 'discovery']);

/**
 * Answers repeated list reads (`{ clusters { … } }`) from memory. An entry is valid only while the cluster list is the
 * very same array instance (ClusterListCache hands out a new one after any change on any replica), and only for
 * authenticated callers and selections that read nothing but list fields, so a hit is exactly what execution would
 * have produced. Everything else runs normally.
 */
export function listResponseCache(currentList: () => Promise<readonly ClusterView[]>, maxEntries = 200): ApolloServerPlugin<RequestContext> {
  const entries = new Map<string, { list: readonly ClusterView[]; data: Record<string, unknown> }>();
  // Keyed by the operation node: Apollo reuses parsed documents, so this is computed once per distinct operation.
  const cacheable = new WeakMap<OperationDefinitionNode, boolean>();

  return {
    async requestDidStart() {
      let key: string | undefined;
      let list: readonly ClusterView[] | undefined;
      return {
        async responseForOperation(rc): Promise<GraphQLResponse | null> {
          if (!rc.contextValue.principal || !rc.operation || rc.operation.operation !== 'query') return null;
          let ok = cacheable.get(rc.operation);
          if (ok === undefined) {
            ok = onlyListFields(rc.document, rc.operation.selectionSet);
            cacheable.set(rc.operation, ok);
          }
          if (!ok) return null;
          key = `${rc.operationName ?? ''}\u0000${rc.source}\u0000${JSON.stringify(rc.request.variables ?? {})}`;
          list = await currentList();
          const hit = entries.get(key);
          if (hit && hit.list === list) {
            key = undefined; // served from the cache: nothing to store afterwards
            return { http: rc.response.http, body: { kind: 'single', singleResult: { data: hit.data } } };
          }
          return null;
        },
        async willSendResponse(rc) {
          if (!key || !list || rc.response.body.kind !== 'single') return;
          const { data, errors } = rc.response.body.singleResult;
          if (errors?.length || !data) return;
          if (entries.size >= maxEntries) entries.delete(entries.keys().next().value!);
          entries.set(key, { list, data });
        },
      };
    },
  };
}

/** True when the operation's only root field is `clusters` and no selection below reaches an uncacheable field. */
function onlyListFields(doc: DocumentNode, root: SelectionSetNode): boolean {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of doc.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const rootFields = new Set<string>();
  const visit = (set: SelectionSetNode, isRoot: boolean, seen: Set<string>): boolean => {
    for (const sel of set.selections) {
      if (sel.directives?.length) return false;
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
