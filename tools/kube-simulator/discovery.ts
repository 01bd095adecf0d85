/**
 * Version and discovery documents (`/version`, `/api`, `/apis`, `/api/v1`, `/apis/monitoring.coreos.com/v1`).
 * Legacy (non-aggregated) discovery only: kubectl asks for the aggregated v2 format first and falls back to
 * these when the response content type does not announce `as=APIGroupDiscoveryList`.
 * Verbs list only what the simulator serves (get, list), so clients do not try to watch or write.
 */
import type { ClusterModel } from './model.js';

export const MONITORING_GROUP = 'monitoring.coreos.com';
const MONITORING_GV = { groupVersion: `${MONITORING_GROUP}/v1`, version: 'v1' };

export function versionInfo(m: ClusterModel): Record<string, string> {
  const gv = m.knobs.gitVersion;
  const match = /^v?(\d+)\.(\d+)(?:\.\d+)?(.*)$/.exec(gv);
  // Managed distributions (EKS, GKE) report minor "31+" when gitVersion carries a suffix.
  const minor = match ? `${match[2]}${match[3] ? '+' : ''}` : '';
  return {
    major: match?.[1] ?? '',
    minor,
    gitVersion: gv,
    gitCommit: 'a78aa47129b8539636eb86a9d00e31b2720fe06b',
    gitTreeState: 'clean',
    buildDate: '2024-12-10T11:37:33Z',
    goVersion: 'go1.22.9',
    compiler: 'gc',
    platform: 'linux/amd64',
  };
}

export function apiVersions(server: string): Record<string, unknown> {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: server.replace(/^https:\/\//, '') }],
  };
}

function monitoringGroup(): Record<string, unknown> {
  return { name: MONITORING_GROUP, versions: [MONITORING_GV], preferredVersion: MONITORING_GV };
}

export function apiGroupList(m: ClusterModel): Record<string, unknown> {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: m.monitoringEnabled() ? [monitoringGroup()] : [] };
}

export function apiGroup(): Record<string, unknown> {
  return { kind: 'APIGroup', apiVersion: 'v1', ...monitoringGroup() };
}

const READ = ['get', 'list'];

export function coreResources(): Record<string, unknown> {
  return {
    kind: 'APIResourceList',
    groupVersion: 'v1',
    resources: [
      {
        name: 'namespaces',
        singularName: 'namespace',
        namespaced: false,
        kind: 'Namespace',
        verbs: READ,
        shortNames: ['ns'],
        storageVersionHash: 'Q3oi5N2YM8M=',
      },
      { name: 'nodes', singularName: 'node', namespaced: false, kind: 'Node', verbs: READ, shortNames: ['no'], storageVersionHash: 'XwShjMxG9Fs=' },
      {
        name: 'pods',
        singularName: 'pod',
        namespaced: true,
        kind: 'Pod',
        verbs: [...READ, 'watch', 'delete'],
        shortNames: ['po'],
        categories: ['all'],
        storageVersionHash: 'xPOwRZ+Yhw8=',
      },
      { name: 'pods/exec', singularName: '', namespaced: true, kind: 'PodExecOptions', verbs: ['create', 'get'] },
      { name: 'pods/log', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get'] },
      { name: 'secrets', singularName: 'secret', namespaced: true, kind: 'Secret', verbs: READ, storageVersionHash: 'S6u1pOWzb84=' },
      {
        name: 'services',
        singularName: 'service',
        namespaced: true,
        kind: 'Service',
        verbs: READ,
        shortNames: ['svc'],
        categories: ['all'],
        storageVersionHash: '0/CO1lhkEBI=',
      },
      {
        name: 'services/proxy',
        singularName: '',
        namespaced: true,
        kind: 'ServiceProxyOptions',
        verbs: ['create', 'delete', 'get', 'patch', 'update'],
      },
    ],
  };
}

export function monitoringResources(): Record<string, unknown> {
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: MONITORING_GV.groupVersion,
    resources: [
      {
        name: 'prometheuses',
        singularName: 'prometheus',
        namespaced: true,
        kind: 'Prometheus',
        verbs: READ,
        shortNames: ['prom'],
        categories: ['prometheus-operator'],
        storageVersionHash: 'IjF4aWUSv5M=',
      },
    ],
  };
}
