import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { ValidateFunction } from 'ajv';
import { openApiDocument } from '../../src/rest/openapi.js';

type Json = Record<string, any>;
const doc = openApiDocument() as Json;
const ajv = new Ajv2020({ strict: false, allErrors: true });
(addFormatsModule as unknown as (a: unknown) => void)(ajv);
ajv.addSchema({ $id: 'openapi', components: doc.components }, 'openapi');

const routes = Object.entries(doc.paths as Json).map(([template, item]) => ({
  template,
  regex: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
  item: item as Json,
}));
const compiled = new Map<string, ValidateFunction>();

/**
 * Checks a REST response against the published OpenAPI document: every response the test suite sees must be one the
 * document describes (status and body shape). Throws with the validation errors otherwise.
 */
export function assertMatchesOpenApi(method: string, path: string, status: number, body: unknown): void {
  const pathname = path.split('?')[0]!;
  const route = routes.find((r) => r.regex.test(pathname));
  if (!route) return; // not a contract endpoint (e.g. /api/v1/unknown)
  const op = route.item[method.toLowerCase()] as Json | undefined;
  if (!op) return; // unsupported method: Express answers 404, not part of the contract
  const key = `${method} ${route.template} ${status}`;
  let validate = compiled.get(key);
  if (!validate) {
    const response = op.responses[String(status)] as Json | undefined;
    if (!response)
      throw new Error(`OpenAPI: ${method} ${route.template} does not document status ${status} (body: ${JSON.stringify(body).slice(0, 200)})`);
    const schema = rewriteRefs(response.content['application/json'].schema);
    validate = ajv.compile(schema as object);
    compiled.set(key, validate);
  }
  if (!validate(body)) {
    throw new Error(`OpenAPI: ${key} body does not match: ${ajv.errorsText(validate.errors)} (body: ${JSON.stringify(body).slice(0, 300)})`);
  }
}

function rewriteRefs(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(rewriteRefs);
  if (node && typeof node === 'object') {
    return Object.fromEntries(
      Object.entries(node).map(([k, v]) => [k, k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? `openapi${v}` : rewriteRefs(v)]),
    );
  }
  return node;
}
