import { ClusterUnreachableError, ValidationError } from '../errors.js';
import type { ConnectionFacts } from '../clusters/cluster.service.js';
import { createKubeClient, type KubeClientOptions } from '../kube/kube-client.js';
import type { KubeconfigSpec } from '../kube/kubeconfig.js';
import { classifyKubeError, cleanVersion, countNodes, countPods } from '../kube/probe.js';
import type { HealthMonitor } from './health-monitor.js';

/** The answer to "can the gateway reach this cluster?" (C6 / testClusterConnection). */
export interface ConnectionTestView {
  clusterId: number;
  clusterName: string;
  connected: boolean;
  kubernetesVersion: string | null;
  nodeCount: number | null;
  testedAt: Date;
  message: string;
}

export class ConnectionTestService {
  constructor(
    private readonly monitor: HealthMonitor,
    private readonly clientOptions: KubeClientOptions,
  ) {}

  /**
   * C3 step 2: before a cluster is saved, reach it as the contract says (`GET /api/v1/namespaces`), then learn its
   * version and nodes. A failure is the caller's input problem: 400 naming the kubeconfig, with the reason.
   */
  async verifyBeforeSave(spec: KubeconfigSpec): Promise<ConnectionFacts> {
    const client = createKubeClient(spec, this.clientOptions);
    try {
      await client.core.listNamespace({ limit: 1 });
      // Figures are best effort (a kubeconfig may lack list permissions); only reaching the cluster is required.
      const [version, nodes, pods] = await Promise.all([
        client.version.getCode(),
        countNodes(client).catch(() => undefined),
        countPods(client).catch(() => undefined),
      ]);
      return { kubernetesVersion: cleanVersion(version.gitVersion), nodeCount: nodes?.total ?? 0, readyNodeCount: nodes?.ready ?? null, podCount: pods?.count };
    } catch (err) {
      const failure = classifyKubeError(err);
      throw new ValidationError('kubeconfig', `cannot connect to the cluster (${failure.reason}): ${failure.message}`);
    } finally {
      client.close();
    }
  }

  /** C6: probes now, records the result as the cluster's health, and answers 503 with a typed reason if unreachable. */
  async test(clusterId: number): Promise<ConnectionTestView> {
    const outcome = await this.monitor.checkNow(clusterId);
    const { probe, observation } = outcome;
    if (!probe.version.ok) throw new ClusterUnreachableError(probe.version.failure.reason, `cannot connect to cluster "${outcome.name}": ${probe.version.failure.message}`);
    return {
      clusterId,
      clusterName: outcome.name,
      connected: true,
      kubernetesVersion: probe.version.gitVersion,
      nodeCount: probe.nodes.ok ? probe.nodes.figures.total : null,
      testedAt: new Date(),
      message: observation.message,
    };
  }
}
