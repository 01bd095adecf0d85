import { signToken } from '../../src/auth/jwt.js';
import { TEST_JWT_SECRET, type TestGateway } from './gateway.js';

/** A token for a non-admin caller with the given groups (the gateway's `groups` claim). */
export const tokenFor = (sub: string, groups?: string[]) => signToken(TEST_JWT_SECRET, { sub, role: 'user', ...(groups ? { groups } : {}) });

let subjects = 0;
/** A subject no other test uses, so grants of one test never apply in another. */
export const uniqueSubject = (prefix: string) => `${prefix}-${process.pid}-${subjects++}`;

/** Grants a role over REST as the gateway's global admin; the grant as REST returns it. */
export async function grant(
  t: TestGateway,
  clusterId: number,
  subject: string,
  role: 'viewer' | 'editor' | 'admin',
  kind: 'user' | 'group' = 'user',
  token?: string,
) {
  const res = await t.rest('POST', `/api/v1/k8s/clusters/${clusterId}/grants`, { body: { subject, subject_kind: kind, role }, token });
  if (res.status !== 200) throw new Error(`grant failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.data as { id: number; cluster_id: number; subject: string; subject_kind: string; role: string };
}
