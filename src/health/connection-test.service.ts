import { ClusterUnreachableError, type UnreachableReason, ValidationError } from '../errors.js';
import type { ConnectionFacts } from '../clusters/cluster.service.js';
import { createKubeClient, type KubeClientOptions } from '../kube/kube-client.js';
import type { KubeconfigSpec } from '../kube/kubeconfig.js';
import { UnexpectedResponseError } from '../kube/kube-http.js';
import { classifyKubeError, cleanVersion, countNodes, countPods, isKubernetesVersion, withinDeadline } from '../kube/probe.js';
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
   * version and nodes, all within one probe deadline. The server must answer like Kubernetes: a namespace list and a
   * `/version` document (string `gitVersion` "vX.Y…", `major`, `minor`); any other endpoint that answers JSON is not
   * a cluster. A failure is the caller's input problem: 400 naming the kubeconfig with a typed reason in fixed words,
   * never the remote body or error text, so that C3 cannot be used to tell one internal service from another.
   */
  async verifyBeforeSave(spec: KubeconfigSpec): Promise<ConnectionFacts> {
    const client = createKubeClient(spec, this.clientOptions);
    // Once the server proved to be Kubernetes, the figures are best effort: a deadline hit while counting keeps what
    // is known instead of refusing a reachable cluster.
    let facts: ConnectionFacts | undefined;
    try {
      return await withinDeadline(
        this.monitor.probeTimeoutMs,
        async (signal) => {
          const scoped = client.withSignal(signal);
          // The reads refuse a namespace list without items.
          await scoped.reads.listNamespaces({ limit: 1 });
          const version = await scoped.reads.version();
          if (!isKubernetesVersion(version)) throw new UnexpectedResponseError('a /version answer that is not a Kubernetes version');
          facts = { kubernetesVersion: cleanVersion(version.gitVersion), nodeCount: 0, readyNodeCount: null };
          // Figures are best effort (a kubeconfig may lack list permissions); only reaching the cluster is required.
          const [nodes, pods] = await Promise.all([countNodes(scoped).catch(() => undefined), countPods(scoped).catch(() => undefined)]);
          return { ...facts, nodeCount: nodes?.total ?? 0, readyNodeCount: nodes?.ready ?? null, podCount: pods?.count };
        },
        (late) => {
          if (facts) return facts;
          throw late;
        },
      );
    } catch (err) {
      const { reason } = classifyKubeError(err);
      throw new ValidationError('kubeconfig', `cannot connect to the cluster (${reason}): ${PRE_SAVE_REASONS[reason]}`);
    } finally {
      client.close();
    }
  }

  /**
   * The import plan's question, "does this server answer as Kubernetes, and which version?": C3's first two requests
   * (namespace list, `/version`) sent together, under the same deadline and classification, without counting nodes and
   * pods. Throws the same `ValidationError` naming the kubeconfig as `verifyBeforeSave`.
   */
  async reach(spec: KubeconfigSpec): Promise<{ kubernetesVersion: string }> {
    const client = createKubeClient(spec, this.clientOptions);
    try {
      return await withinDeadline(
        this.monitor.probeTimeoutMs,
        async (signal) => {
          const scoped = client.withSignal(signal);
          const [, version] = await Promise.all([scoped.reads.listNamespaces({ limit: 1 }), scoped.reads.version()]);
          if (!isKubernetesVersion(version)) throw new UnexpectedResponseError('a /version answer that is not a Kubernetes version');
          return { kubernetesVersion: cleanVersion(version.gitVersion) };
        },
        (late) => {
          throw late;
        },
      );
    } catch (err) {
      const { reason } = classifyKubeError(err);
      throw new ValidationError('kubeconfig', `cannot connect to the cluster (${reason}): ${PRE_SAVE_REASONS[reason]}`);
    } finally {
      client.close();
    }
  }

  /** C6: probes now, records the result as the cluster's health, and answers 503 with a typed reason if unreachable. */
  async test(clusterId: number): Promise<ConnectionTestView> {
    const outcome = await this.monitor.checkNow(clusterId);
    const { probe, observation } = outcome;
    if (!probe.version.ok)
      throw new ClusterUnreachableError(
        probe.version.failure.reason,
        `cannot connect to cluster "${outcome.name}": ${probe.version.failure.message}`,
      );
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

/** What C3 says for each reason: fixed words, so the answer tells an admin what to fix and nothing about the far end. */
const PRE_SAVE_REASONS: Record<UnreachableReason, string> = {
  UNAUTHORIZED: 'the API server rejected the credentials (401 Unauthorized)',
  FORBIDDEN: 'the credentials may not list namespaces (403 Forbidden)',
  TLS: 'TLS verification failed (the server certificate is not trusted by the kubeconfig, or the server does not speak TLS)',
  TIMEOUT: 'no complete answer in time',
  REFUSED: 'connection refused',
  DNS: 'the server host name does not resolve',
  NETWORK: 'the connection failed or was reset',
  API_ERROR: 'the server did not answer as a Kubernetes API server',
};
