/**
 * Kubernetes `Status` objects exactly as the API server writes them for failures, so clients that parse
 * `reason` / `code` / `message` behave as they would against a real cluster.
 */

/** A `v1 Status` failure body. */
export interface KubeStatus {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure';
  message: string;
  reason: string;
  details?: { name?: string; group?: string; kind?: string; causes?: { reason?: string; message: string }[]; retryAfterSeconds?: number };
  code: number;
}

/** Builds a Status; `details` is omitted when undefined, as in the real encoder. */
export function status(code: number, reason: string, message: string, details?: KubeStatus['details']): KubeStatus {
  const s: KubeStatus = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
  if (details) {
    // Keep `code` last, matching the field order of the real server (cosmetic, eases diffing logs).
    return { kind: s.kind, apiVersion: s.apiVersion, metadata: s.metadata, status: s.status, message, reason, details, code };
  }
  return s;
}

export const unauthorized = (): KubeStatus => status(401, 'Unauthorized', 'Unauthorized');

/** Where a request is scoped, for the RBAC-style forbidden message. */
export interface ForbiddenTarget {
  user: string;
  verb: string;
  /** Resource, possibly with subresource: `pods`, `services/proxy`. */
  resource: string;
  group: string;
  namespace?: string;
  name?: string;
}

/** `pods is forbidden: User "x" cannot list resource "pods" in API group "" in the namespace "y"`. */
export function forbidden(t: ForbiddenTarget): KubeStatus {
  // Mirrors apiserver's forbiddenMessage() + errors.NewForbidden(): the prefix is the group-qualified
  // resource, the RBAC part names the resource with its subresource.
  const base = t.resource.split('/')[0] ?? t.resource;
  const qualified = t.group ? `${base}.${t.group}` : base;
  const what = t.name ? `${qualified} "${t.name}"` : qualified;
  const scope = t.namespace ? `in the namespace "${t.namespace}"` : 'at the cluster scope';
  const message = `${what} is forbidden: User "${t.user}" cannot ${t.verb} resource "${t.resource}" in API group "${t.group}" ${scope}`;
  const details: NonNullable<KubeStatus['details']> = t.name ? { name: t.name } : {};
  if (t.group) details.group = t.group;
  details.kind = base;
  return status(403, 'Forbidden', message, details);
}

export const notFoundPath = (): KubeStatus => status(404, 'NotFound', 'the server could not find the requested resource', {});

export function notFound(resource: string, name: string, group = ''): KubeStatus {
  const details: NonNullable<KubeStatus['details']> = { name, kind: resource };
  if (group) details.group = group;
  return status(404, 'NotFound', `${resource}${group ? `.${group}` : ''} "${name}" not found`, details);
}

export const methodNotAllowed = (): KubeStatus =>
  status(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {});

export const badRequest = (message: string): KubeStatus => status(400, 'BadRequest', message);

export const serviceUnavailable = (message: string): KubeStatus => status(503, 'ServiceUnavailable', message);

export function expiredContinue(): KubeStatus {
  return status(
    410,
    'Expired',
    'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
  );
}

/** The 5xx used by `mode: 'error5xx'` and flapping. */
export function serverError(code: number): KubeStatus {
  if (code === 503) return status(503, 'ServiceUnavailable', 'the server is currently unable to handle the request', {});
  if (code === 504)
    return status(504, 'Timeout', 'the server was unable to return a response in the time allotted, but may still be processing the request', {});
  if (code === 500)
    return status(500, 'InternalError', 'Internal error occurred: etcdserver: request timed out', {
      causes: [{ message: 'etcdserver: request timed out' }],
    });
  return status(code, 'InternalError', `Internal error occurred: simulated ${code}`);
}
