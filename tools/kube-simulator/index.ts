/**
 * Kubernetes API simulator over real HTTPS, for tests, benchmarks and demos.
 *
 * One `KubeSimulator` is one TLS listener on 127.0.0.1 hosting any number of virtual clusters; the request
 * credential (bearer token or client certificate CN) selects the cluster. Knobs and options are documented
 * on the types in ./types.ts.
 *
 * @example
 * const sim = await KubeSimulator.start({ nodes: 3, pods: 1000 });
 * const kc = new KubeConfig(); kc.loadFromString(sim.kubeconfig());
 * const other = sim.addCluster({ nodes: 1, mode: 'error5xx' }); // its own token / cert / knobs
 * await sim.close();
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { makeJwt, VirtualCluster } from './cluster.js';
import { handleRequest, handleUpgrade, type HandlerContext } from './handler.js';
import { SimServer } from './server.js';
import { issueClientCert, simulatorTls, type SimulatorTls } from './tls.js';
import type { AddClusterOptions, ClusterHandle, ClusterKnobs, KubeconfigOptions, RequestLogEntry } from './types.js';

export type * from './types.js';
export { unrelatedCaPem } from './tls.js';
export { rawRequest, type RawRequestOptions, type RawResponse } from './client.js';
export { openWatches, setImpersonationRules, simulatePodCreated, type RbacRules } from './workloads.js';

/** Options of `KubeSimulator.start()`: the default cluster's options, plus listener options. */
export interface KubeSimulatorOptions extends AddClusterOptions {
  /** Port to listen on (default 0: chosen by the OS). */
  port?: number;
}

const YEAR = 365 * 24 * 3600 * 1000;

export class KubeSimulator {
  private defaultCluster!: VirtualCluster;
  /** Every request, of every virtual cluster, including unauthenticated ones (capped, oldest dropped). */
  readonly globalLog: RequestLogEntry[] = [];
  private readonly clustersById = new Map<string, VirtualCluster>();
  private readonly byToken = new Map<string, VirtualCluster>();
  private readonly byUser = new Map<string, VirtualCluster>();
  private readonly server: SimServer;
  private nextId = 1;

  private constructor(private readonly tls: SimulatorTls) {
    const ctx: HandlerContext = {
      byToken: (t) => this.byToken.get(t),
      byUser: (u) => this.byUser.get(u),
      defaultCluster: () => this.defaultCluster,
      globalLog: this.globalLog,
      server: () => this.url,
      delay: (ms) => this.server.delay(ms),
    };
    this.server = new SimServer(tls, (req, res) => handleRequest(ctx, req, res));
    this.server.onUpgrade((req, socket, head) => handleUpgrade(ctx, req, socket, head));
  }

  /** Starts the HTTPS server and its default cluster. The CA is generated once per process. */
  static async start(opts: KubeSimulatorOptions = {}): Promise<KubeSimulator> {
    const sim = new KubeSimulator(await simulatorTls());
    const { port, ...clusterOpts } = opts;
    await sim.server.listen(port ?? 0);
    sim.defaultCluster = sim.createCluster({ id: 'default', ...clusterOpts });
    return sim;
  }

  /** The default virtual cluster (id `default` unless `start({ id })` says otherwise). */
  get cluster(): ClusterHandle {
    return this.defaultCluster;
  }

  /** PEM of the CA that signed the server certificate (what kubeconfigs embed). */
  get caPem(): string {
    return this.tls.caPem;
  }
  /** PEM of the CA that signs client certificates (a valid CA that did NOT sign the server certificate). */
  get clientCaPem(): string {
    return this.tls.clientCaPem;
  }
  get port(): number {
    return this.server.port;
  }
  /** `https://127.0.0.1:PORT`. */
  get url(): string {
    return this.server.url;
  }

  /**
   * Adds a virtual cluster served by the same listener; its credentials select it. Synchronous and cheap
   * (~0.1 ms: the client certificate is signed with node:crypto), so thousands of clusters are fine.
   */
  addCluster(opts: AddClusterOptions = {}): ClusterHandle {
    return this.createCluster(opts);
  }

  private createCluster(opts: AddClusterOptions): VirtualCluster {
    const { id: wantedId, user: wantedUser, token: wantedToken, tokenExp, tokenExpiresAt, certNotAfter, ...knobs } = opts;
    const id = wantedId ?? `c${this.nextId++}`;
    const user = wantedUser ?? `sim-user-${id}`;
    const exp = tokenExp ?? tokenExpiresAt;
    const token = wantedToken ?? (exp ? makeJwt(`system:serviceaccount:kube-system:${user}`, exp) : `sim-${randomBytes(20).toString('hex')}`);
    if (this.clustersById.has(id)) throw new Error(`kube-simulator: duplicate cluster id ${id}`);
    if (this.byToken.has(token)) throw new Error(`kube-simulator: duplicate token for cluster ${id}`);
    if (this.byUser.has(user)) throw new Error(`kube-simulator: duplicate user ${user}`);
    const notAfter = certNotAfter ?? new Date(Date.now() + YEAR);
    const cred = issueClientCert(this.tls, user, notAfter);
    const cluster = new VirtualCluster({
      id,
      user,
      token,
      tokenExpMs: exp?.getTime(),
      cred,
      certNotAfterMs: notAfter.getTime(),
      knobs,
      salt: this.clustersById.size + 1,
      caPem: this.tls.caPem,
      server: () => this.url,
      globalLog: this.globalLog,
    });
    this.clustersById.set(id, cluster);
    this.byToken.set(token, cluster);
    this.byUser.set(user, cluster);
    return cluster;
  }

  /** Removes a virtual cluster: its credentials get 401 from now on. */
  removeCluster(id: string): boolean {
    const c = this.clustersById.get(id);
    if (!c || c === this.defaultCluster) return false;
    this.clustersById.delete(id);
    this.byToken.delete(c.token);
    this.byUser.delete(c.user);
    return true;
  }

  getCluster(id: string): ClusterHandle | undefined {
    return this.clustersById.get(id);
  }

  clusters(): ClusterHandle[] {
    return [...this.clustersById.values()];
  }

  /** Default cluster's kubeconfig. */
  kubeconfig(opts?: KubeconfigOptions): string {
    return this.cluster.kubeconfig(opts);
  }

  /** Writes the default cluster's kubeconfig (mode 0600, like kubectl does) and returns the path. */
  async writeKubeconfig(path: string, opts?: KubeconfigOptions): Promise<string> {
    await writeFile(path, this.kubeconfig(opts), { mode: 0o600 });
    return path;
  }

  /** Default cluster's knobs. */
  set(knobs: Partial<ClusterKnobs>): void {
    this.cluster.set(knobs);
  }

  /** Default cluster's request log. */
  get requestLog(): RequestLogEntry[] {
    return this.cluster.requestLog;
  }

  /** Clears the global log and the log of every virtual cluster. */
  clearLog(): void {
    this.globalLog.length = 0;
    for (const c of this.clustersById.values()) c.clearLog();
  }

  /** Stops listening (connections refused, open ones dropped); the port is kept for resumeListening(). */
  stopListening(): Promise<void> {
    return this.server.stopListening();
  }

  resumeListening(): Promise<void> {
    return this.server.resumeListening();
  }

  /** Open TCP connections to the simulator (for socket-leak assertions). */
  openConnections(): number {
    return this.server.openConnections();
  }

  /** Closes the listener and every connection, including hung requests. Idempotent. */
  close(): Promise<void> {
    return this.server.close();
  }
}
