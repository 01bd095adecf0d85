import { parseArgs, type ParseArgsConfig } from 'node:util';

/**
 * One `kube-gateway` command. `run` gets the arguments after its name and resolves with the process exit code; it
 * throws CliError for an operator mistake (printed as one line) — anything else is a bug and prints its stack.
 */
export interface Command {
  readonly name: string;
  /** One line, shown in the parent's command list. */
  readonly summary: string;
  run(argv: string[]): Promise<number>;
}

/** A mistake the operator can fix: printed as `kube-gateway <command>: <message>`, exit code `exitCode`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Exit code for bad usage (unknown option, missing argument), as most command-line tools use. */
export const USAGE_EXIT = 2;

type Options = NonNullable<ParseArgsConfig['options']>;
export interface ParsedOptions<O extends Options> {
  values: { [K in keyof O]?: O[K]['type'] extends 'boolean' ? boolean : string };
  positionals: string[];
}

/**
 * Parses `argv` strictly against `options` (plus `--help`/`-h`); an unknown or malformed option becomes a CliError
 * naming it. Returns undefined when help was asked for (the caller prints `usage` and exits 0).
 */
export function parseOptions<O extends Options>(argv: string[], options: O, opts: { positionals?: boolean } = {}): ParsedOptions<O> | undefined {
  try {
    const parsed = parseArgs({
      args: argv,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: opts.positionals ?? false,
    });
    if ((parsed.values as { help?: boolean }).help) return undefined;
    return parsed as unknown as ParsedOptions<O>;
  } catch (err) {
    throw new CliError(`${(err as Error).message.split('\n')[0]} (see --help)`, USAGE_EXIT);
  }
}

/** Prints a command's help on stdout; asking for help succeeds (exit 0). */
export function printHelp(usage: string): number {
  process.stdout.write(usage + '\n');
  return 0;
}

/** Progress for long work goes to stderr, so stdout stays the command's result (a token, a summary). */
export function progress(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** A command made of sub-commands (`kube-gateway db …`), with the same help and error conventions as the top level. */
export function commandGroup(name: string, summary: string, usagePrefix: string, children: readonly Command[]): Command {
  const full = usagePrefix ? `${usagePrefix} ${name}` : name;
  const help = () =>
    [
      `usage: ${full} <command> [options]`,
      '',
      summary,
      '',
      'commands:',
      ...children.map((c) => `  ${c.name.padEnd(18)} ${c.summary}`),
      '',
      `Run \`${full} <command> --help\` for a command's options.`,
    ].join('\n');
  return {
    name,
    summary,
    async run(argv) {
      const [sub, ...rest] = argv;
      if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
        process.stdout.write(help() + '\n');
        return sub === undefined ? USAGE_EXIT : 0;
      }
      const child = children.find((c) => c.name === sub);
      if (!child) throw new CliError(`unknown command "${full} ${sub}" (commands: ${children.map((c) => c.name).join(', ')})`, USAGE_EXIT);
      return child.run(rest);
    },
  };
}
