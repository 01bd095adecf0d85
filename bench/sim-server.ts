/**
 * A Kubernetes API simulator in its own process (so its TLS and JSON work do not run on the gateway's CPU), hosting
 * N virtual clusters. Writes their kubeconfigs (a JSON array of YAML strings) to a file and prints
 * `{ url, pid, kubeconfigFile }`. IPC: `conns` → open TCP connections; `stats` → requests by status; `clear`;
 * `set` → knobs of virtual cluster `index` (e.g. `{ mode: 'error5xx' }`).
 *
 *   node --import tsx bench/sim-server.ts --clusters 1000 --latency-ms 50 [--nodes 3] [--pods 42]
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeSimulator, type ClusterHandle, type ClusterKnobs } from '../tools/kube-simulator/index.js';
import { flags } from './lib.js';

const args = flags();
const count = Number(args.get('clusters') ?? '1');
const latencyMs = Number(args.get('latency-ms') ?? '0');
const nodes = Number(args.get('nodes') ?? '3');
const pods = Number(args.get('pods') ?? '42');

const sim = await KubeSimulator.start({ nodes: 1, pods: 1 });
const handles: ClusterHandle[] = [];
for (let i = 0; i < count; i++) handles.push(sim.addCluster({ nodes, pods, latencyMs }));
const kubeconfigFile = join(tmpdir(), `kgw-bench-sim-${process.pid}.json`);
writeFileSync(kubeconfigFile, JSON.stringify(handles.map((h) => h.kubeconfig())));

process.on('message', (m: { type?: string; index?: number; indexes?: number[]; knobs?: Partial<ClusterKnobs>; since?: number }) => {
  switch (m?.type) {
    // Fleet scale / soak: when each cluster was probed (its `/version` requests since `since`), by cluster index.
    case 'probes':
      process.send?.({
        type: 'probes',
        at: handles.map((h) => h.requestLog.filter((e) => e.path === '/version' && e.at >= (m.since ?? 0)).map((e) => e.at)),
      });
      break;
    case 'setMany':
      for (const i of m.indexes ?? []) handles[i]?.set(m.knobs ?? {});
      process.send?.({ type: 'setMany' });
      break;
    case 'conns':
      process.send?.({ type: 'conns', count: sim.openConnections() });
      break;
    case 'stats': {
      const byStatus: Record<string, number> = {};
      let requests = 0;
      for (const h of handles) {
        for (const e of h.requestLog) {
          requests++;
          byStatus[e.status] = (byStatus[e.status] ?? 0) + 1;
        }
      }
      process.send?.({ type: 'stats', requests, byStatus });
      break;
    }
    case 'clear':
      sim.clearLog();
      process.send?.({ type: 'clear' });
      break;
    case 'set':
      handles[m.index ?? 0]?.set(m.knobs ?? {});
      process.send?.({ type: 'set' });
      break;
  }
});

const stop = () => void sim.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.on('disconnect', stop);
process.stdout.write(`${JSON.stringify({ url: sim.url, pid: process.pid, kubeconfigFile })}\n`);
