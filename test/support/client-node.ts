import { ApiException, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { expect } from 'vitest';
import type { ClusterHandle, KubeconfigOptions } from '../../tools/kube-simulator/index.js';

/** @kubernetes/client-node pointed at a simulated cluster, for tests of the simulator's fidelity. */

export function kubeConfig(h: ClusterHandle, opts?: KubeconfigOptions): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromString(h.kubeconfig(opts));
  return kc;
}

export const coreApi = (h: ClusterHandle, opts?: KubeconfigOptions): CoreV1Api => kubeConfig(h, opts).makeApiClient(CoreV1Api);

/** Runs `p`, expecting a client-node ApiException; returns it. */
export async function apiError(p: Promise<unknown>): Promise<ApiException<unknown>> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApiException);
  return err as ApiException<unknown>;
}

/** The Status object of an ApiException (client-node hands it over as text or parsed). */
export const bodyOf = (e: ApiException<unknown>): Record<string, unknown> =>
  (typeof e.body === 'string' ? JSON.parse(e.body) : e.body) as Record<string, unknown>;

/**
 * Runs `p`, expecting a transport failure; returns its message followed by the messages of its causes. client-node 2
 * sends through undici's fetch, which reports every network or TLS failure as "fetch failed" with the reason (the
 * TLS verification error, ECONNREFUSED…) in `cause`.
 */
export async function transportFailure(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Error);
  const messages: string[] = [];
  for (let e: unknown = err; e instanceof Error; e = e.cause) messages.push(e.message);
  return messages.join(': ');
}
