import {
  execute,
  getNamedType,
  getOperationAST,
  isInterfaceType,
  isObjectType,
  Kind,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationRule,
} from 'graphql';
import type { RequestContext } from '../auth/principal.js';
import type { GraphQLRequestBody } from './list-response-cache.js';
import { PARSE_OPTIONS } from './limits.js';

/** A query the lane may execute: parsed, validated and cost-checked once per document text and operation name. */
export interface CompiledQuery {
  document: DocumentNode;
  operationName: string | undefined;
  variables: Record<string, unknown> | undefined;
}

export interface CompiledQueriesOptions {
  /** Most distinct documents remembered (accepted or declined), oldest first out. */
  maxEntries: number;
  /** Longer document texts are never compiled here (Apollo takes them): bounds the memory an entry can pin. */
  maxQueryChars: number;
}

/**
 * Real operations are a few hundred characters; any authenticated caller can choose documents, so entries and their
 * size are bounded (≤ 200 parsed documents of ≤ 4 KiB text: a few MB at most). Apollo's own document cache still serves
 * everything declined here.
 */
export const DEFAULT_COMPILED_QUERIES_OPTIONS: CompiledQueriesOptions = { maxEntries: 200, maxQueryChars: 4 * 1024 };

/**
 * Queries executed with graphql-js straight from node:http, ahead of Express and Apollo (http/cached-reads.ts), for
 * the reads whose answer is not kept rendered (`cluster(id)`, `currentCluster`, filtered lists, `myRole` …). Apollo's
 * per-request pipeline (plugins, negotiation, header maps, Express routing) cost several times the read itself.
 *
 * Only a query whose answer Apollo would give with status 200 and no error is answered here, so the lane never has to
 * reproduce Apollo's error handling:
 * - parsing and validation use Apollo's rules exactly (graphql's specified rules, the same `validationRules`, the same
 *   parse options; introspection is enabled there too), once per document text; a document that fails them, a
 *   mutation, a subscription, an operation name that selects nothing, is declined and remembered as declined;
 * - an execution that yields any error is not sent: the request goes on to Apollo, which executes it again and answers
 *   with its own formatting and status. Queries have no side effects (reads are not audited), so running one twice
 *   costs time only, on error paths. Fields read from outside the gateway (`outsideClusterList`: Prometheus, discovery)
 *   are declined up front, so an unreachable Prometheus is never asked twice;
 * - `declines` lets the caller keep operations another component must see in Apollo (the list-response cache's
 *   plugin files list answers there).
 */
export class CompiledQueries {
  private readonly documents = new Map<string, DocumentNode | null>();
  private readonly rules: readonly ValidationRule[];
  private readonly options: CompiledQueriesOptions;

  constructor(
    private readonly schema: GraphQLSchema,
    validationRules: readonly ValidationRule[],
    private readonly declines: (schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode) => boolean = () => false,
    options: Partial<CompiledQueriesOptions> = {},
  ) {
    this.rules = [...specifiedRules, ...validationRules];
    this.options = { ...DEFAULT_COMPILED_QUERIES_OPTIONS, ...options };
  }

  get size(): number {
    return this.documents.size;
  }

  /** The query this request asks for, if the lane may execute it; undefined leaves it to Apollo. */
  prepare(request: GraphQLRequestBody): CompiledQuery | undefined {
    const { query, operationName, variables, extensions } = request;
    if (typeof query !== 'string' || query.length > this.options.maxQueryChars || extensions !== undefined) return undefined;
    if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') return undefined;
    if (variables !== undefined && variables !== null && (typeof variables !== 'object' || Array.isArray(variables))) return undefined;
    const name = operationName ?? undefined;
    const key = `${name ?? ''}\u0000${query}`;
    let document = this.documents.get(key);
    if (document === undefined) {
      document = this.compile(query, name);
      if (this.documents.size >= this.options.maxEntries) this.documents.delete(this.documents.keys().next().value!);
      this.documents.set(key, document);
    }
    return document ? { document, operationName: name, variables: (variables ?? undefined) as Record<string, unknown> | undefined } : undefined;
  }

  /** The rendered answer (`{"data":…}`, Apollo's bytes), or undefined when execution reported any error. */
  async execute(compiled: CompiledQuery, contextValue: RequestContext): Promise<string | undefined> {
    const result = await execute({
      schema: this.schema,
      document: compiled.document,
      contextValue,
      variableValues: compiled.variables,
      operationName: compiled.operationName,
    });
    if (result.errors?.length || !result.data || result.extensions) return undefined;
    return JSON.stringify({ data: result.data });
  }

  private compile(query: string, operationName: string | undefined): DocumentNode | null {
    let document: DocumentNode;
    try {
      document = parse(query, PARSE_OPTIONS);
    } catch {
      return null;
    }
    if (validate(this.schema, document, this.rules).length > 0) return null;
    const operation = getOperationAST(document, operationName);
    if (operation?.operation !== 'query') return null;
    if (readsOutsideGateway(this.schema, document, operation.selectionSet) || this.declines(this.schema, document, operation)) return null;
    return document;
  }
}

/** True when any selected field (fragments followed) is marked `outsideClusterList` or priced with a `cost`. */
function readsOutsideGateway(schema: GraphQLSchema, doc: DocumentNode, root: SelectionSetNode): boolean {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of doc.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const seen = new Set<string>();
  const visit = (set: SelectionSetNode, parent: GraphQLNamedType | null | undefined): boolean => {
    for (const sel of set.selections) {
      if (sel.kind === Kind.FIELD) {
        if (sel.name.value.startsWith('__')) continue;
        if (!isObjectType(parent) && !isInterfaceType(parent)) return true; // abstract parents: not worth analysing here
        const field = parent.getFields()[sel.name.value];
        if (!field || field.extensions?.outsideClusterList === true || field.extensions?.cost !== undefined) return true;
        if (sel.selectionSet && visit(sel.selectionSet, getNamedType(field.type))) return true;
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        if (visit(sel.selectionSet, sel.typeCondition ? schema.getType(sel.typeCondition.name.value) : parent)) return true;
      } else {
        // Validation refused fragment cycles; each fragment is looked at once.
        if (seen.has(sel.name.value)) continue;
        seen.add(sel.name.value);
        const frag = fragments.get(sel.name.value);
        if (!frag || visit(frag.selectionSet, schema.getType(frag.typeCondition.name.value))) return true;
      }
    }
    return false;
  };
  return visit(root, schema.getQueryType());
}
