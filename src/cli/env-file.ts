import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * Loads `.env` from the working directory when there is one, before the configuration is parsed. Node's
 * `process.loadEnvFile` never overrides a variable that is already set (even to an empty string), so the real
 * environment always wins over the file. Only the entry points call this; `loadConfig` itself reads what it is given.
 */
export function loadDotEnv(file = resolve('.env')): string | undefined {
  if (!existsSync(file)) return undefined;
  process.loadEnvFile(file);
  return file;
}
