import type { Request } from 'express';

/** The route template a request matched (`/api/v1/k8s/clusters/:id`), never the raw path: bounded and token-free. */
export function routeOf(req: Request): string {
  return req.route?.path ? String(req.route.path) : req.baseUrl || 'unmatched';
}
