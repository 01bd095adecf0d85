import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config.js';
import { gatewayValidationRules, startApollo, stringifyResult } from '../graphql/apollo.js';
import { CompiledQueries } from '../graphql/compiled-queries.js';
import { queryLimitsRule } from '../graphql/limits.js';
import { ListResponseCache } from '../graphql/list-response-cache.js';
import { buildGatewaySchema } from '../graphql/schema.js';
import { attachGraphQLWebSocket } from '../graphql/ws.js';
import { createRequestListener } from '../http/app.js';
import { AuthFailureLimiter } from '../http/auth-failure-limiter.js';
import { GatewayMetrics } from '../http/metrics.js';
import { RequestRecorder } from '../http/request-recorder.js';
import { upgradeDispatcher } from '../http/upgrades.js';
import { KubeProxy } from '../proxy/kube-proxy.js';
import type { ProxyAuditSink } from '../proxy/ports.js';
import { ProxyTokenAuthenticator } from '../proxy/proxy-auth.js';
import { AccessResolver } from '../resolvers/access.resolver.js';
import { AccessTokenResolver } from '../resolvers/access-token.resolver.js';
import { AuditResolver } from '../resolvers/audit.resolver.js';
import { ClusterImportResolver } from '../resolvers/cluster-import.resolver.js';
import { ClusterMetricsResolver } from '../resolvers/cluster-metrics.resolver.js';
import { ClusterResolver } from '../resolvers/cluster.resolver.js';
import { ConnectionTestResolver } from '../resolvers/connection-test.resolver.js';
import { DiscoveryResolver } from '../resolvers/discovery.resolver.js';
import { HealthHistoryResolver } from '../resolvers/health-history.resolver.js';
import { SubscriptionResolver } from '../resolvers/subscription.resolver.js';
import { WebhookResolver } from '../resolvers/webhook.resolver.js';
import type { Domains } from './domains.js';
import type { Foundation } from './foundation.js';

/** The listening transports: GraphQL (HTTP and WebSocket), REST, the cached-read lane, the proxy, metrics. */
export interface Transports {
  server: Server;
  httpsServer: HttpsServer | undefined;
  /** The address tests and the start-up message use (loopback for a wildcard HOST). */
  host: string;
  port: number;
  httpsPort: number | undefined;
  graphqlResponses: ListResponseCache;
  /** Closes WebSockets, stops accepting and lets in-flight HTTP finish for at most `drainMs`. */
  drain(drainMs: number): Promise<void>;
  /** After draining and once the domains stopped: the GraphQL server. */
  stop(): Promise<void>;
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/**
 * Builds the schema and the HTTP(S) servers, listens, then attaches the request and upgrade handlers. Every adapter
 * here calls a manager; none decides anything. Throws (closing nothing it does not own) when a port cannot be bound.
 */
export async function startTransports(config: Config, f: Foundation, d: Domains, ready: () => Promise<boolean>): Promise<Transports> {
  const { logger, verifier, tls } = f;
  const m = d.managers;
  const schema = await buildGatewaySchema([
    new AccessTokenResolver(m.tokens),
    new ClusterResolver(m.clusters),
    new ConnectionTestResolver(m.connectionTests),
    new DiscoveryResolver(m.discovery),
    new ClusterMetricsResolver(m.clusterMetrics),
    new AuditResolver(m.audit),
    new SubscriptionResolver(),
    new AccessResolver(m.access),
    new HealthHistoryResolver(m.history),
    new ClusterImportResolver(m.imports),
    new WebhookResolver(m.webhooks),
  ]);
  const graphqlResponses = new ListResponseCache(
    () => d.registry.list(),
    stringifyResult,
    (caller) => m.access.seesEveryCluster(caller),
  );
  const apollo = await startApollo(schema, logger, [graphqlResponses.plugin()]);
  // List reads the response cache files stay with Apollo, whose plugin renders and stores them.
  const compiledQueries = new CompiledQueries(schema, gatewayValidationRules(), (s, doc, op) => graphqlResponses.isCacheable(s, doc, op));
  // One brake for HTTP 401s and WebSocket authentication failures.
  const authFailures = new AuthFailureLimiter(config.authFailureLimitPerMinute, undefined, config.trustProxy);
  const server = createServer();
  const httpsServer = tls ? createHttpsServer({ key: tls.keyPem, cert: tls.certPem }) : undefined;
  for (const s of [server, httpsServer]) {
    if (!s) continue;
    s.keepAliveTimeout = 65_000;
    s.headersTimeout = 66_000;
  }
  const listen = (s: Server | HttpsServer, port: number) =>
    new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, config.host, () => resolve());
    });
  try {
    await listen(server, config.port);
    if (httpsServer) await listen(httpsServer, config.https.port);
  } catch (err) {
    server.close();
    await apollo.stop();
    throw err;
  }
  // From here to the request handler nothing awaits, so no request can arrive before the handler is in place; the
  // WebSocket server is attached only once listening succeeded (a failed listen then rejects cleanly).
  const ws = attachGraphQLWebSocket(schema, {
    verifier,
    live: { clusters: m.clusters, discovery: m.discovery },
    logger,
    validationRules: [queryLimitsRule()],
    limiter: authFailures,
  });
  const metrics = new GatewayMetrics({
    clustersByHealth: () => d.registry.countByHealth(),
    subscribers: () => d.hub.subscriberCount(),
    webSocketConnections: () => ws.connectionCount(),
    cachedClients: () => d.clients.size(),
  });
  metrics.listenTo(d.domainEvents);
  // The proxy's seams: roles from the access domain, read-only from the guard every write passes, and proxied
  // non-read requests reported as domain events that the audit log records.
  const audit: ProxyAuditSink = { proxied: (entry) => void d.domainEvents.emit('proxy.forwarded', { entry }) };
  const proxy = new KubeProxy({
    targets: d.proxyTargets,
    auth: new ProxyTokenAuthenticator(verifier, m.tokens),
    access: m.access,
    writes: d.readOnly,
    audit,
    limiter: authFailures,
    recorder: new RequestRecorder(logger, metrics, (req) => authFailures.clientOf(req)),
    logger,
    firstByteTimeoutMs: config.kube.connectTimeoutMs + config.kube.requestTimeoutMs,
  });
  const onUpgrade = upgradeDispatcher({ graphql: ws, proxy });
  const onRequest = createRequestListener({
    logger,
    verifier,
    apollo,
    graphqlResponses,
    compiledQueries,
    metrics,
    authFailures,
    managers: m,
    tokens: m.tokens,
    proxy,
    ready,
  });
  for (const s of [server, httpsServer]) {
    s?.on('request', onRequest);
    s?.on('upgrade', onUpgrade);
  }
  const { port } = server.address() as AddressInfo;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const httpsPort = httpsServer ? (httpsServer.address() as AddressInfo).port : undefined;

  return {
    server,
    httpsServer,
    host,
    port,
    httpsPort,
    graphqlResponses,
    async drain(drainMs) {
      const httpClosed = Promise.all([server, httpsServer].map((s) => s && new Promise<void>((resolve) => s.close(() => resolve()))));
      server.closeIdleConnections();
      httpsServer?.closeIdleConnections();
      await ws.close();
      d.hub.close();
      await Promise.race([httpClosed, delay(drainMs)]);
      server.closeAllConnections();
      httpsServer?.closeAllConnections();
    },
    stop: () => apollo.stop(),
  };
}
