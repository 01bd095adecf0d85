import { buildClientSchema, getIntrospectionQuery, type IntrospectionQuery, printSchema } from 'graphql';

/**
 * The published contracts as a running gateway serves them: the GraphQL SDL (introspection → printed SDL, with every
 * description) and the OpenAPI document. `npm run contracts` writes them to schema.graphql and openapi.json;
 * test/platform.contracts.test.ts fails when what a gateway serves differs from the committed files.
 */
export const CONTRACT_FILES = { schema: 'schema.graphql', openapi: 'openapi.json' } as const;

export async function fetchContracts(baseUrl: string): Promise<{ schema: string; openapi: string }> {
  const res = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      query: getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, inputValueDeprecation: true }),
    }),
  });
  const body = (await res.json()) as { data?: IntrospectionQuery; errors?: { message: string }[] };
  if (!body.data) throw new Error(`introspection failed (${res.status}): ${JSON.stringify(body.errors)}`);
  const schema = printSchema(buildClientSchema(body.data)) + '\n';
  const doc = await fetch(`${baseUrl}/api/v1/openapi.json`);
  if (!doc.ok) throw new Error(`GET /api/v1/openapi.json answered ${doc.status}`);
  const openapi = JSON.stringify(await doc.json(), null, 2) + '\n';
  return { schema, openapi };
}
