import { readFileSync } from 'node:fs';
import { type Command, CliError, commandGroup } from './command.js';
import { dbCommand } from './db.command.js';
import { loadDotEnv } from './env-file.js';
import { importCommand } from './import.command.js';
import { startCommand } from './start.command.js';
import { tokenCommand } from './token.command.js';

/**
 * `kube-gateway <command>`: the command registry. Each command is a `{ name, summary, run(argv) }` module; adding one
 * is one import and one line below.
 */
const COMMANDS: readonly Command[] = [startCommand, tokenCommand, importCommand, dbCommand];

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

const root = commandGroup(
  'kube-gateway',
  'kube-gateway: a multi-cluster Kubernetes gateway (GraphQL and REST). Reads ./.env when present.',
  '',
  COMMANDS,
);

/**
 * Runs one command line and ends the process with its exit code (commands that serve, like `start`, never return).
 * Operator mistakes print one line `kube-gateway: <reason>` on stderr; anything else is a bug and prints its stack.
 */
export async function runCli(argv: string[]): Promise<void> {
  let code: number;
  try {
    try {
      loadDotEnv();
    } catch (err) {
      throw new CliError(`cannot read .env: ${(err as Error).message}`, 2);
    }
    if (argv[0] === '--version' || argv[0] === '-v') {
      process.stdout.write(`kube-gateway ${version()}\n`);
      code = 0;
    } else {
      code = await root.run(argv);
    }
  } catch (err) {
    if (err instanceof CliError) {
      process.stderr.write(`kube-gateway: ${err.message}\n`);
      code = err.exitCode;
    } else {
      process.stderr.write(`kube-gateway: unexpected failure: ${(err as Error).stack ?? String(err)}\n`);
      code = 1;
    }
  }
  process.exit(code);
}
