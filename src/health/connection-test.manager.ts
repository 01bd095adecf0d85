import { requireUser, type Caller } from '../auth/principal.js';
import { parseClusterId } from '../clusters/cluster.validation.js';
import type { ConnectionTestService, ConnectionTestView } from './connection-test.service.js';

/** C6 / testClusterConnection for every transport: any signed-in user may test a cluster they can read. */
export class ConnectionTestManager {
  constructor(private readonly tests: ConnectionTestService) {}

  /** Probes now and records the result as the cluster's health; an unreachable cluster is `ClusterUnreachableError`. */
  async testConnection(caller: Caller, rawId: string | number): Promise<ConnectionTestView> {
    requireUser(caller);
    return this.tests.test(parseClusterId(rawId));
  }
}
