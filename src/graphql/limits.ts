import {
  GraphQLError,
  Kind,
  SchemaMetaFieldDef,
  TypeMetaFieldDef,
  getNamedType,
  getNullableType,
  isCompositeType,
  isInterfaceType,
  isListType,
  isObjectType,
  type ASTVisitor,
  type FragmentDefinitionNode,
  type FieldNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLSchema,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';

/**
 * Parsing stops at this many tokens, on every transport (Apollo's `parseOptions`, graphql-ws in ws.ts): without a cap a
 * 760 KB document costs 0.2–0.4 s of parsing before anything else looks at it, and needs no token to send. The
 * standard introspection query is about 400 tokens; the largest query the field limit below admits is a few thousand.
 */
export const PARSE_OPTIONS = { maxTokens: 10_000 } as const;

export interface QueryLimits {
  /** Deepest selection nesting allowed (the schema's real queries need about 4). */
  maxDepth: number;
  /** Most fields selected in one operation, fragments expanded, aliases counted: bounds the document itself. */
  maxFields: number;
  /**
   * Most field resolutions one operation may cause: every field costs 1 each time it is resolved, and a field under a
   * list is resolved once per item, priced at `assumedListSize` items. Bounds aliases × list nesting, which
   * `maxFields` alone does not (`{ a1: clusters { items { … } } … }` is few fields but many resolutions).
   */
  maxCost: number;
  /**
   * Items a list is priced at (`clusters.items`). A fixed figure, not the live count, so that whether a query is
   * accepted does not change with the number of registered clusters.
   */
  assumedListSize: number;
}

/**
 * The full cluster list with every field and its discovery status costs about 2,600 (26 fields × 100 items), so
 * ordinary reads fit several times over; 240 aliases of `discovery` under `clusters { items }` cost 48,000.
 */
export const DEFAULT_LIMITS: QueryLimits = { maxDepth: 10, maxFields: 500, maxCost: 10_000, assumedListSize: 100 };

/** Where a limit refusal came from, for clients that want to tell them apart (`extensions.limit`). */
export type LimitKind = 'depth' | 'fields' | 'cost';

/**
 * One validation rule enforcing depth, size and cost, applied on HTTP (Apollo) and WebSocket (graphql-ws) alike, so a
 * deep, wide or expensive query is refused before any resolver runs. Fragment cycles are already refused by the
 * standard rules; a fragment spread twice is counted twice (an over-estimate, never an under-estimate).
 */
export function queryLimitsRule(limits: QueryLimits = DEFAULT_LIMITS): ValidationRule {
  return (context: ValidationContext): ASTVisitor => {
    const schema = context.getSchema();
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const def of context.getDocument().definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
    return {
      OperationDefinition(node) {
        let fields = 0;
        let cost = 0;
        let refused = false;
        const refuse = (limit: LimitKind, message: string) => {
          refused = true;
          context.reportError(new GraphQLError(message, { nodes: [node], extensions: { code: 'BAD_USER_INPUT', limit } }));
        };
        const typeNamed = (name: string | undefined, fallback: GraphQLCompositeType | undefined) => {
          const t = name === undefined ? fallback : schema.getType(name);
          return t && isCompositeType(t) ? t : undefined;
        };
        /** `multiplier`: how many times each field of this selection set is resolved. */
        const walk = (
          set: SelectionSetNode,
          parent: GraphQLCompositeType | undefined,
          depth: number,
          multiplier: number,
          seen: Set<string>,
        ): void => {
          if (refused) return;
          if (depth > limits.maxDepth) return refuse('depth', `query is nested too deeply (more than ${limits.maxDepth} levels)`);
          for (const sel of set.selections) {
            if (refused) return;
            if (sel.kind === Kind.FIELD) {
              const def = fieldOf(schema, parent, sel.name.value);
              fields++;
              cost += multiplier * ownCost(def);
              if (fields > limits.maxFields) return refuse('fields', `query selects too many fields (more than ${limits.maxFields})`);
              if (cost > limits.maxCost) {
                return refuse(
                  'cost',
                  `query is too expensive: it would resolve more than ${limits.maxCost} fields (each list is counted as ${limits.assumedListSize} items); select fewer aliases or fields under lists`,
                );
              }
              if (!sel.selectionSet) continue;
              const child = def ? getNamedType(def.type) : undefined;
              const fanOut = def && isPricedList(def, parent) ? listSize(sel, listSizeOf(def, limits.assumedListSize)) : 1;
              // `ofType` is single-valued (no fan-out) and the standard introspection query nests it 8 deep to unwrap
              // type references, so it does not count as a level; every other field does.
              walk(
                sel.selectionSet,
                child && isCompositeType(child) ? child : undefined,
                sel.name.value === 'ofType' ? depth : depth + 1,
                multiplier * fanOut,
                seen,
              );
            } else if (sel.kind === Kind.INLINE_FRAGMENT) {
              walk(sel.selectionSet, typeNamed(sel.typeCondition?.name.value, parent), depth, multiplier, seen);
            } else {
              const frag = fragments.get(sel.name.value);
              if (frag && !seen.has(frag.name.value))
                walk(frag.selectionSet, typeNamed(frag.typeCondition.name.value, parent), depth, multiplier, new Set(seen).add(frag.name.value));
            }
          }
        };
        walk(node.selectionSet, schema.getRootType(node.operation) ?? undefined, 1, 1, new Set());
      },
    };
  };
}

function fieldOf(schema: GraphQLSchema, parent: GraphQLCompositeType | undefined, name: string): GraphQLField<unknown, unknown> | undefined {
  if (!parent) return undefined;
  if (parent === schema.getQueryType()) {
    if (name === SchemaMetaFieldDef.name) return SchemaMetaFieldDef;
    if (name === TypeMetaFieldDef.name) return TypeMetaFieldDef;
  }
  return isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[name] : undefined;
}

/**
 * What one resolution of a field costs: 1, or the field's `cost` extension (`@Extensions({ cost: 20 })`) for fields
 * that do real work each time, such as `Cluster.metrics`, which queries a Prometheus.
 */
function ownCost(def: GraphQLField<unknown, unknown> | undefined): number {
  const cost = def?.extensions?.cost;
  return typeof cost === 'number' && Number.isInteger(cost) && cost > 0 ? cost : 1;
}

/**
 * Items a list field is priced at: `assumedListSize`, or its `listSize` extension for lists bounded by design (a
 * cluster's labels: at most 64, typically a handful) or of plain values its parent already fetched in one piece
 * (`MetricSeries.samples`: walking them runs no resolver and reaches no backend).
 */
function listSizeOf(def: GraphQLField<unknown, unknown>, assumed: number): number {
  const size = def.extensions?.listSize;
  return typeof size === 'number' && Number.isInteger(size) && size > 0 ? size : assumed;
}

/**
 * Lists of data are priced per item. Introspection lists (`__schema.types`, `fields`, `args`…) are not: they are the
 * schema's own, fixed and in memory, and the depth and field limits already bound them (the standard introspection
 * query must stay accepted).
 */
function isPricedList(def: GraphQLField<unknown, unknown>, parent: GraphQLCompositeType | undefined): boolean {
  if (def.name.startsWith('__') || parent?.name.startsWith('__')) return false;
  return isListType(getNullableType(def.type));
}

/** A list's assumed size, or the smaller literal `first: N` the query asks for (e.g. `deliveries(first: 5)`). */
function listSize(field: FieldNode, assumed: number): number {
  const first = field.arguments?.find((a) => a.name.value === 'first')?.value;
  return first?.kind === Kind.INT ? Math.max(1, Math.min(assumed, Number(first.value))) : assumed;
}
