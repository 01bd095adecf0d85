/**
 * Every element of the served schema has a description (graphql-schema-linter's types-have-descriptions,
 * fields-have-descriptions, arguments-have-descriptions, enum-values-have-descriptions and
 * input-object-values-have-descriptions): descriptions are what GraphiQL's docs pane and generated clients show.
 * Walks the schema as a client sees it (introspection of a running gateway), so nothing built outside the decorators
 * is missed.
 */
import {
  buildClientSchema,
  getIntrospectionQuery,
  type GraphQLSchema,
  type IntrospectionQuery,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isIntrospectionType,
  isObjectType,
  isSpecifiedScalarType,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import { useTestGateway } from './support/gateway.js';

/** Schema coordinates (`Type.field(arg:)`) of every element without a description. */
function undescribed(schema: GraphQLSchema): string[] {
  const missing: string[] = [];
  const check = (description: string | null | undefined, coordinate: string) => {
    if (!description?.trim()) missing.push(coordinate);
  };
  for (const type of Object.values(schema.getTypeMap())) {
    if (isIntrospectionType(type) || isSpecifiedScalarType(type)) continue;
    check(type.description, type.name);
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const field of Object.values(type.getFields())) {
        check(field.description, `${type.name}.${field.name}`);
        for (const arg of field.args) check(arg.description, `${type.name}.${field.name}(${arg.name}:)`);
      }
    } else if (isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) check(field.description, `${type.name}.${field.name}`);
    } else if (isEnumType(type)) {
      for (const value of type.getValues()) check(value.description, `${type.name}.${value.name}`);
    }
  }
  return missing;
}

describe('the GraphQL schema documents itself', () => {
  const t = useTestGateway('pglite', {}, { healthMonitor: false });

  it('every type, field, argument, input field and enum value has a description', async () => {
    const res = await t.gql(getIntrospectionQuery(), undefined, { token: null });
    expect(res.errors).toBeUndefined();
    const schema = buildClientSchema(res.data as IntrospectionQuery);
    expect(Object.keys(schema.getTypeMap()).length).toBeGreaterThan(20); // the walk sees the real schema
    expect(undescribed(schema)).toEqual([]);
  });
});
