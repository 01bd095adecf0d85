/**
 * Server-side printing: `meta.k8s.io/v1 Table` responses, which kubectl requests with
 * `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`. Columns and cells follow the API server's
 * internal printers (pkg/printers/internalversion) for the kinds the simulator serves.
 */
import type { KubeObject } from './objects.js';

/** A column of a Table. */
export interface TableColumn {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

type Cell = string | number;
const NAME_DOC =
  'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names';
const AGE_DOC =
  'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata';

const col = (name: string, description = '', priority = 0, type = 'string', format = ''): TableColumn => ({
  name,
  type,
  format,
  description,
  priority,
});
const NAME = col('Name', NAME_DOC, 0, 'string', 'name');
const AGE = col('Age', AGE_DOC);

/** Go's duration.HumanDuration, used by the server for the Age column. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) return hours % 24 === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  const days = Math.floor(hours / 24);
  if (hours < 24 * 365 * 8) return days % 365 === 0 ? `${Math.floor(days / 365)}y` : `${Math.floor(days / 365)}y${days % 365}d`;
  return `${Math.floor(days / 365)}y`;
}

// Loose accessors: the builders produce these shapes, the Table code only reads them.
type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v && typeof v === 'object' ? (v as Json) : {});
const arr = (v: unknown): Json[] => (Array.isArray(v) ? (v as Json[]) : []);
const str = (v: unknown, dflt = ''): string => (typeof v === 'string' ? v : dflt);
const age = (o: KubeObject): string => humanDuration(Date.now() - Date.parse(str(o.metadata.creationTimestamp)));

interface Printer {
  columns: TableColumn[];
  cells(o: KubeObject): Cell[];
}

const PRINTERS: Record<string, Printer> = {
  pods: {
    columns: [
      NAME,
      col('Ready', 'The aggregate readiness state of this pod for accepting traffic.'),
      col('Status', 'The aggregate status of the containers in this pod.'),
      col('Restarts', 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'),
      AGE,
      col('IP', 'IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.', 1),
      col('Node', 'NodeName is a request to schedule this pod onto a specific node.', 1),
      col('Nominated Node', 'nominatedNodeName is set only when this pod preempts other pods on the node.', 1),
      col('Readiness Gates', 'If specified, all readiness gates will be evaluated for pod readiness.', 1),
    ],
    cells(o) {
      const st = obj(o.status);
      const cs = arr(st.containerStatuses);
      const total = arr(obj(o.spec).containers).length;
      const ready = cs.filter((c) => c.ready === true).length;
      const restarts = cs.reduce((n, c) => n + (typeof c.restartCount === 'number' ? c.restartCount : 0), 0);
      return [
        str(o.metadata.name),
        `${ready}/${total}`,
        str(st.phase),
        String(restarts),
        age(o),
        str(st.podIP, '<none>'),
        str(obj(o.spec).nodeName, '<none>'),
        '<none>',
        '<none>',
      ];
    },
  },
  nodes: {
    columns: [
      NAME,
      col('Status', 'The status of the node'),
      col('Roles', 'The roles of the node'),
      AGE,
      col('Version', 'Kubelet Version reported by the node.'),
      col('Internal-IP', 'List of addresses reachable to the node. Queried from cloud provider, if available.', 1),
      col('External-IP', 'List of addresses reachable to the node. Queried from cloud provider, if available.', 1),
      col('OS-Image', 'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).', 1),
      col('Kernel-Version', "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", 1),
      col('Container-Runtime', 'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).', 1),
    ],
    cells(o) {
      const st = obj(o.status);
      const ready = arr(st.conditions).find((c) => c.type === 'Ready');
      const labels = obj(o.metadata.labels);
      const roles = Object.keys(labels)
        .filter((l) => l.startsWith('node-role.kubernetes.io/'))
        .map((l) => l.slice(24));
      const addr = (t: string): string => str(arr(st.addresses).find((a) => a.type === t)?.address, '<none>');
      const info = obj(st.nodeInfo);
      return [
        str(o.metadata.name),
        ready?.status === 'True' ? 'Ready' : ready?.status === 'False' ? 'NotReady' : 'Unknown',
        roles.length ? roles.join(',') : '<none>',
        age(o),
        str(info.kubeletVersion),
        addr('InternalIP'),
        addr('ExternalIP'),
        str(info.osImage),
        str(info.kernelVersion),
        str(info.containerRuntimeVersion),
      ];
    },
  },
  namespaces: {
    columns: [NAME, col('Status', 'The status of the namespace'), AGE],
    cells: (o) => [str(o.metadata.name), str(obj(o.status).phase), age(o)],
  },
  services: {
    columns: [
      NAME,
      col('Type', 'The type of the service'),
      col('Cluster-IP', 'The cluster IP of the service'),
      col('External-IP', 'The external IP of the service'),
      col('Port(s)', 'The ports of the service'),
      AGE,
      col('Selector', 'The selector of the service', 1),
    ],
    cells(o) {
      const spec = obj(o.spec);
      const ports = arr(spec.ports)
        .map((p) => `${String(p.port)}/${str(p.protocol, 'TCP')}`)
        .join(',');
      const sel = Object.entries(obj(spec.selector))
        .map(([k, v]) => `${k}=${String(v)}`)
        .sort()
        .join(',');
      return [str(o.metadata.name), str(spec.type), str(spec.clusterIP, 'None'), '<none>', ports || '<none>', age(o), sel || '<none>'];
    },
  },
  prometheuses: {
    // additionalPrinterColumns of the prometheus-operator CRD; the server renders `date` cells as durations.
    columns: [
      NAME,
      col('Version', 'The version of Prometheus'),
      col('Desired', 'The number of desired replicas', 0, 'integer'),
      col('Ready', 'The number of ready replicas', 0, 'integer'),
      col('Reconciled', ''),
      col('Available', ''),
      col('Age', '', 0, 'date'),
    ],
    cells(o) {
      const spec = obj(o.spec);
      const st = obj(o.status);
      const cond = (t: string): string => str(arr(st.conditions).find((c) => c.type === t)?.status);
      return [
        str(o.metadata.name),
        str(spec.version),
        Number(spec.replicas ?? 1),
        Number(st.availableReplicas ?? 0),
        cond('Reconciled'),
        cond('Available'),
        age(o),
      ];
    },
  },
};

/** Whether the Accept header asks for a server-side Table. */
export function wantsTable(accept: string | undefined): boolean {
  return !!accept && /as=Table/.test(accept) && /g=meta\.k8s\.io/.test(accept);
}

/** Table head (everything but `rows`) for `resource`. */
export function tableHead(resource: string, metadata: Record<string, unknown>): Record<string, unknown> {
  return { kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata, columnDefinitions: (PRINTERS[resource] as Printer).columns };
}

/**
 * A Table row. `includeObject` is the query parameter: `Metadata` (default) embeds PartialObjectMetadata,
 * `Object` the full object, `None` nothing.
 */
export function tableRow(
  resource: string,
  o: KubeObject,
  kind: string,
  apiVersion: string,
  includeObject: string | undefined,
): Record<string, unknown> {
  const row: Record<string, unknown> = { cells: (PRINTERS[resource] as Printer).cells(o) };
  if (includeObject === 'Object') row.object = { kind, apiVersion, ...o };
  else if (includeObject !== 'None') row.object = { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata };
  return row;
}
