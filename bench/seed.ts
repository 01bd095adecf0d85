/**
 * Seeding clusters `[from, count)` for benchmarks. The first few go through `ClusterService.create` (the real path: validation,
 * encryption, transaction, event); the rest are inserted in batches with the same encryption and column values, so
 * 10,000 clusters take seconds instead of minutes (one create costs ~10–40 ms on the embedded database).
 */
import { KubeconfigCipher } from '../src/clusters/kubeconfig-cipher.js';
import { clusters } from '../src/db/schema.js';
import type { Gateway } from '../src/gateway.js';

export interface SeedResult {
  firstId: number;
  seedMs: number;
  viaService: number;
  viaBatchInsert: number;
  /** Median wall time of one `ClusterService.create` (skipConnectionTest) while seeding. */
  createMs: number;
}

export async function seedClusters(
  gw: Gateway,
  count: number,
  kubeconfigFor: (i: number) => string,
  opts: { viaService?: number; namePrefix?: string; from?: number } = {},
): Promise<SeedResult> {
  const started = performance.now();
  const prefix = opts.namePrefix ?? 'bench';
  const name = (i: number) => `${prefix}-${String(i).padStart(5, '0')}`;
  const from = opts.from ?? 0;
  const viaService = Math.max(0, Math.min(count - from, opts.viaService ?? 20));
  const createTimes: number[] = [];
  let firstId = 0;
  for (let i = from; i < from + viaService; i++) {
    const t = performance.now();
    const c = await gw.clusters.create({ name: name(i), kubeconfig: kubeconfigFor(i), skipConnectionTest: true });
    createTimes.push(performance.now() - t);
    if (i === from) firstId = c.id;
  }
  const cipher = new KubeconfigCipher(gw.secrets.encryptionKey, gw.secrets.previousEncryptionKeys);
  for (let start = from + viaService; start < count; start += 500) {
    const rows = [];
    for (let i = start; i < Math.min(count, start + 500); i++) {
      const { ciphertext, keyId } = cipher.encrypt(kubeconfigFor(i));
      rows.push({ name: name(i), kubeconfigCiphertext: ciphertext, kubeconfigKeyId: keyId, healthMessage: 'not checked yet' });
    }
    const inserted = await gw.database.db.insert(clusters).values(rows).returning({ id: clusters.id });
    if (!firstId) firstId = inserted[0]?.id ?? 0;
  }
  gw.clusters.invalidateList();
  createTimes.sort((a, b) => a - b);
  return {
    firstId,
    seedMs: performance.now() - started,
    viaService,
    viaBatchInsert: Math.max(0, count - from - viaService),
    createMs: createTimes[createTimes.length >> 1] ?? NaN,
  };
}
