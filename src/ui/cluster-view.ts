import { ApiError } from './api.js';
import type { AppContext, View } from './app-context.js';
import { clusterActions } from './cluster-actions.js';
import { healthStrip, lineChart } from './charts.js';
import { h, mount } from './dom.js';
import { dateTime, percent } from './format.js';
import { healthBadge, labelList, lastSeen } from './fleet-row.js';
import {
  type Availability,
  CLUSTER_HEALTH_SUBSCRIPTION,
  CLUSTER_QUERY,
  type ClusterDetail,
  type ClusterRow,
  DISCOVERY_SUBSCRIPTION,
  type DiscoveryStatus,
  METRICS_QUERY,
  type Metrics,
} from './queries.js';

const DAY_MS = 86_400_000;
const RANGES: [string, string][] = [
  ['HOUR', '1 hour'],
  ['SIX_HOURS', '6 hours'],
  ['DAY', '24 hours'],
  ['WEEK', '7 days'],
];

function availability(a: Availability, title: string): HTMLElement {
  const observed = a.observedSeconds > 0;
  return h(
    'div',
    { class: 'availability', 'data-window': a.window },
    h('h3', null, title),
    h('p', { class: 'big' }, observed ? percent(a.healthyRatio === null ? null : a.healthyRatio * 100, 2) : 'no data'),
    h(
      'p',
      { class: 'muted' },
      observed ? `healthy; reachable ${percent(a.reachableRatio === null ? null : a.reachableRatio * 100, 2)}` : 'not observed in this window yet',
    ),
  );
}

function summary(c: ClusterRow): HTMLElement {
  const item = (term: string, ...value: (Node | string)[]) => [h('dt', null, term), h('dd', null, ...value)];
  return h(
    'dl',
    { class: 'summary' },
    item('Health', healthBadge(c.healthStatus, c.healthMessage), c.healthMessage ? ` ${c.healthMessage}` : ''),
    item('Kubernetes', c.kubernetesVersion ?? '—'),
    item('Nodes ready', `${c.readyNodeCount ?? '?'} of ${c.nodeCount}`),
    item('Pods', String(c.podCount)),
    item('Prometheus', c.prometheusUrl ? `${c.prometheusUrl} (${c.prometheusSource.toLowerCase()})` : 'none'),
    item('Last seen', lastSeen(c.lastConnectedAt)),
    item('Labels', labelList(c.labels)),
    item('Your role', c.myRole.toLowerCase()),
  );
}

/** One cluster: live health and discovery, health history and availability, metrics charts and actions. */
export function clusterView(app: AppContext, id: string): View {
  const stops: (() => void)[] = [];
  const title = h('h1', { id: 'cluster-title' }, 'Cluster');
  const error = h('div', { role: 'alert', class: 'error', id: 'cluster-error' });
  const head = h('div', { id: 'cluster-summary' });
  const history = h('div', { id: 'cluster-history' });
  const discovery = h('p', { id: 'discovery-status', 'aria-live': 'polite' }, 'Waiting for the discovery status…');
  const charts = h('div', { class: 'charts', id: 'charts', 'aria-live': 'polite', 'aria-busy': 'true' });
  const actions = h('div', { id: 'cluster-actions' });
  let current: ClusterDetail | undefined;

  const range = h(
    'select',
    { id: 'metrics-range', name: 'range' },
    RANGES.map(([v, words]) => h('option', { value: v }, words)),
  );
  range.addEventListener('change', () => void loadMetrics());

  const fail = (what: string) => (err: unknown) => mount(error, h('p', null, `${what}: ${String(err as ApiError)}`));

  async function load(): Promise<void> {
    const since = new Date(Date.now() - 7 * DAY_MS).toISOString();
    const { cluster } = await app.api.request<{ cluster: ClusterDetail | null }>(CLUSTER_QUERY, { id, since });
    if (!cluster) throw new ApiError(`cluster ${id} not found`, 'NOT_FOUND');
    current = cluster;
    title.textContent = cluster.name;
    document.title = `${cluster.name} · kube-gateway`;
    mount(head, cluster.isDefault ? h('p', { class: 'default-marker' }, 'default cluster') : null, summary(cluster));
    renderHistory(cluster);
    mount(
      actions,
      clusterActions(app, cluster, (labels) => mount(head, summary({ ...current!, labels }))),
    );
  }

  function renderHistory(c: ClusterDetail): void {
    const events = c.healthHistory.items;
    mount(
      history,
      h('div', { class: 'availability-row' }, availability(c.day, 'Last 24 hours'), availability(c.week, 'Last 7 days')),
      h('h3', null, 'Health, last 24 hours'),
      healthStrip(events, c.healthStatus, DAY_MS),
      events.length
        ? h(
            'table',
            { class: 'history' },
            h('caption', null, 'Health changes (last 7 days, newest first)'),
            h(
              'thead',
              null,
              h(
                'tr',
                null,
                ['When', 'From', 'To', 'Reason'].map((x) => h('th', { scope: 'col' }, x)),
              ),
            ),
            h(
              'tbody',
              null,
              events.map((e) =>
                h(
                  'tr',
                  null,
                  h('td', null, h('time', { datetime: e.at }, dateTime(e.at))),
                  h('td', null, healthBadge(e.from, null)),
                  h('td', null, healthBadge(e.to, null)),
                  h('td', null, e.message ?? ''),
                ),
              ),
            ),
          )
        : h('p', { class: 'muted' }, 'No health changes in the last 7 days.'),
    );
  }

  async function loadMetrics(): Promise<void> {
    charts.setAttribute('aria-busy', 'true');
    try {
      const { data, errors } = await app.api.query<{ cluster: { metrics: Metrics } | null }>(METRICS_QUERY, { id, range: range.value });
      const m = data?.cluster?.metrics;
      if (!m) {
        const e = errors[0];
        mount(
          charts,
          h(
            'p',
            { class: 'chart-message' },
            e?.code === 'PROMETHEUS_NOT_CONFIGURED' ? `No Prometheus for this cluster yet (${e.code}).` : `Metrics unavailable: ${String(e)}`,
          ),
        );
        return;
      }
      mount(
        charts,
        lineChart('cpu', 'CPU usage', [m.cpuUsagePercent], ['CPU']),
        lineChart('memory', 'Memory usage', [m.memoryUsagePercent], ['Memory']),
        lineChart('pods', 'Pods running', [m.podsRunning], ['Pods']),
        lineChart('network', 'Network', [m.networkReceiveBytesPerSecond, m.networkTransmitBytesPerSecond], ['Received', 'Sent']),
        h('p', { class: 'muted chart-source' }, `From ${m.source}, one point every ${m.stepSeconds} s.`),
      );
    } catch (err) {
      mount(charts, h('p', { class: 'chart-message' }, `Metrics unavailable: ${String(err as ApiError)}`));
    } finally {
      charts.setAttribute('aria-busy', 'false');
    }
  }

  function showDiscovery(d: DiscoveryStatus): void {
    const when = d.finishedAt ? ` (finished ${dateTime(d.finishedAt)})` : d.startedAt ? ` (started ${dateTime(d.startedAt)})` : '';
    mount(
      discovery,
      h('strong', { 'data-discovery': d.state }, d.state.replace('_', ' ').toLowerCase()),
      d.message ? `: ${d.message}` : '',
      d.prometheusUrl ? ` — ${d.prometheusUrl}` : '',
      when,
    );
  }

  load()
    .then(() => {
      // Live: the cluster's own pushes refresh the summary; the strip and availability refresh on a health change.
      stops.push(
        app.api.subscribe<{ clusterHealth: ClusterRow }>(
          CLUSTER_HEALTH_SUBSCRIPTION,
          { id },
          ({ clusterHealth: c }) => {
            if (!current) return;
            const changed = c.healthStatus !== current.healthStatus;
            current = { ...current, ...c };
            mount(head, current.isDefault ? h('p', { class: 'default-marker' }, 'default cluster') : null, summary(current));
            if (changed) void load().catch(fail('Could not reload the cluster'));
          },
          fail('Live health stopped'),
        ),
        app.api.subscribe<{ discoveryStatus: DiscoveryStatus }>(
          DISCOVERY_SUBSCRIPTION,
          { id },
          ({ discoveryStatus }) => showDiscovery(discoveryStatus),
          fail('Live discovery status stopped'),
        ),
      );
      return loadMetrics();
    })
    .catch(fail('Could not load the cluster'));

  const element = h(
    'article',
    { 'aria-labelledby': 'cluster-title' },
    h('p', null, app.link('/ui/', '← All clusters')),
    title,
    error,
    head,
    h('section', { class: 'panel', 'aria-labelledby': 'discovery-title' }, h('h2', { id: 'discovery-title' }, 'Prometheus discovery'), discovery),
    h('section', { class: 'panel', 'aria-labelledby': 'health-title' }, h('h2', { id: 'health-title' }, 'Health and availability'), history),
    h(
      'section',
      { class: 'panel', 'aria-labelledby': 'metrics-title' },
      h('h2', { id: 'metrics-title' }, 'Metrics'),
      h('div', { class: 'field' }, h('label', { for: 'metrics-range' }, 'Range'), range),
      charts,
    ),
    actions,
  );
  return { element, dispose: () => stops.forEach((stop) => stop()) };
}
