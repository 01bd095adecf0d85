// `npm run contracts`: regenerates schema.graphql and openapi.json at the repository root from a gateway started in
// memory (nothing persisted, no network but loopback). Commit the result with the change that altered them.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config.js';
import { startGateway } from '../src/gateway.js';
import { CONTRACT_FILES, fetchContracts } from './contracts-lib.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'kgw-contracts-'));
const config = loadConfig({
  PORT: '0',
  HOST: '127.0.0.1',
  DATA_DIR: dataDir,
  LOG_LEVEL: 'silent',
  JWT_SECRET: randomBytes(32).toString('base64url'),
  ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  PROMETHEUS_AUTO_DISCOVERY: 'false',
});
const gateway = await startGateway(config, { database: { kind: 'memory' }, healthMonitor: false });
try {
  const { schema, openapi } = await fetchContracts(gateway.url);
  writeFileSync(join(root, CONTRACT_FILES.schema), schema);
  writeFileSync(join(root, CONTRACT_FILES.openapi), openapi);
  process.stdout.write(`wrote ${CONTRACT_FILES.schema} (${schema.length} bytes) and ${CONTRACT_FILES.openapi} (${openapi.length} bytes)\n`);
} finally {
  await gateway.close();
  rmSync(dataDir, { recursive: true, force: true });
}
