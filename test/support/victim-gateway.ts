import type { Driver } from './databases.js';
import { registerCluster, type TestGateway, uniqueName, useTestGateway } from './gateway.js';
import type { ReachableCluster } from './reachable.js';
import { perSuite, useReachableCluster } from './suite-fixtures.js';

/** The environment of the auth-attack suites' gateways: the health timer never fires during a suite. */
export const AUTH_ATTACK_ENV = { HEALTH_CHECK_INTERVAL_SECONDS: '3600', KUBE_CONNECT_TIMEOUT_MS: '1000', KUBE_REQUEST_TIMEOUT_MS: '2000' };

/** The smallest read that needs a token. */
export const LIST = '{ clusters { total } }';

export interface VictimGateway {
  /** An HS256 gateway (the test gateways' secret). */
  t: TestGateway;
  /** The live (simulated) cluster behind the victim; its credential is what must never leak. */
  sim: ReachableCluster;
  /** The registered cluster the attacks aim at. */
  victim: { id: number; name: string };
}

/** For the enclosing describe block: an HS256 gateway with one registered cluster to attack. */
export function useVictimGateway(driver: Driver): VictimGateway {
  const t = useTestGateway(driver, AUTH_ATTACK_ENV);
  const sim = useReachableCluster();
  // Disabled: no background probe writes to it, so "nothing changed" compares cleanly.
  const victim = perSuite(
    'the victim cluster',
    () => registerCluster(t, { kubeconfig: sim.kubeconfigYaml, name: uniqueName('victim'), enabled: false }),
    async () => {},
  );
  return { t, sim, victim };
}
