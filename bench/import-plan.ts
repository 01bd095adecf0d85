/**
 * Import plan of 200 contexts against simulated API servers answering after 50 ms each (issue 14, item 8).
 * `npx tsx bench/import-plan.ts` (Node 24 PATH). Prints the wall time of planClusterImport over GraphQL; target ≤ 5 s.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signToken } from '../src/auth/jwt.js';
import { loadConfig } from '../src/config.js';
import { startGateway } from '../src/gateway.js';
import { fleetKubeconfig } from '../test/support/fleet-kubeconfig.js';
import { KubeSimulator } from '../tools/kube-simulator/index.js';

const CONTEXTS = 200;
const LATENCY_MS = 50;

const sim = await KubeSimulator.start({ nodes: 1, pods: 3 });
const specs = Array.from({ length: CONTEXTS }, (_, i) => ({ name: `bench-${i}`, kind: 'good' as const }));
const { yaml } = fleetKubeconfig(sim, specs, { unreachableServer: 'https://127.0.0.1:1', latencyMs: LATENCY_MS });
const dataDir = mkdtempSync(join(tmpdir(), 'kgw-bench-import-'));
const secret = randomBytes(32).toString('hex');
const gw = await startGateway(
  loadConfig({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, JWT_SECRET: secret, LOG_LEVEL: 'silent', PROMETHEUS_AUTO_DISCOVERY: 'false' }),
  { healthMonitor: false },
);
const token = signToken(secret, { sub: 'bench', role: 'admin' });

const query = 'query($input: ClusterImportInput!) { planClusterImport(input: $input) { items { action reachable } } }';
const cpuBefore = process.cpuUsage();
const started = performance.now();
const res = await fetch(`${gw.url}/graphql`, {
  method: 'POST',
  headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
  body: JSON.stringify({ query, variables: { input: { kubeconfig: yaml } } }),
});
const body = (await res.json()) as { data?: { planClusterImport: { items: { action: string; reachable: boolean }[] } }; errors?: unknown };
const wallMs = performance.now() - started;
// Gateway and simulator share this process: CPU time says how much of the wall time a loaded machine can inflate.
const cpu = process.cpuUsage(cpuBefore);
const items = body.data?.planClusterImport.items ?? [];
const reachable = items.filter((i) => i.reachable).length;
console.log(
  JSON.stringify({
    bench: 'import-plan',
    contexts: CONTEXTS,
    latencyMs: LATENCY_MS,
    kubeconfigBytes: Buffer.byteLength(yaml),
    reachable,
    wallMs: Math.round(wallMs),
    cpuMs: Math.round((cpu.user + cpu.system) / 1000),
    targetMs: 5000,
    pass: wallMs <= 5000 && reachable === CONTEXTS,
  }),
);
if (body.errors) console.error(JSON.stringify(body.errors));
await gw.close();
await sim.close();
rmSync(dataDir, { recursive: true, force: true });
