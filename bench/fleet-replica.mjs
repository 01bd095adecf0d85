/**
 * One gateway replica as deployed (compiled dist/ on plain node, no tsx, no harness in its process), for the fleet
 * scale, soak and memory modes (bench/fleet-scale.ts, bench/soak.ts, bench/memory.ts). Plain JavaScript so nothing
 * but the gateway and node sits in its RSS.
 *
 *   node bench/fleet-replica.mjs   (IPC channel required; configuration from the environment, as `npm run start:prod`)
 *
 * The environment is the gateway's own (DATABASE_URL, ENCRYPTION_KEY, JWT_SECRET, DATA_DIR, HEALTH_CHECK_INTERVAL_SECONDS…).
 * Messages: → `{ type: 'ready', url, pid }`; `{ type: 'seed', kubeconfigs, prefix, labels? }` → `{ type: 'seeded', count }`
 * (the stored form, encrypted, in batches of 500, as bench/seed.ts); `{ type: 'memory' }` → `{ type: 'memory', …usage }`;
 * `{ type: 'close' }` closes the gateway and exits.
 */
import v8 from 'node:v8';

const dist = (path) => import(new URL(`../dist/${path}`, import.meta.url).href);
const { loadConfig } = await dist('config.js');
const { startGateway } = await dist('gateway.js');
const { KubeconfigCipher } = await dist('clusters/kubeconfig-cipher.js');
const { clusters } = await dist('db/schema.js');

// A short soak shortens the webhook retry schedule (comma-separated ms); a full soak runs the shipped one.
const retryDelaysMs = process.env.BENCH_WEBHOOK_RETRY_DELAYS_MS?.split(',').map(Number);
const gw = await startGateway(loadConfig(process.env), {
  healthMonitor: process.env.BENCH_HEALTH_MONITOR !== 'false',
  ...(retryDelaysMs ? { webhooks: { retryDelaysMs } } : {}),
});

process.on('message', async (m) => {
  if (m?.type === 'seed') {
    const cipher = new KubeconfigCipher(gw.secrets.encryptionKey, gw.secrets.previousEncryptionKeys);
    const list = m.kubeconfigs;
    for (let start = 0; start < list.length; start += 500) {
      const rows = list.slice(start, start + 500).map((kubeconfig, i) => {
        const { ciphertext, keyId } = cipher.encrypt(kubeconfig);
        const n = start + i;
        const labels = m.labels
          ? { env: ['prod', 'staging', 'dev'][n % 3], tier: ['web', 'api', 'db', 'batch'][(n >> 1) % 4], region: `r${n % 8}` }
          : {};
        return {
          name: `${m.prefix ?? 'fleet'}-${String(n).padStart(5, '0')}`,
          kubeconfigCiphertext: ciphertext,
          kubeconfigKeyId: keyId,
          healthMessage: 'not checked yet',
          labels,
          isDefault: n === 0 && m.firstIsDefault === true,
        };
      });
      await gw.database.db.insert(clusters).values(rows);
    }
    gw.clusters.invalidateList();
    process.send({ type: 'seeded', count: list.length });
  }
  if (m?.type === 'memory') {
    globalThis.gc?.();
    const heap = v8.getHeapStatistics();
    const code = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'code_space');
    // PGlite's WebAssembly memory (embedded only): one ArrayBuffer, the floor of an embedded gateway.
    const wasmBytes = gw.database.pglite?.mod?.HEAPU8?.buffer?.byteLength ?? 0;
    process.send({
      type: 'memory',
      ...process.memoryUsage(),
      heapSizeLimit: heap.heap_size_limit,
      mallocedMemory: heap.malloced_memory,
      codeSpaceUsed: code?.space_used_size ?? 0,
      wasmBytes,
      gc: typeof globalThis.gc === 'function',
    });
  }
  if (m?.type === 'close') {
    await gw.close();
    process.exit(0);
  }
});
process.on('SIGTERM', () => void gw.close().finally(() => process.exit(0)));
process.send({ type: 'ready', url: gw.url, pid: process.pid });
