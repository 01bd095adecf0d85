import { GraphQLError, Kind, type ASTVisitor, type FragmentDefinitionNode, type SelectionSetNode, type ValidationContext, type ValidationRule } from 'graphql';

export interface QueryLimits {
  /** Deepest selection nesting allowed (the schema's real queries need about 4). */
  maxDepth: number;
  /** Most fields selected in one operation, fragments expanded, aliases counted: a cheap complexity bound. */
  maxFields: number;
}

export const DEFAULT_LIMITS: QueryLimits = { maxDepth: 10, maxFields: 500 };

/**
 * One validation rule enforcing depth and size, applied on HTTP (Apollo) and WebSocket (graphql-ws) alike, so a deep
 * or wide query is refused before anything runs. Fragment cycles are already refused by the standard rules.
 */
export function queryLimitsRule(limits: QueryLimits = DEFAULT_LIMITS): ValidationRule {
  return (context: ValidationContext): ASTVisitor => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const def of context.getDocument().definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
    return {
      OperationDefinition(node) {
        let fields = 0;
        let reported = false;
        const walk = (set: SelectionSetNode, depth: number, seen: Set<string>): void => {
          if (reported) return;
          if (depth > limits.maxDepth) {
            reported = true;
            context.reportError(new GraphQLError(`query is nested too deeply (more than ${limits.maxDepth} levels)`, { nodes: [node], extensions: { code: 'BAD_USER_INPUT' } }));
            return;
          }
          for (const sel of set.selections) {
            if (sel.kind === Kind.FIELD) {
              fields++;
              if (fields > limits.maxFields) {
                reported = true;
                context.reportError(new GraphQLError(`query selects too many fields (more than ${limits.maxFields})`, { nodes: [node], extensions: { code: 'BAD_USER_INPUT' } }));
                return;
              }
              // `ofType` is single-valued (no fan-out) and the standard introspection query nests it 8 deep to unwrap
              // type references, so it does not count as a level; every other field does.
              if (sel.selectionSet) walk(sel.selectionSet, sel.name.value === 'ofType' ? depth : depth + 1, seen);
            } else if (sel.kind === Kind.INLINE_FRAGMENT) {
              walk(sel.selectionSet, depth, seen);
            } else {
              const frag = fragments.get(sel.name.value);
              if (frag && !seen.has(frag.name.value)) walk(frag.selectionSet, depth, new Set(seen).add(frag.name.value));
            }
          }
        };
        walk(node.selectionSet, 1, new Set());
      },
    };
  };
}
