import { ConfigError, loadConfig } from '../config.js';
import { startGateway } from '../gateway.js';
import { StartupError } from '../startup-checks.js';
import { type Command, CliError, parseOptions, printHelp } from './command.js';

const USAGE = `usage: kube-gateway start

Starts the gateway (HTTP, GraphQL, REST) with the configuration from the environment (and ./.env when present):
PORT, HOST, DATABASE_URL or DATA_DIR, JWT_SECRET / JWT_PUBLIC_KEY, ENCRYPTION_KEY, … (see README, "Configuration").
Stops gracefully on SIGTERM / SIGINT.`;

/** The banner an operator reads first: where to go and what the gateway runs on. */
function banner(gateway: Awaited<ReturnType<typeof startGateway>>, config: ReturnType<typeof loadConfig>): string {
  const dbMode = config.database.kind === 'embedded' ? `embedded PGlite in ${config.database.dataDir}` : 'PostgreSQL (DATABASE_URL)';
  const auth =
    gateway.secrets.jwt.algorithm === 'HS256'
      ? `HS256 ${gateway.secrets.jwt.generatedFile ? `(secret generated in ${gateway.secrets.jwt.generatedFile})` : '(JWT_SECRET)'}`
      : gateway.secrets.jwt.algorithm === 'JWKS'
        ? `RS256/ES256 from ${new URL(gateway.secrets.jwt.jwksUrl).host} (JWT_JWKS_URL)`
        : `${gateway.secrets.jwt.algorithm} (JWT_PUBLIC_KEY)`;
  return [
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
  ].join('\n');
}

/** Runs the gateway until a signal stops it; the returned promise settles only if startup fails. */
export async function runGateway(): Promise<number> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.message, 2);
    throw err;
  }
  let gateway;
  try {
    gateway = await startGateway(config);
  } catch (err) {
    if (err instanceof StartupError) throw new CliError(`cannot start: ${err.message}`, 2);
    throw err;
  }
  process.stdout.write(banner(gateway, config) + '\n');

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
  // Serving: the signal handlers end the process.
  return new Promise<number>(() => {});
}

export const startCommand: Command = {
  name: 'start',
  summary: 'run the gateway (configuration from the environment and ./.env)',
  async run(argv) {
    if (!parseOptions(argv, {})) {
      return printHelp(USAGE);
    }
    return runGateway();
  },
};
