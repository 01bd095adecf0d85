import { afterAll, beforeAll } from 'vitest';
import { type AddClusterOptions, KubeSimulator, type KubeSimulatorOptions } from '../../tools/kube-simulator/index.js';
import { reachableCluster, type ReachableCluster } from './reachable.js';

/**
 * Creates a value in the enclosing describe block's `beforeAll` and disposes of it in its `afterAll`, and returns a
 * stand-in that forwards to the value once it exists. Suites then declare `const t = useTestGateway(driver)` instead
 * of a `let` and a pair of hooks each, and test bodies keep reading `t.rest(…)`.
 *
 * Using the stand-in outside a test or hook (while the describe block is being collected) is a mistake in the suite:
 * it throws, naming `what`.
 */
export function perSuite<T extends object>(what: string, create: () => Promise<T>, dispose: (value: T) => Promise<void>): T {
  let value: T | undefined;
  beforeAll(async () => {
    value = await create();
  });
  afterAll(async () => {
    // Nothing to dispose of when creating it failed: that failure is what the suite reports.
    if (value) await dispose(value);
  });
  return new Proxy({} as T, {
    get(_, property) {
      if (!value) {
        // `await stand-in` looks for `then`; answering "none" keeps that from throwing.
        if (property === 'then') return undefined;
        throw new Error(`${what} is used before its beforeAll ran (only use it inside tests and hooks)`);
      }
      const member = Reflect.get(value, property, value);
      return typeof member === 'function' ? member.bind(value) : member;
    },
  });
}

/** A live (simulated) cluster for the whole describe block, removed from the shared simulator afterwards. */
export function useReachableCluster(opts: AddClusterOptions & { auth?: 'token' | 'cert' } = {}): ReachableCluster {
  return perSuite(
    'the reachable cluster',
    () => reachableCluster(opts),
    (cluster) => cluster.close(),
  );
}

/**
 * Starts simulators of a suite's own (a test that stops one, or counts its connections, must not share it), all closed
 * after the describe block. Returns the function that starts one.
 */
export function useOwnSimulators(): (opts?: KubeSimulatorOptions) => Promise<KubeSimulator> {
  const started: KubeSimulator[] = [];
  afterAll(async () => {
    for (const sim of started) await sim.close();
  });
  return async (opts) => {
    const sim = await KubeSimulator.start(opts);
    started.push(sim);
    return sim;
  };
}
