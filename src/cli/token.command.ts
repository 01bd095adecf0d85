import { userInfo } from 'node:os';
import { signToken } from '../auth/jwt.js';
import { ConfigError, loadConfig } from '../config.js';
import { resolveSecrets } from '../secrets.js';
import { type Command, CliError, parseOptions, printHelp } from './command.js';

const USAGE = `usage: kube-gateway token --sub SUBJECT [--role admin|user] [--expires 12h] [--open]

Prints a token (on stdout, nothing else) signed with the configured HS256 secret: JWT_SECRET, or in embedded mode the
secret generated in DATA_DIR/jwt.secret. JWT_ISSUER / JWT_AUDIENCE are set as the gateway expects them.

options:
  --sub SUBJECT     the subject (user name) of the token (required, except with --open: your login name)
  --role ROLE       the role claim: admin or user (default: user)
  --expires SPAN    lifetime in jsonwebtoken's syntax: 30m, 12h, 7d (default: 12h; with --open: 15m)
  --open, --url     print a dashboard link that signs you in, http://localhost:PORT/ui/#token=…, instead of the bare
                    token (the fragment never reaches a server; the page removes it from the address bar)`;

/** A token handed over in a link is short-lived: a link lingers in terminals and shell history. */
const LINK_EXPIRY = '15m';

export const tokenCommand: Command = {
  name: 'token',
  summary: 'print a signed token for a subject and role (HS256 deployments)',
  async run(argv) {
    const parsed = parseOptions(argv, {
      sub: { type: 'string' },
      role: { type: 'string', default: 'user' },
      expires: { type: 'string' },
      open: { type: 'boolean' },
      url: { type: 'boolean' },
    });
    if (!parsed) {
      return printHelp(USAGE);
    }
    const { role } = parsed.values;
    const asLink = Boolean(parsed.values.open || parsed.values.url);
    // A link is for the person at this terminal: without --sub it names them.
    const sub = parsed.values.sub ?? (asLink ? userInfo().username : undefined);
    const expires = parsed.values.expires ?? (asLink ? LINK_EXPIRY : '12h');
    if (!sub) throw new CliError('--sub is required (see --help)', 2);
    let config;
    try {
      config = loadConfig();
    } catch (err) {
      if (err instanceof ConfigError) throw new CliError(err.message, 2);
      throw err;
    }
    const secrets = resolveSecrets(config);
    if (secrets.jwt.algorithm !== 'HS256')
      throw new CliError(
        `${secrets.jwt.algorithm === 'JWKS' ? 'JWT_JWKS_URL' : 'JWT_PUBLIC_KEY'} is configured: tokens must be issued by the holder of the private key`,
        2,
      );
    let token: string;
    try {
      token = signToken(secrets.jwt.secret, { sub, role }, { expiresIn: expires, issuer: config.jwt.issuer, audience: config.jwt.audience });
    } catch (err) {
      throw new CliError(`--expires: ${(err as Error).message}`, 2);
    }
    process.stdout.write((asLink ? `http://localhost:${config.port}/ui/#token=${token}` : token) + '\n');
    return 0;
  },
};
