import { readFileSync } from 'node:fs';
import type { ClusterService } from '../clusters/cluster.service.js';
import { ValidationError } from '../errors.js';
import type { Logger } from '../logger.js';
import { StartupError } from '../startup-checks.js';
import { countOutcomes } from './cluster-import.manager.js';
import type { ClusterImportService } from './cluster-import.service.js';
import { decodeImportInput, splitKubeconfig } from './kubeconfig-contexts.js';
import type { PeriodicClaims } from '../db/periodic-claims.js';

/**
 * Reads and checks IMPORT_KUBECONFIG before anything starts: a file that cannot be read, or is not a kubeconfig, stops
 * the gateway with a message naming the variable (contexts with exec or file credentials are not such a problem:
 * they are skipped, each with its reason, when the import runs).
 */
export function readImportFile(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new StartupError(`IMPORT_KUBECONFIG: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  try {
    splitKubeconfig(decodeImportInput(text));
  } catch (err) {
    if (err instanceof ValidationError) throw new StartupError(`IMPORT_KUBECONFIG: ${path} is not a usable kubeconfig: ${err.message}`);
    throw err;
  }
  return text;
}

/** One replica per 10 minutes may run the start-up import; the others (starting at the same time) skip it. */
const CLAIM_SECONDS = 600;

/**
 * Imports every context of the file when no cluster exists yet, making `current-context` the default, and logs one
 * line per context and a summary. Never fails the start: a context that cannot be imported is logged as such.
 */
export async function importAtStartup(
  deps: { importer: ClusterImportService; registry: ClusterService; claims: PeriodicClaims; logger: Logger; replicaId: string },
  path: string,
  text: string,
): Promise<void> {
  const { logger } = deps;
  if (!(await deps.claims.claim('startup_import', deps.replicaId, CLAIM_SECONDS))) {
    logger.info({ file: path }, 'IMPORT_KUBECONFIG: another replica is importing; skipped here');
    return;
  }
  if ((await deps.registry.list()).items.length > 0) {
    logger.info({ file: path }, 'IMPORT_KUBECONFIG: clusters already exist; nothing imported');
    return;
  }
  const results = await deps.importer.apply({ kubeconfig: text, setDefaultFromCurrentContext: true });
  for (const r of results)
    logger.info({ context: r.context, name: r.name, outcome: r.outcome, clusterId: r.clusterId, message: r.message }, 'IMPORT_KUBECONFIG: context');
  logger.info({ file: path, ...countOutcomes(results) }, 'IMPORT_KUBECONFIG: import finished');
}
