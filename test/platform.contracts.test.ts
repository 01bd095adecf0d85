/**
 * schema.graphql and openapi.json at the repository root are what a gateway serves, byte for byte, so a schema change
 * shows in review as a diff of those files. Regenerate them with `npm run contracts`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSchema, findBreakingChanges } from 'graphql';
import { describe, expect, it } from 'vitest';
import { CONTRACT_FILES, fetchContracts } from '../scripts/contracts-lib.js';
import { useTestGateway } from './support/gateway.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const STALE = 'differs from what the gateway serves: run `npm run contracts` and commit the result';

describe('published contracts', () => {
  const t = useTestGateway('pglite');

  it('schema.graphql and openapi.json equal the served SDL and OpenAPI document', async () => {
    const served = await fetchContracts(t.url);
    const committedSchema = readFileSync(join(ROOT, CONTRACT_FILES.schema), 'utf8');
    const committedOpenApi = readFileSync(join(ROOT, CONTRACT_FILES.openapi), 'utf8');
    // Breaking changes first: the most useful message when the files are stale.
    expect(
      findBreakingChanges(buildSchema(committedSchema), buildSchema(served.schema)).map((c) => c.description),
      `${CONTRACT_FILES.schema} ${STALE}`,
    ).toEqual([]);
    expect(served.schema, `${CONTRACT_FILES.schema} ${STALE}`).toBe(committedSchema);
    expect(served.openapi, `${CONTRACT_FILES.openapi} ${STALE}`).toBe(committedOpenApi);
  });

  it('npm run contracts is the script that writes them', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.contracts).toBe('sh scripts/node24.sh tsx scripts/contracts.ts');
  });
});
