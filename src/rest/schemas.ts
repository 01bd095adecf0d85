import { z } from 'zod';
import { CLUSTER_ROLES, SUBJECT_KINDS } from '../access/roles.js';
import { CLUSTER_NAME_MAX_LENGTH, clusterNameProblem } from '../clusters/cluster.validation.js';
import { ValidationError } from '../errors.js';
import { isBase64 } from '../util/base64.js';

const base64 = z
  .string({ error: 'must be a string' })
  .min(1, 'is required')
  .refine((v) => isBase64(v.replace(/\s+/g, '')), 'must be base64-encoded kubeconfig YAML');
const bool = z.boolean({ error: 'must be true or false' });
const str = z.string({ error: 'must be a string' });
/** Checked in the domain (fleet/labels.ts), which names the offending key; here only the JSON shape. */
const labels = z.record(z.string(), z.string({ error: 'must be a string' }), { error: 'must be an object of label keys to string values' });
/** The domain's name rule (clusters/cluster.validation.ts), so REST reports it with the body's other problems. */
const clusterName = str
  .superRefine((v, ctx) => {
    const problem = clusterNameProblem(v);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  // The same limit in the OpenAPI document (characters after trimming; printable only).
  .meta({
    minLength: 1,
    maxLength: CLUSTER_NAME_MAX_LENGTH,
    description: `1-${CLUSTER_NAME_MAX_LENGTH} printable characters after trimming; unique among live clusters`,
  });

/** C3 request body. Unknown fields are refused so a typo (`isDefault`) is not silently ignored. */
export const createClusterBody = z.strictObject({
  name: clusterName,
  kubeconfig: base64,
  is_default: bool.nullish(),
  enabled: bool.nullish(),
  impersonate: bool.nullish(),
  labels: labels.nullish(),
});

/** C4 request body: any subset of fields. `prometheus_url: ""` (or null) returns the cluster to automatic discovery. */
export const updateClusterBody = z.strictObject({
  name: clusterName.nullish(),
  kubeconfig: base64.nullish(),
  is_default: bool.nullish(),
  enabled: bool.nullish(),
  prometheus_url: str.nullish(),
  /** Replaces the whole set; `{}` removes every label. */
  labels: labels.nullish(),
  impersonate: bool.nullish(),
});

/** POST /clusters/:id/grants: granting a subject that already holds a grant on the cluster changes its role. */
export const grantBody = z.strictObject({
  subject: str.min(1, 'is required'),
  subject_kind: z.enum(SUBJECT_KINDS, { error: `must be one of ${SUBJECT_KINDS.join(', ')}` }),
  role: z.enum(CLUSTER_ROLES, { error: `must be one of ${CLUSTER_ROLES.join(', ')}` }),
});

/** Parses a body with a schema; the first problem becomes a `ValidationError` naming its field, the rest are listed. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ValidationError('body', 'must be a JSON object');
  }
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') return { field: 'body', message: `unknown field(s): ${issue.keys.join(', ')}` };
    const field = issue.path.join('.') || 'body';
    const missing = issue.code === 'invalid_type' && (body as Record<string, unknown>)[String(issue.path[0])] === undefined;
    return { field, message: missing ? 'is required' : issue.message };
  });
  const [first, ...rest] = problems;
  const more = rest.length ? `; ${rest.map((p) => `${p.field}: ${p.message}`).join('; ')}` : '';
  throw new ValidationError(first!.field, first!.message + more);
}
