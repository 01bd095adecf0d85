import { expect } from 'vitest';
import type { TestGateway } from './gateway.js';
import { kubeconfigYaml } from './kubeconfigs.js';

/** Helpers of the fleet suites (test/fleet.*.test.ts): many clusters registered fast, with labels. */

export interface NewFleetCluster {
  name: string;
  labels?: Record<string, string>;
  enabled?: boolean;
}

const UNREACHABLE = kubeconfigYaml({ server: 'https://127.0.0.1:1' });

/** Registers clusters through GraphQL (10 aliased createCluster per request, no connection test); returns their ids in order. */
export async function registerMany(t: TestGateway, clusters: NewFleetCluster[]): Promise<number[]> {
  const ids: number[] = [];
  for (let start = 0; start < clusters.length; start += 10) {
    const batch = clusters.slice(start, start + 10);
    const creates = batch.map((c, k) => {
      const input = {
        name: c.name,
        kubeconfig: UNREACHABLE,
        skipConnectionTest: true,
        enabled: c.enabled ?? true,
        labels: Object.entries(c.labels ?? {}).map(([key, value]) => ({ key, value })),
      };
      return `c${k}: createCluster(input: ${toGraphQLLiteral(input)}) { id }`;
    });
    const res = await t.gql(`mutation { ${creates.join(' ')} }`);
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    batch.forEach((_, k) => ids.push(Number(res.data[`c${k}`].id)));
  }
  return ids;
}

/** A JSON value as a GraphQL input literal (object keys unquoted). */
function toGraphQLLiteral(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(toGraphQLLiteral).join(', ')}]`;
  if (v !== null && typeof v === 'object')
    return `{ ${Object.entries(v)
      .map(([k, x]) => `${k}: ${toGraphQLLiteral(x)}`)
      .join(', ')} }`;
  return JSON.stringify(v);
}
