import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { JwtVerifier } from '../auth/jwt.js';
import { KubeconfigCipher } from '../clusters/kubeconfig-cipher.js';
import type { Config } from '../config.js';
import { type Database, type DatabaseTarget, openDatabase } from '../db/client.js';
import { type EventBus, PgEventBus } from '../events/event-bus.js';
import { readImportFile } from '../fleet/startup-import.js';
import { resolveServingTls, type ServingTls } from '../http/tls.js';
import type { Logger } from '../logger.js';
import { resolveSecrets, type ResolvedSecrets } from '../secrets.js';
import { checkStoredKubeconfigsDecrypt } from '../startup-checks.js';

/** What every domain and transport stands on: secrets, the database, TLS material, the event bus, token checks. */
export interface Foundation {
  logger: Logger;
  /** IMPORT_KUBECONFIG, read before anything opened. */
  importFile: { path: string; text: string } | undefined;
  secrets: ResolvedSecrets;
  database: Database;
  cipher: KubeconfigCipher;
  tls: ServingTls | undefined;
  events: EventBus;
  verifier: JwtVerifier;
  /** Names this process in database claims (health leases, discovery tasks, pruning, webhook attempts). */
  replicaId: string;
}

/**
 * Opens the foundation in the order that reports configuration errors before anything serves: an unreadable
 * IMPORT_KUBECONFIG, a key that cannot decrypt what is stored, an unreadable TLS_CERT_FILE. What opened is closed again
 * when a later step fails.
 */
export async function openFoundation(config: Config, logger: Logger, databaseTarget: DatabaseTarget | undefined): Promise<Foundation> {
  // Before anything opens: an unreadable IMPORT_KUBECONFIG is a start-up error naming the variable.
  const importFile =
    config.importKubeconfig === undefined ? undefined : { path: config.importKubeconfig, text: readImportFile(config.importKubeconfig) };
  const secrets = resolveSecrets(config);
  const database = await openDatabase(databaseTarget ?? config.database);
  const cipher = new KubeconfigCipher(secrets.encryptionKey, secrets.previousEncryptionKeys);
  let tls: ServingTls | undefined;
  try {
    // Before serving: a key that cannot decrypt what is stored is a configuration error, not a stream of 500s later.
    const { missingKeyIds } = await checkStoredKubeconfigsDecrypt(database.db, cipher);
    if (missingKeyIds.length) {
      logger.warn(
        { missingKeyIds },
        'some stored kubeconfigs were encrypted with keys that are not configured (ENCRYPTION_PREVIOUS_KEYS); those clusters cannot be used',
      );
    }
    // Before the event bus: a TLS problem (unreadable TLS_CERT_FILE) is a configuration error reported at once.
    tls = await resolveServingTls({
      certFile: config.https.certFile,
      keyFile: config.https.keyFile,
      generateInto: config.database.kind === 'embedded' ? join(config.dataDir, 'tls') : undefined,
      hostNames: [
        'localhost',
        '127.0.0.1',
        hostname(),
        ...(config.https.publicUrl ? [new URL(config.https.publicUrl).hostname.replace(/^\[(.*)\]$/, '$1')] : []),
      ],
    });
  } catch (err) {
    await database.close().catch(() => {});
    throw err;
  }
  const events = await PgEventBus.start(database);
  const verifier = new JwtVerifier({
    keys: secrets.jwt,
    issuer: config.jwt.issuer,
    audience: config.jwt.audience,
    claims: config.jwtClaims,
    onJwksError: (err) => logger.warn({ err: err.message }, 'JWT_JWKS_URL: fetching the signing keys failed'),
  });
  const replicaId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  return { logger, importFile, secrets, database, cipher, tls, events, verifier, replicaId };
}
