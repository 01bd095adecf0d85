import type { RequestHandler } from 'express';

/**
 * GraphiQL for browsers at GET /graphql, served from the gateway's own files (no CDN).
 * TODO(issue 5): bundle GraphiQL; until then browsers get a short notice instead of Apollo's CDN landing page.
 */
export function graphiqlHandler(): RequestHandler {
  return (req, res, next) => {
    if (req.method !== 'GET' || !req.accepts('html') || req.query.query !== undefined) return next();
    res.type('html').send('<!doctype html><title>kube-gateway</title><p>GraphiQL is not bundled yet. POST GraphQL to this URL.</p>');
  };
}
