import type { Request, RequestHandler } from 'express';
import { sendError } from './envelope.js';
import { openApiDocument } from './openapi.js';

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

interface KnownPath {
  template: string;
  pattern: RegExp;
  methods: string[];
}

/**
 * The REST paths with the methods each one serves, from the OpenAPI document, so the 405 answers and the published document cannot disagree. The Kubernetes proxy's paths are left
 * out: they never reach Express and accept any method.
 */
function knownPaths(): KnownPath[] {
  const paths = openApiDocument().paths as Record<string, Record<string, unknown>>;
  return Object.entries(paths)
    .filter(([template]) => !template.includes('/proxy/'))
    .map(([template, item]) => ({
      template,
      // Express matches paths case-insensitively and with an optional trailing slash; so does this.
      pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}/?$`, 'i'),
      methods: METHODS.filter((m) => m in item).map((m) => m.toUpperCase()),
    }));
}

/** The methods served on this path (HEAD with GET, as Express answers it), or none for a path that is not the API's. */
function allowedMethods(paths: KnownPath[], req: Request): string[] {
  const methods = new Set(paths.filter((p) => p.pattern.test(req.path)).flatMap((p) => p.methods));
  if (methods.has('GET')) methods.add('HEAD');
  return [...methods];
}

/**
 * Mounted after every REST router: a request that reaches it was served by none. On a known path that is a method the
 * path does not serve: 405 with `Allow` (RFC 9110), instead of a 404 that reads as "no such endpoint".
 */
export function methodNotAllowed(): RequestHandler {
  const paths = knownPaths();
  return (req, res, next) => {
    const allowed = allowedMethods(paths, req);
    if (allowed.length === 0) return next();
    res.setHeader('Allow', allowed.join(', '));
    sendError(res, 405, `method ${req.method} is not allowed here; allowed: ${allowed.join(', ')}`);
  };
}
