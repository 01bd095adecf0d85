/**
 * Data model of one virtual cluster: knobs plus the derived, index-addressable layout of its objects.
 * Nothing is materialised up front: 100,000 pods are an arithmetic partition over the namespaces, and each
 * pod's facts / object are computed from its index when a request needs them.
 */
import type { SelectableFacts } from './selectors.js';
import type { ClusterKnobs, SimPrometheus, SimService } from './types.js';

export const SYSTEM_NAMESPACES = ['default', 'kube-node-lease', 'kube-public', 'kube-system'];
const DEFAULT_NAMESPACES = [...SYSTEM_NAMESPACES, 'monitoring'];

export const DEFAULT_KNOBS: ClusterKnobs = {
  nodes: 3,
  notReadyNodes: 0,
  pods: 10,
  namespaces: DEFAULT_NAMESPACES,
  gitVersion: 'v1.31.4',
  latencyMs: 0,
  mode: 'ok',
  errorCode: 500,
  expired: false,
  flapping: null,
  forbid: [],
  services: [],
  prometheuses: [],
  monitoringCrd: null,
  omitRemainingItemCount: false,
};

/** The service every real cluster has. */
const KUBERNETES_SERVICE: SimService = {
  name: 'kubernetes',
  namespace: 'default',
  labels: { component: 'apiserver', provider: 'kubernetes' },
  ports: [{ name: 'https', port: 443, targetPort: 6443, protocol: 'TCP' }],
};

/** A service with defaults applied. */
export type ResolvedService = SimService & { namespace: string; index: number };
/** A prometheus with defaults applied. */
export type ResolvedPrometheus = SimPrometheus & { namespace: string; index: number };

/** Pod name within its namespace; zero padded so names sort like the keys etcd would return. */
export const podName = (local: number): string => `pod-${String(local).padStart(6, '0')}`;
export const nodeName = (i: number): string => `node-${i}`;

const byKey = (a: { namespace: string; name: string }, b: { namespace: string; name: string }): number =>
  a.namespace === b.namespace ? (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) : a.namespace < b.namespace ? -1 : 1;

export class ClusterModel {
  knobs: ClusterKnobs;
  /** Cluster-wide resourceVersion; bumped by every knob change. */
  rv = 1000;
  /** Continue tokens issued at or before this resourceVersion are expired (410). */
  compactedRv = 0;
  /** Base of all creation timestamps: a week ago, so ages look like a cluster that has been running. */
  readonly createdAt = Date.now() - 7 * 24 * 3600 * 1000;
  /** Per-cluster salt for UIDs and IPs, so two virtual clusters do not look identical. */
  readonly salt: number;
  private derived?: { namespaces: string[]; services: ResolvedService[]; prometheuses: ResolvedPrometheus[] };

  constructor(knobs: Partial<ClusterKnobs>, salt: number) {
    this.knobs = { ...DEFAULT_KNOBS, ...knobs };
    this.salt = salt;
  }

  set(knobs: Partial<ClusterKnobs>): void {
    this.knobs = { ...this.knobs, ...knobs };
    this.derived = undefined;
    this.rv++;
  }

  private derive(): NonNullable<ClusterModel['derived']> {
    if (this.derived) return this.derived;
    const k = this.knobs;
    const services = [KUBERNETES_SERVICE, ...k.services.filter((s) => !(s.name === 'kubernetes' && (s.namespace ?? 'default') === 'default'))]
      .map((s, index) => ({ ...s, namespace: s.namespace ?? 'default', index }))
      .sort(byKey);
    const prometheuses = k.prometheuses.map((p, index) => ({ ...p, namespace: p.namespace ?? 'monitoring', index })).sort(byKey);
    let base: string[];
    if (typeof k.namespaces === 'number') {
      base = DEFAULT_NAMESPACES.slice(0, k.namespaces);
      for (let i = 1; base.length < k.namespaces; i++) base.push(`ns-${i}`);
    } else base = [...k.namespaces];
    const namespaces = [...new Set([...base, ...services.map((s) => s.namespace), ...prometheuses.map((p) => p.namespace)])].sort();
    this.derived = { namespaces, services, prometheuses };
    return this.derived;
  }

  namespaces(): string[] {
    return this.derive().namespaces;
  }
  services(): ResolvedService[] {
    return this.derive().services;
  }
  prometheuses(): ResolvedPrometheus[] {
    return this.derive().prometheuses;
  }
  monitoringEnabled(): boolean {
    return this.knobs.monitoringCrd ?? this.knobs.prometheuses.length > 0;
  }

  // ---- pods: a contiguous block of indices per namespace (namespaces sorted), so that the global index order
  // ---- is also the namespace/name key order of a real all-namespaces list.

  /** Index range [start, end) of the pods of `ns`, or of all pods. Unknown namespace: empty range. */
  podRange(ns?: string): [number, number] {
    const total = Math.max(0, Math.floor(this.knobs.pods));
    if (ns === undefined) return [0, total];
    const nss = this.namespaces();
    const j = nss.indexOf(ns);
    if (j < 0) return [0, 0];
    const per = Math.floor(total / nss.length);
    const rem = total % nss.length;
    const start = j * per + Math.min(j, rem);
    return [start, start + per + (j < rem ? 1 : 0)];
  }

  /** Namespace and index within it of global pod index `i`. */
  podLocation(i: number): { namespace: string; local: number } {
    const nss = this.namespaces();
    const total = Math.max(0, Math.floor(this.knobs.pods));
    const per = Math.floor(total / nss.length);
    const rem = total % nss.length;
    const big = (per + 1) * rem;
    const j = i < big ? Math.floor(i / (per + 1)) : rem + Math.floor((i - big) / Math.max(per, 1));
    const start = j * per + Math.min(j, rem);
    return { namespace: nss[j] ?? 'default', local: i - start };
  }

  /** Global index of pod `name` in `ns`, or -1. */
  podIndex(ns: string, name: string): number {
    const m = /^pod-(\d{6,})$/.exec(name);
    if (!m) return -1;
    const [start, end] = this.podRange(ns);
    const i = start + Number(m[1]);
    return i < end && podName(Number(m[1])) === name ? i : -1;
  }

  podNode(i: number): string | undefined {
    return this.knobs.nodes > 0 ? nodeName(i % this.knobs.nodes) : undefined;
  }

  podFacts(i: number): SelectableFacts {
    const { namespace, local } = this.podLocation(i);
    const node = this.podNode(i);
    return {
      name: podName(local),
      namespace,
      labels: { app: `app-${local % 10}`, 'pod-template-hash': '5d7f8c9b6' },
      fields: { 'spec.nodeName': node ?? '', 'status.phase': node ? 'Running' : 'Pending' },
    };
  }

  nodeReady(i: number): boolean {
    return i < this.knobs.nodes - this.knobs.notReadyNodes;
  }

  nodeFacts(i: number): SelectableFacts {
    const name = nodeName(i);
    const labels: Record<string, string> = {
      'beta.kubernetes.io/arch': 'amd64',
      'beta.kubernetes.io/os': 'linux',
      'kubernetes.io/arch': 'amd64',
      'kubernetes.io/hostname': name,
      'kubernetes.io/os': 'linux',
    };
    if (i === 0) labels['node-role.kubernetes.io/control-plane'] = '';
    return { name, labels };
  }

  /** Deterministic UUID-shaped uid for object `kind` #`i` of this cluster. */
  uid(kind: string, i: number): string {
    let h = 2166136261 ^ this.salt;
    for (const ch of kind) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
    const hex = (n: number, len: number): string => (n >>> 0).toString(16).padStart(8, '0').slice(0, len);
    const a = Math.imul(h ^ i, 2654435761);
    const b = Math.imul(a ^ (i >>> 16), 40503);
    return `${hex(a, 8)}-${hex(b, 4)}-4${hex(a ^ b, 3)}-a${hex(b ^ h, 3)}-${hex(h, 4)}${(i >>> 0).toString(16).padStart(8, '0')}`;
  }

  /** RFC 3339 timestamp `offsetSec` seconds after cluster creation, without milliseconds like Kubernetes. */
  time(offsetSec: number): string {
    return new Date(this.createdAt + offsetSec * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }
}
