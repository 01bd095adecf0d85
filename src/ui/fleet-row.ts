import { usageBar } from './charts.js';
import { h, srOnly } from './dom.js';
import { HEALTH_WORDS, timeAgo } from './format.js';
import type { ClusterRow, Label } from './queries.js';

/** The health enum as a badge: colour from the value, the word as text, the reason on hover and for screen readers. */
export function healthBadge(status: string, reason: string | null): HTMLElement {
  return h(
    'span',
    { class: `badge health-${status}`, 'data-health': status, title: reason ?? HEALTH_WORDS[status] ?? status },
    HEALTH_WORDS[status] ?? status,
    reason ? srOnly(`: ${reason}`) : null,
  );
}

export function labelList(labels: Label[]): HTMLElement {
  if (labels.length === 0) return h('span', { class: 'muted' }, 'none');
  return h(
    'ul',
    { class: 'labels', 'aria-label': 'Labels' },
    labels.map((l) => h('li', null, h('code', null, `${l.key}=${l.value}`))),
  );
}

function prometheus(c: ClusterRow): HTMLElement {
  const words = { NONE: 'not found', AUTO: 'discovered', MANUAL: 'set by hand' }[c.prometheusSource] ?? c.prometheusSource;
  return h(
    'span',
    { class: `prometheus prometheus-${c.prometheusSource}`, 'data-prometheus': c.prometheusSource, title: c.prometheusUrl ?? 'no Prometheus URL' },
    words,
  );
}

/** "Last seen": when the gateway last reached the cluster, as relative time (refreshed by the view, not fetched). */
export function lastSeen(iso: string | null): HTMLElement {
  return iso
    ? h('time', { datetime: iso, title: new Date(iso).toLocaleString(), 'data-relative': '' }, timeAgo(iso))
    : h('span', { class: 'muted' }, 'never');
}

/** One fleet table row; `data-cluster-id` identifies it for live updates (and for tests). */
export function fleetRow(c: ClusterRow, link: (href: string, text: string) => HTMLElement): HTMLTableRowElement {
  const m = c.metricsSummary;
  return h(
    'tr',
    { 'data-cluster-id': c.id, class: c.enabled ? '' : 'disabled' },
    h(
      'th',
      { scope: 'row' },
      link(`/ui/clusters/${encodeURIComponent(c.id)}`, c.name),
      c.isDefault ? h('span', { class: 'default-marker', title: 'Default cluster (context switching)' }, 'default') : null,
      c.enabled ? null : h('span', { class: 'muted' }, ' (disabled)'),
    ),
    h('td', null, labelList(c.labels)),
    h('td', null, healthBadge(c.healthStatus, c.healthMessage)),
    h('td', null, c.kubernetesVersion ?? h('span', { class: 'muted' }, '—')),
    h('td', { class: 'num', 'data-nodes': '' }, `${c.readyNodeCount ?? '?'}/${c.nodeCount}`),
    h('td', { class: 'num', 'data-pods': '' }, String(c.podCount)),
    h('td', null, prometheus(c)),
    h('td', null, lastSeen(c.lastConnectedAt)),
    h('td', { 'data-cpu': '' }, usageBar('CPU', m?.cpuUsagePercent)),
    h('td', { 'data-memory': '' }, usageBar('Memory', m?.memoryUsagePercent)),
  );
}

export const FLEET_COLUMNS = ['Name', 'Labels', 'Health', 'Version', 'Ready/total nodes', 'Pods', 'Prometheus', 'Last seen', 'CPU', 'Memory'];
