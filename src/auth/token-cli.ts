import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config.js';
import { resolveSecrets } from '../secrets.js';
import { signToken } from './jwt.js';

/** `npm run token -- --sub alice --role admin [--expires 12h]`: prints a token signed with the configured key. */
function main(): void {
  const { values } = parseArgs({
    options: { sub: { type: 'string' }, role: { type: 'string', default: 'user' }, expires: { type: 'string', default: '12h' } },
  });
  if (!values.sub) {
    process.stderr.write('usage: npm run token -- --sub <subject> [--role admin|user] [--expires 12h]\n');
    process.exit(2);
  }
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    process.stderr.write(`${(err as ConfigError).message}\n`);
    process.exit(2);
  }
  const secrets = resolveSecrets(config);
  if (secrets.jwt.algorithm !== 'HS256') {
    process.stderr.write('JWT_PUBLIC_KEY is configured: tokens must be issued by the holder of the private key.\n');
    process.exit(2);
  }
  process.stdout.write(
    signToken(secrets.jwt.secret, { sub: values.sub, role: values.role }, { expiresIn: values.expires, issuer: config.jwt.issuer, audience: config.jwt.audience }) + '\n',
  );
}

main();
