import { KubeSimulator, type AddClusterOptions, type ClusterHandle } from '../../tools/kube-simulator/index.js';
import { b64 } from './kubeconfigs.js';

/** A kubeconfig for a live (simulated) cluster the gateway can reach, plus a credential marker to grep for leaks. */
export interface ReachableCluster {
  kubeconfigYaml: string;
  kubeconfigBase64: string;
  /** A string that only occurs inside the credential: it must never appear in a response, log or database file. */
  secretMarker: string;
  handle: ClusterHandle;
  sim: KubeSimulator;
  close(): Promise<void>;
}

let shared: Promise<KubeSimulator> | undefined;

/** One simulator per test file (worker module scope), started on first use; every call adds a virtual cluster. */
export function sharedSimulator(): Promise<KubeSimulator> {
  return (shared ??= KubeSimulator.start({ nodes: 3, pods: 42 }));
}

export async function reachableCluster(opts: AddClusterOptions & { auth?: 'token' | 'cert' } = {}): Promise<ReachableCluster> {
  const sim = await sharedSimulator();
  const { auth, ...clusterOpts } = opts;
  const handle = sim.addCluster({ nodes: 3, pods: 42, ...clusterOpts });
  const yaml = handle.kubeconfig({ auth: auth ?? 'token' });
  return {
    kubeconfigYaml: yaml,
    kubeconfigBase64: b64(yaml),
    secretMarker: auth === 'cert' ? handle.clientKeyPem.split('\n')[1]!.slice(0, 40) : handle.token,
    handle,
    sim,
    close: async () => {
      sim.removeCluster(handle.id);
    },
  };
}

/** Called after each test file (test/support/setup.ts). */
export async function closeSharedSimulator(): Promise<void> {
  const sim = shared;
  shared = undefined;
  if (sim) await (await sim).close();
}
