import type { AccessManager } from '../access/access.manager.js';
import type { AuditedCaller, AuditedWrites } from '../audit/audited-writes.js';
import { requireUser } from '../auth/principal.js';
import { parseClusterId } from '../clusters/cluster.validation.js';
import type { ConnectionTestService, ConnectionTestView } from './connection-test.service.js';

/** C6 / testClusterConnection for every transport: any caller may test a cluster it can see (VIEWER and up). */
export class ConnectionTestManager {
  constructor(
    private readonly tests: ConnectionTestService,
    private readonly access: AccessManager,
    private readonly writes: AuditedWrites,
  ) {}

  /**
   * Probes now and records the result as the cluster's health; an unreachable cluster is `ClusterUnreachableError`.
   * Audited (`cluster.testConnection`) but allowed in read-only mode: it changes nothing a user configured, only
   * refreshes the observed health the monitor writes every interval anyway, and diagnosing a cluster is exactly what
   * a frozen gateway is still for.
   */
  async testConnection(caller: AuditedCaller, rawId: string | number): Promise<ConnectionTestView> {
    return this.writes.run(caller, { action: 'cluster.testConnection', clusterId: rawId, allowedWhenReadOnly: true }, async () => {
      requireUser(caller);
      const clusterId = parseClusterId(rawId);
      await this.access.requireRole(caller, clusterId, 'viewer');
      return this.tests.test(clusterId);
    });
  }
}
