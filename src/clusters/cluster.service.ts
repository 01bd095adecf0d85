import type { WriteAudit } from '../audit/audited-writes.js';
import { NotFoundError } from '../errors.js';
import type { EventBus } from '../events/event-bus.js';
import type { DomainEventPublisher, DomainEventSource } from '../events/domain-events.js';
import { decodeKubeconfigInput, parseKubeconfig, type KubeconfigSpec } from '../kube/kubeconfig.js';
import type { ClusterPage, ClusterQuery } from '../fleet/cluster-query.js';
import { type ClusterLabel, parseLabels } from '../fleet/labels.js';
import { ClusterListCache, type ClusterListSnapshot } from './cluster-list-cache.js';
import { type ClusterPatch, type ClusterRepository, clusterNotFound, duplicateClusterName, type NewCluster } from './cluster.repository.js';
import type { ClusterView } from './cluster.view.js';
import { parseClusterName, parseClusterSelectorName, parseClusterId, parsePrometheusUrl } from './cluster.validation.js';
import type { KubeconfigCipher } from './kubeconfig-cipher.js';

export interface CreateClusterCommand {
  name: string;
  /** Kubeconfig YAML, or base64 of it. */
  kubeconfig: string;
  isDefault?: boolean;
  enabled?: boolean;
  skipConnectionTest?: boolean;
  /** Proxied requests impersonate the caller (default false). */
  impersonate?: boolean;
  /** REST's contract says base64; GraphQL accepts either. */
  requireBase64?: boolean;
  /** GraphQL's list of pairs or REST's object; checked by fleet/labels.ts. */
  labels?: readonly ClusterLabel[] | Readonly<Record<string, unknown>>;
}

export interface UpdateClusterCommand {
  name?: string;
  kubeconfig?: string;
  isDefault?: boolean;
  enabled?: boolean;
  /** A URL sets it by hand (source MANUAL); an empty string returns the cluster to automatic discovery. */
  prometheusUrl?: string;
  impersonate?: boolean;
  requireBase64?: boolean;
  /** Replaces the whole label set. */
  labels?: readonly ClusterLabel[] | Readonly<Record<string, unknown>>;
}

/** Figures learned by a successful connection test, stored with the new cluster. */
export interface ConnectionFacts {
  kubernetesVersion: string | null;
  nodeCount: number;
  readyNodeCount: number | null;
  podCount?: number;
}

/** C3 step 2: reaches a cluster before it is saved; throws `ValidationError` naming `kubeconfig` if it cannot. */
export interface ConnectionVerifier {
  verifyBeforeSave(spec: KubeconfigSpec): Promise<ConnectionFacts>;
}

/** A created cluster and whether a Prometheus discovery task really started for it (C3's message follows this). */
export interface CreatedCluster {
  cluster: ClusterView;
  discoveryStarted: boolean;
}

/**
 * The cluster registry: validates what is stored (names, kubeconfigs, Prometheus URLs), runs C3's pre-save connection
 * test, writes through the repository and raises the domain events other domains react to. It does not know who
 * calls: authorization is the manager's (cluster.manager.ts); trusted in-process callers (tests, seeding) use this.
 */
export class ClusterService {
  private readonly listCache: ClusterListCache;

  constructor(
    private readonly repo: ClusterRepository,
    private readonly cipher: KubeconfigCipher,
    private readonly domainEvents: DomainEventPublisher,
    private readonly verifier: ConnectionVerifier | undefined,
    bus: EventBus,
  ) {
    this.listCache = new ClusterListCache(bus, () => this.repo.list());
  }

  /** Writes by other domains on this replica (health results, discovered URLs) refresh the list at once. */
  listenTo(events: DomainEventSource): void {
    events.on('health.recorded', () => this.invalidateList());
    events.on('discovery.finished', ({ state }) => {
      if (state === 'found') this.invalidateList();
    });
  }

  /** Live clusters, oldest first, with the version of that content; served from memory between changes (ClusterListCache). */
  list(): Promise<ClusterListSnapshot> {
    return this.listCache.get();
  }

  /** A filtered or ordered page, in SQL (fleet/cluster-page.repository.ts); `visibleIds` narrows to what a caller may see. */
  page(query: ClusterQuery, visibleIds?: readonly number[]): Promise<ClusterPage> {
    return this.repo.page(query, visibleIds);
  }

  /** Read-your-writes on this replica without waiting for the NOTIFY round trip. */
  invalidateList(): void {
    this.listCache.invalidate();
  }

  close(): void {
    this.listCache.close();
  }

  /**
   * One live cluster. Served from the cached list while it is fresh (the list's consistency rules: local writes drop it
   * at once, other replicas' through NOTIFY, a 5 s TTL bounds the rest); otherwise, and for any id the snapshot lacks
   * (perhaps created a moment ago elsewhere), its one row is read.
   */
  async get(id: number): Promise<ClusterView> {
    const cached = this.listCache.peekById(id);
    if (cached) return cached;
    this.listCache.warm();
    const view = await this.repo.findById(id);
    if (!view) throw clusterNotFound(id);
    return view;
  }

  /** The cluster named by the request's selector (name or id), else the default one; null when there is none. */
  async current(selector?: { name?: string; id?: string }): Promise<ClusterView | null> {
    if (selector?.id !== undefined) return this.get(parseClusterId(selector.id, 'X-Cluster-ID'));
    const snapshot = this.listCache.peek();
    if (!snapshot) this.listCache.warm();
    if (selector?.name !== undefined) {
      const name = parseClusterSelectorName(selector.name);
      const lower = name.toLowerCase();
      const view = snapshot?.items.find((c) => c.name.toLowerCase() === lower) ?? (await this.repo.findByName(name));
      if (!view) throw new NotFoundError(`cluster "${name}" not found`);
      return view;
    }
    return snapshot?.items.find((c) => c.isDefault) ?? (await this.repo.findDefault()) ?? null;
  }

  countByHealth(): Promise<Record<string, number>> {
    return this.repo.countByHealth();
  }

  /** Decrypted kubeconfig YAML. Who may read it is decided by `ClusterManager.kubeconfigFor`, never here. */
  async kubeconfig(id: number): Promise<string> {
    const ciphertext = await this.repo.ciphertextOf(id);
    if (ciphertext === undefined) throw clusterNotFound(id);
    return this.cipher.decrypt(ciphertext);
  }

  /** For trusted callers that need only the record; see `register`. */
  async create(cmd: CreateClusterCommand): Promise<ClusterView> {
    return (await this.register(cmd)).cluster;
  }

  /**
   * C3, every step after authorization (REST's body shape is rest/schemas.ts): the name (cluster.validation.ts), the
   * kubeconfig (decoded and checked for inline credentials only, kube/kubeconfig.ts), a free name, the cluster reached
   * before saving (`ConnectionVerifier`), stored encrypted; then `cluster.created` lets discovery start its task.
   */
  async register(cmd: CreateClusterCommand): Promise<CreatedCluster> {
    const name = parseClusterName(cmd.name);
    const labels = cmd.labels === undefined ? [] : parseLabels(cmd.labels);
    const yaml = decodeKubeconfigInput(cmd.kubeconfig, { requireBase64: cmd.requireBase64 });
    const spec = parseKubeconfig(yaml);
    // Fail fast on a duplicate name before spending seconds on a connection test (the unique index still decides).
    if (await this.repo.findByName(name)) throw duplicateClusterName(name);
    const facts = cmd.skipConnectionTest || !this.verifier ? undefined : await this.verifier.verifyBeforeSave(spec);
    const enabled = cmd.enabled ?? true;
    const row: NewCluster = {
      name,
      kubeconfig: this.cipher.encrypt(yaml),
      isDefault: cmd.isDefault ?? false,
      enabled,
      impersonate: cmd.impersonate ?? false,
      labels,
      ...(facts && enabled
        ? {
            healthMessage: 'connection test passed; waiting for the first health check',
            facts: { ...facts, podCount: facts.podCount ?? 0, connectedAt: new Date() },
          }
        : { healthMessage: enabled ? 'not checked yet' : 'cluster is disabled' }),
    };
    const cluster = await this.repo.insert(row);
    this.invalidateList();
    const replies = await this.domainEvents.emit('cluster.created', { cluster });
    return { cluster, discoveryStarted: replies.some((r) => r.discoveryStarted) };
  }

  /** `audit`: the caller's audit event, stored by the update's own statement (ClusterManager passes AuditedWrites'). */
  async update(id: number, cmd: UpdateClusterCommand, audit?: WriteAudit): Promise<ClusterView> {
    const patch: ClusterPatch = { isDefault: cmd.isDefault, enabled: cmd.enabled, impersonate: cmd.impersonate };
    if (cmd.name !== undefined) patch.name = parseClusterName(cmd.name);
    if (cmd.labels !== undefined) patch.labels = parseLabels(cmd.labels);
    if (cmd.kubeconfig !== undefined) {
      const yaml = decodeKubeconfigInput(cmd.kubeconfig, { requireBase64: cmd.requireBase64 });
      parseKubeconfig(yaml);
      patch.kubeconfig = this.cipher.encrypt(yaml);
    }
    if (cmd.prometheusUrl !== undefined) patch.prometheusUrl = parsePrometheusUrl(cmd.prometheusUrl);

    const cluster = await this.repo.update(id, patch, audit);
    this.invalidateList();
    await this.domainEvents.emit('cluster.updated', { cluster });
    if (cmd.kubeconfig !== undefined || cmd.enabled === false) await this.domainEvents.emit('cluster.credentialsChanged', { clusterId: id });
    if (cmd.prometheusUrl !== undefined) {
      await this.domainEvents.emit(cluster.prometheusSource === 'manual' ? 'cluster.prometheusSetByHand' : 'cluster.prometheusCleared', {
        clusterId: id,
      });
    }
    return cluster;
  }

  /** Soft delete (see ClusterRepository.softDelete); a cluster promoted to default in its place is an update. */
  async remove(id: number): Promise<void> {
    const { promotedId } = await this.repo.softDelete(id);
    this.invalidateList();
    await this.domainEvents.emit('cluster.deleted', { clusterId: id });
    if (promotedId !== undefined) {
      const promoted = await this.repo.findById(promotedId);
      if (promoted) await this.domainEvents.emit('cluster.updated', { cluster: promoted });
    }
  }
}
