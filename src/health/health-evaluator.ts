import type { HealthStatusValue } from '../db/schema.js';
import type { KubeFailure, ProbeResult } from '../kube/probe.js';

/** What one probe says about a cluster, before anti-flapping. */
export interface Observation {
  status: Exclude<HealthStatusValue, 'unknown'>;
  message: string;
  reachable: boolean;
  kubernetesVersion?: string;
  nodeCount?: number;
  readyNodeCount?: number;
  podCount?: number;
}

export const CREDENTIAL_WARNING_DAYS = 7;
const DAY = 86_400_000;

/** Cannot connect at all → UNAVAILABLE; connected but the API refused or broke → ERROR. */
function failureStatus(f: KubeFailure): 'error' | 'unavailable' {
  return f.status !== undefined || f.reason === 'UNAUTHORIZED' || f.reason === 'FORBIDDEN' || f.reason === 'API_ERROR' ? 'error' : 'unavailable';
}

/** Turns a probe result into a health state with a reason a person can act on (DESIGN.md, health states). */
export function observe(result: ProbeResult, now = new Date()): Observation {
  const { version, nodes, pods } = result;
  if (!version.ok) {
    const status = failureStatus(version.failure);
    // ERROR means the API server answered (401, 5xx, garbage): it was reached, so last_connected_at moves.
    return { status, message: version.failure.message, reachable: status === 'error' };
  }
  const obs: Observation = { status: 'healthy', message: '', reachable: true, kubernetesVersion: version.gitVersion };
  if (nodes.ok) Object.assign(obs, { nodeCount: nodes.figures.total, readyNodeCount: nodes.figures.ready });
  if (pods.ok) obs.podCount = pods.count;

  const failures = [nodes, pods].flatMap((p, i) => (p.ok ? [] : [{ what: i === 0 ? 'nodes' : 'pods', failure: p.failure }]));
  const hard = failures.find((f) => f.failure.reason !== 'FORBIDDEN');
  if (hard) return { ...obs, status: failureStatus(hard.failure), message: `listing ${hard.what} failed: ${hard.failure.message}` };
  if (failures.length > 0) {
    return { ...obs, status: 'warning', message: `partial permissions: cannot list ${failures.map((f) => f.what).join(' or ')} (403 Forbidden)` };
  }

  const figures = nodes.ok ? nodes.figures : undefined;
  if (figures && figures.total === 0) return { ...obs, status: 'warning', message: 'the cluster has no nodes' };
  if (figures && figures.ready < figures.total) {
    const names = figures.notReadyNames.slice(0, 5).join(', ') + (figures.notReadyNames.length > 5 ? ', …' : '');
    return { ...obs, status: 'warning', message: `${figures.total - figures.ready} of ${figures.total} nodes NotReady (${names})` };
  }
  const expires = result.credentialExpiresAt;
  if (expires && expires.getTime() - now.getTime() < CREDENTIAL_WARNING_DAYS * DAY) {
    const days = Math.max(0, Math.floor((expires.getTime() - now.getTime()) / DAY));
    const when =
      expires.getTime() <= now.getTime() ? 'have expired' : `expire in ${days === 0 ? 'less than a day' : `${days} day${days === 1 ? '' : 's'}`}`;
    return { ...obs, status: 'warning', message: `credentials ${when} (${expires.toISOString()})` };
  }
  return { ...obs, message: figures ? `all ${figures.total} nodes Ready` : 'reachable' };
}

export interface HealthMemory {
  status: HealthStatusValue;
  candidateStatus: HealthStatusValue | null;
  candidateCount: number;
}

export interface HealthDecision extends HealthMemory {
  message: string;
  changed: boolean;
}

/**
 * Anti-flapping: the shown state flips only after `threshold` consecutive observations agree. A first observation
 * (from UNKNOWN) and an explicit connection test (`force`) apply at once.
 */
export function decide(memory: HealthMemory, obs: Observation, threshold: number, force = false): HealthDecision {
  if (force || memory.status === 'unknown' || memory.status === obs.status || threshold <= 1) {
    return { status: obs.status, message: obs.message, candidateStatus: null, candidateCount: 0, changed: memory.status !== obs.status };
  }
  const count = memory.candidateStatus === obs.status ? memory.candidateCount + 1 : 1;
  if (count >= threshold) {
    return { status: obs.status, message: obs.message, candidateStatus: null, candidateCount: 0, changed: true };
  }
  return {
    status: memory.status,
    message: `${obs.message} (still ${memory.status.toUpperCase()}: ${count} of ${threshold} consecutive checks report ${obs.status.toUpperCase()})`,
    candidateStatus: obs.status,
    candidateCount: count,
    changed: false,
  };
}
