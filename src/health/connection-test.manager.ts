import type { AccessManager } from '../access/access.manager.js';
import { requireUser, type Caller } from '../auth/principal.js';
import { parseClusterId } from '../clusters/cluster.validation.js';
import type { ConnectionTestService, ConnectionTestView } from './connection-test.service.js';

/** C6 / testClusterConnection for every transport: any caller may test a cluster it can see (VIEWER and up). */
export class ConnectionTestManager {
  constructor(
    private readonly tests: ConnectionTestService,
    private readonly access: AccessManager,
  ) {}

  /** Probes now and records the result as the cluster's health; an unreachable cluster is `ClusterUnreachableError`. */
  async testConnection(caller: Caller, rawId: string | number): Promise<ConnectionTestView> {
    requireUser(caller);
    const clusterId = parseClusterId(rawId);
    await this.access.requireRole(caller, clusterId, 'viewer');
    return this.tests.test(clusterId);
  }
}
