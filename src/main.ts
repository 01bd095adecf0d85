import { ConfigError, loadConfig } from './config.js';
import { startGateway } from './gateway.js';
import { StartupError } from './startup-checks.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const gateway = await startGateway(config);
  const dbMode = config.database.kind === 'embedded' ? `embedded PGlite in ${config.database.dataDir}` : 'PostgreSQL (DATABASE_URL)';
  const auth =
    gateway.secrets.jwt.algorithm === 'HS256'
      ? `HS256 ${gateway.secrets.jwt.generatedFile ? `(secret generated in ${gateway.secrets.jwt.generatedFile})` : '(JWT_SECRET)'}`
      : `${gateway.secrets.jwt.algorithm} (JWT_PUBLIC_KEY)`;
  process.stdout.write(
    [
      '',
      `  kube-gateway listening on ${gateway.url}`,
      `  GraphiQL:   ${gateway.url}/graphql`,
      `  REST:       ${gateway.url}/api/v1/k8s/clusters`,
      gateway.httpsUrl
        ? `  HTTPS:      ${gateway.httpsUrl} (kubectl proxy: /api/v1/k8s/clusters/:id/proxy; certificate ${gateway.tls?.source})`
        : '  HTTPS:      off (set TLS_CERT_FILE and TLS_KEY_FILE; issued kubeconfigs need PUBLIC_URL)',
      `  Kubeconfig: ${gateway.publicUrl ? `GET ${gateway.url}/api/v1/k8s/clusters/:id/kubeconfig (points at ${gateway.publicUrl})` : 'not available (no HTTPS address)'}`,
      `  Database:   ${dbMode}`,
      `  Auth:       ${auth}`,
      `  Get a token: npm run token -- --sub alice --role admin`,
      '',
    ].join('\n') + '\n',
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    gateway.logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      gateway.logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, 15_000);
    force.unref();
    gateway
      .close()
      .then(() => process.exit(0))
      .catch((err) => {
        gateway.logger.error({ err }, 'error during shutdown');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err) => {
  if (err instanceof StartupError) {
    process.stderr.write(`kube-gateway cannot start: ${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`kube-gateway failed to start: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
