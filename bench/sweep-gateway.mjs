/**
 * The gateway of the health-sweep benchmark (bench/health-sweep.ts), alone in its process and as deployed: the
 * compiled dist/ on plain node, without tsx (whose loader alone adds ~120 MB of RSS to any process). Plain JavaScript
 * for that reason, so bench/seed.ts cannot be imported: the same batched, encrypted inserts are done here.
 *
 *   node bench/sweep-gateway.mjs --data-dir DIR --kubeconfigs FILE --concurrency 64   (IPC channel required)
 *
 * Environment: DATABASE_URL / ENCRYPTION_KEY for the PostgreSQL variant. Messages: → `{ type: 'ready', rssMB }` once
 * seeded; `{ type: 'sweep' }` → `{ type: 'swept', wallMs, cpuMs, probed, windowUs, peakSockets, health }`;
 * `{ type: 'close' }` closes the gateway and exits.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';

const arg = (name) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const dist = (path) => import(new URL(`../dist/${path}`, import.meta.url).href);
const { loadConfig } = await dist('config.js');
const { startGateway } = await dist('gateway.js');
const { KubeconfigCipher } = await dist('clusters/kubeconfig-cipher.js');
const { clusters } = await dist('db/schema.js');

const config = loadConfig({
  ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL, ENCRYPTION_KEY: process.env.ENCRYPTION_KEY } : {}),
  PORT: '0',
  HOST: '127.0.0.1',
  DATA_DIR: arg('data-dir'),
  JWT_SECRET: randomBytes(32).toString('hex'),
  LOG_LEVEL: 'warn',
  HEALTH_CHECK_INTERVAL_SECONDS: '86400',
  HEALTH_CHECK_CONCURRENCY: arg('concurrency') ?? '64',
  PROMETHEUS_AUTO_DISCOVERY: 'false',
});
const gw = await startGateway(config, { healthMonitor: false });

// Seeding as bench/seed.ts does past its first clusters: the stored form (encrypted kubeconfig) in batches of 500.
const kubeconfigs = JSON.parse(readFileSync(arg('kubeconfigs'), 'utf8'));
const cipher = new KubeconfigCipher(gw.secrets.encryptionKey, gw.secrets.previousEncryptionKeys);
for (let start = 0; start < kubeconfigs.length; start += 500) {
  const rows = kubeconfigs.slice(start, start + 500).map((kubeconfig, i) => {
    const { ciphertext, keyId } = cipher.encrypt(kubeconfig);
    return {
      name: `bench-${String(start + i).padStart(5, '0')}`,
      kubeconfigCiphertext: ciphertext,
      kubeconfigKeyId: keyId,
      healthMessage: 'not checked yet',
    };
  });
  await gw.database.db.insert(clusters).values(rows);
}
gw.clusters.invalidateList();
kubeconfigs.length = 0;

process.on('message', async (m) => {
  if (m?.type === 'sweep') {
    let peakSockets = 0;
    const sampler = setInterval(() => (peakSockets = Math.max(peakSockets, gw.clients.openSockets())), 50);
    const cpu0 = process.cpuUsage();
    const fromUs = Number(process.hrtime.bigint() / 1000n);
    const t = performance.now();
    const probed = await gw.health.sweep();
    const wallMs = performance.now() - t;
    const toUs = Number(process.hrtime.bigint() / 1000n);
    const cpu = process.cpuUsage(cpu0);
    clearInterval(sampler);
    process.send({
      type: 'swept',
      wallMs,
      cpuMs: Math.round((cpu.user + cpu.system) / 1000),
      probed,
      windowUs: [fromUs, toUs],
      peakSockets,
      health: await gw.clusters.countByHealth(),
    });
  }
  if (m?.type === 'close') {
    await gw.close();
    process.exit(0);
  }
});
process.send({ type: 'ready', rssMB: Math.round(process.memoryUsage().rss / 1048576) });
