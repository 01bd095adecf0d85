/**
 * Builders of the JSON objects (as the API server serialises them) from the cluster model.
 * List items of built-in kinds carry no `kind`/`apiVersion` (the real server omits them inside lists);
 * `withType()` adds them for single-object responses. Custom resources always carry them.
 */
import type { ClusterModel, ResolvedPrometheus, ResolvedService } from './model.js';

/** A JSON object as sent on the wire. */
export type KubeObject = Record<string, unknown> & { metadata: Record<string, unknown> };

export function withType(obj: KubeObject, kind: string, apiVersion = 'v1'): KubeObject {
  return { kind, apiVersion, ...obj };
}

const nodeIP = (i: number): string => `172.18.${((i + 2) >>> 8) & 255}.${(i + 2) & 255}`;
const podIP = (i: number): string => `10.${(244 + (i >>> 16)) & 255}.${(i >>> 8) & 255}.${i & 255}`;

export function buildNamespace(m: ClusterModel, name: string): KubeObject {
  const i = m.namespaces().indexOf(name);
  return {
    metadata: {
      name,
      uid: m.uid('namespace', i),
      resourceVersion: String(m.rv),
      creationTimestamp: m.time(i),
      labels: { 'kubernetes.io/metadata.name': name },
    },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  };
}

export function buildNode(m: ClusterModel, i: number): KubeObject {
  const facts = m.nodeFacts(i);
  const ready = m.nodeReady(i);
  const at = m.time(60 + i);
  const heartbeat = new Date(Date.now() - 10_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const cond = (type: string, status: string, reason: string, message: string): Record<string, string> => ({
    type,
    status,
    lastHeartbeatTime: heartbeat,
    lastTransitionTime: at,
    reason,
    message,
  });
  const capacity = { cpu: '4', 'ephemeral-storage': '102626232Ki', 'hugepages-1Gi': '0', 'hugepages-2Mi': '0', memory: '16331164Ki', pods: '110' };
  const taints: Record<string, string>[] = [];
  if (i === 0) taints.push({ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' });
  if (!ready) taints.push({ key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule', timeAdded: at });
  const spec: Record<string, unknown> = {
    podCIDR: `10.244.${i}.0/24`,
    podCIDRs: [`10.244.${i}.0/24`],
    providerID: `kind://docker/sim/${facts.name}`,
  };
  if (taints.length) spec.taints = taints;
  return {
    metadata: {
      name: facts.name,
      uid: m.uid('node', i),
      resourceVersion: String(m.rv),
      creationTimestamp: at,
      labels: facts.labels,
      annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
    },
    spec,
    status: {
      capacity,
      allocatable: { ...capacity, cpu: '3900m', memory: '15716764Ki' },
      conditions: [
        cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        ready
          ? cond('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status')
          : cond(
              'Ready',
              'False',
              'KubeletNotReady',
              'container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized',
            ),
      ],
      addresses: [
        { type: 'InternalIP', address: nodeIP(i) },
        { type: 'Hostname', address: facts.name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: m.uid('machine', i).replace(/-/g, ''),
        systemUUID: m.uid('system', i),
        bootID: m.uid('boot', i),
        kernelVersion: '6.8.0-1015-azure',
        osImage: 'Debian GNU/Linux 12 (bookworm)',
        containerRuntimeVersion: 'containerd://1.7.18',
        kubeletVersion: m.knobs.gitVersion,
        kubeProxyVersion: m.knobs.gitVersion,
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
    },
  };
}

export function buildPod(m: ClusterModel, i: number): KubeObject {
  const f = m.podFacts(i);
  const node = m.podNode(i);
  const created = m.time(300 + (i % 100_000));
  const image = 'registry.k8s.io/pause:3.10';
  const ready = node !== undefined;
  const conditions = ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({
    type,
    status: ready || type === 'Initialized' ? 'True' : 'False',
    lastProbeTime: null,
    lastTransitionTime: created,
  }));
  const status: Record<string, unknown> = { phase: ready ? 'Running' : 'Pending', conditions, qosClass: 'BestEffort' };
  if (ready) {
    Object.assign(status, {
      hostIP: nodeIP(i % m.knobs.nodes),
      podIP: podIP(i),
      podIPs: [{ ip: podIP(i) }],
      startTime: created,
      containerStatuses: [
        {
          name: 'app',
          state: { running: { startedAt: created } },
          lastState: {},
          ready: true,
          restartCount: 0,
          image,
          imageID: `${image}@sha256:ee6521f290b2168b6e0935a181d4cff9be1ac3f505666ef0e3c98fae8199917a`,
          containerID: `containerd://${m.uid('container', i).replace(/-/g, '')}`,
          started: true,
        },
      ],
    });
  }
  const spec: Record<string, unknown> = {
    containers: [
      {
        name: 'app',
        image,
        resources: {},
        terminationMessagePath: '/dev/termination-log',
        terminationMessagePolicy: 'File',
        imagePullPolicy: 'IfNotPresent',
      },
    ],
    restartPolicy: 'Always',
    terminationGracePeriodSeconds: 30,
    dnsPolicy: 'ClusterFirst',
    serviceAccountName: 'default',
    serviceAccount: 'default',
    schedulerName: 'default-scheduler',
    enableServiceLinks: true,
    preemptionPolicy: 'PreemptLowerPriority',
    priority: 0,
  };
  if (node) spec.nodeName = node;
  return {
    metadata: {
      name: f.name,
      generateName: `${f.labels.app}-5d7f8c9b6-`,
      namespace: f.namespace,
      uid: m.uid('pod', i),
      resourceVersion: String(m.rv),
      creationTimestamp: created,
      labels: f.labels,
    },
    spec,
    status,
  };
}

export function serviceFacts(s: ResolvedService): { name: string; namespace: string; labels: Record<string, string> } {
  return { name: s.name, namespace: s.namespace, labels: s.labels ?? {} };
}

export function servicePorts(
  s: ResolvedService,
): { name?: string; port: number; targetPort: number | string; protocol: string; upstream?: string }[] {
  const ports = s.ports ?? [{ name: 'http', port: 80 }];
  return ports.map((p) => ({ ...p, targetPort: p.targetPort ?? p.port, protocol: p.protocol ?? 'TCP' }));
}

export function buildService(m: ClusterModel, s: ResolvedService): KubeObject {
  const clusterIP =
    s.type === 'ExternalName' ? undefined : s.name === 'kubernetes' ? '10.96.0.1' : `10.96.${(s.index >>> 8) & 255}.${(s.index & 255) + 10}`;
  const spec: Record<string, unknown> = {
    ports: servicePorts(s).map((p) => {
      const port: Record<string, unknown> = p.name ? { name: p.name } : {};
      return Object.assign(port, { protocol: p.protocol, port: p.port, targetPort: p.targetPort });
    }),
  };
  if (s.selector) spec.selector = s.selector;
  if (clusterIP) Object.assign(spec, { clusterIP, clusterIPs: [clusterIP] });
  Object.assign(spec, {
    type: s.type ?? 'ClusterIP',
    sessionAffinity: 'None',
    ipFamilies: ['IPv4'],
    ipFamilyPolicy: 'SingleStack',
    internalTrafficPolicy: 'Cluster',
  });
  const metadata: Record<string, unknown> = {
    name: s.name,
    namespace: s.namespace,
    uid: m.uid('service', s.index),
    resourceVersion: String(m.rv),
    creationTimestamp: m.time(120 + s.index),
  };
  if (s.labels) metadata.labels = s.labels;
  if (s.annotations) metadata.annotations = s.annotations;
  return { metadata, spec, status: { loadBalancer: {} } };
}

export function buildPrometheus(m: ClusterModel, p: ResolvedPrometheus): KubeObject {
  const replicas = p.replicas ?? 1;
  const spec: Record<string, unknown> = {
    replicas,
    version: p.version ?? 'v2.54.1',
    serviceAccountName: 'prometheus',
    serviceMonitorSelector: {},
    podMonitorSelector: {},
    evaluationInterval: '30s',
    scrapeInterval: '30s',
  };
  if (p.routePrefix !== undefined) spec.routePrefix = p.routePrefix;
  if (p.externalUrl !== undefined) spec.externalUrl = p.externalUrl;
  const at = m.time(200 + p.index);
  const metadata: Record<string, unknown> = {
    name: p.name,
    namespace: p.namespace,
    uid: m.uid('prometheus', p.index),
    resourceVersion: String(m.rv),
    generation: 1,
    creationTimestamp: at,
  };
  if (p.labels) metadata.labels = p.labels;
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'Prometheus',
    metadata,
    spec,
    status: {
      availableReplicas: replicas,
      replicas,
      updatedReplicas: replicas,
      unavailableReplicas: 0,
      paused: false,
      conditions: [
        { type: 'Available', status: 'True', lastTransitionTime: at, observedGeneration: 1 },
        { type: 'Reconciled', status: 'True', lastTransitionTime: at, observedGeneration: 1 },
      ],
    },
  };
}
