import { signToken } from '../auth/jwt.js';
import { ConfigError, loadConfig } from '../config.js';
import { resolveSecrets } from '../secrets.js';
import { type Command, CliError, parseOptions, printHelp } from './command.js';

const USAGE = `usage: kube-gateway token --sub SUBJECT [--role admin|user] [--expires 12h]

Prints a token (on stdout, nothing else) signed with the configured HS256 secret: JWT_SECRET, or in embedded mode the
secret generated in DATA_DIR/jwt.secret. JWT_ISSUER / JWT_AUDIENCE are set as the gateway expects them.

options:
  --sub SUBJECT     the subject (user name) of the token (required)
  --role ROLE       the role claim: admin or user (default: user)
  --expires SPAN    lifetime in jsonwebtoken's syntax: 30m, 12h, 7d (default: 12h)`;

export const tokenCommand: Command = {
  name: 'token',
  summary: 'print a signed token for a subject and role (HS256 deployments)',
  async run(argv) {
    const parsed = parseOptions(argv, { sub: { type: 'string' }, role: { type: 'string', default: 'user' }, expires: { type: 'string', default: '12h' } });
    if (!parsed) {
      return printHelp(USAGE);
    }
    const { sub, role, expires } = parsed.values;
    if (!sub) throw new CliError('--sub is required (see --help)', 2);
    let config;
    try {
      config = loadConfig();
    } catch (err) {
      if (err instanceof ConfigError) throw new CliError(err.message, 2);
      throw err;
    }
    const secrets = resolveSecrets(config);
    if (secrets.jwt.algorithm !== 'HS256') throw new CliError(`${secrets.jwt.algorithm === 'JWKS' ? 'JWT_JWKS_URL' : 'JWT_PUBLIC_KEY'} is configured: tokens must be issued by the holder of the private key`, 2);
    let token: string;
    try {
      token = signToken(secrets.jwt.secret, { sub, role }, { expiresIn: expires, issuer: config.jwt.issuer, audience: config.jwt.audience });
    } catch (err) {
      throw new CliError(`--expires: ${(err as Error).message}`, 2);
    }
    process.stdout.write(token + '\n');
    return 0;
  },
};
