import { stringify } from 'yaml';
import type { ClusterHandle, KubeSimulator } from '../../tools/kube-simulator/index.js';

/** How one context of a generated fleet kubeconfig behaves when imported. */
export type FleetContextKind = 'good' | 'exec' | 'tokenFile' | 'unreachable';

export interface FleetContext {
  name: string;
  kind: FleetContextKind;
  /** The simulated cluster behind a good context. */
  handle?: ClusterHandle;
}

/**
 * A kubeconfig with many contexts, as a platform team's file looks: good contexts each reach their own virtual cluster
 * of `sim` (own token), `exec` / `tokenFile` contexts carry credentials the gateway must refuse, `unreachable` ones
 * point at `unreachableServer` (nothing listens there). Names may repeat, as in a hand-merged file.
 */
export function fleetKubeconfig(
  sim: KubeSimulator,
  specs: { name: string; kind: FleetContextKind }[],
  opts: { unreachableServer: string; latencyMs?: number; currentContext?: string },
): { yaml: string; contexts: FleetContext[] } {
  const ca = Buffer.from(sim.caPem).toString('base64');
  const clusters: unknown[] = [];
  const users: unknown[] = [];
  const contexts: unknown[] = [];
  const out: FleetContext[] = specs.map((spec, i) => {
    const handle = spec.kind === 'good' ? sim.addCluster({ nodes: 1, pods: 3, latencyMs: opts.latencyMs ?? 0 }) : undefined;
    const server = spec.kind === 'unreachable' ? opts.unreachableServer : sim.url;
    clusters.push({ name: `cluster-${i}`, cluster: { server, 'certificate-authority-data': ca } });
    const user =
      spec.kind === 'exec'
        ? { exec: { apiVersion: 'client.authentication.k8s.io/v1beta1', command: 'sh', args: ['-c', 'echo pwned'] } }
        : spec.kind === 'tokenFile'
          ? { tokenFile: '/etc/passwd' }
          : { token: handle?.token ?? `unreachable-token-${i}` };
    users.push({ name: `user-${i}`, user });
    contexts.push({ name: spec.name, context: { cluster: `cluster-${i}`, user: `user-${i}` } });
    return { ...spec, handle };
  });
  const yaml = stringify({ apiVersion: 'v1', kind: 'Config', clusters, users, contexts, 'current-context': opts.currentContext ?? specs[0]!.name });
  return { yaml, contexts: out };
}
