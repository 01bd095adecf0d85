/**
 * What the two subscriptions deliver (DESIGN.md's `DiscoveryStatus` and `Cluster`), for typing `LiveClient.subscribe`.
 * Suites select subsets; fields they did not ask for are simply absent at run time.
 */
export interface LiveDiscoveryStatus {
  clusterId: string;
  taskId: string | null;
  state: 'PENDING' | 'RUNNING' | 'FOUND' | 'NOT_FOUND' | 'FAILED' | 'CANCELLED';
  startedAt: string | null;
  finishedAt: string | null;
  prometheusUrl: string | null;
  message: string | null;
  candidatesChecked: number | null;
}

export interface LiveCluster {
  id: string;
  name: string;
  healthStatus: string;
  healthMessage: string | null;
  kubernetesVersion: string | null;
  nodeCount: number;
  readyNodeCount: number | null;
  podCount: number;
  prometheusUrl: string | null;
  prometheusSource: string;
  kubeconfig: string | null;
}

/** A discoveryStatus stream's states in arrival order, immediate repeats (progress updates of one state) collapsed. */
export const stateSequence = (items: LiveDiscoveryStatus[]) => items.map((s) => s.state).filter((s, i, all) => i === 0 || all[i - 1] !== s);
