import { importCommand } from '../../src/cli/import.command.js';

// `node --import tsx test/support/import-cli-entry.ts <args>`: the import command as its own process (the CLI
// framework registers the same module under `kube-gateway import`).
process.exitCode = await importCommand.run(process.argv.slice(2));
