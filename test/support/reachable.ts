import { randomBytes } from 'node:crypto';
import { b64, kubeconfigYaml } from './kubeconfigs.js';

/** A kubeconfig for a cluster the gateway can reach, plus a credential marker to grep for leaks. */
export interface ReachableCluster {
  kubeconfigYaml: string;
  kubeconfigBase64: string;
  /** A string that only occurs inside the credential: it must never appear in a response, log or database file. */
  secretMarker: string;
  close(): Promise<void>;
}

export async function reachableCluster(): Promise<ReachableCluster> {
  const secretMarker = `tok${randomBytes(12).toString('hex')}`;
  const yaml = kubeconfigYaml({ user: { token: secretMarker } });
  return { kubeconfigYaml: yaml, kubeconfigBase64: b64(yaml), secretMarker, close: async () => {} };
}
