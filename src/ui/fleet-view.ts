import type { ApiError } from './api.js';
import type { AppContext, View } from './app-context.js';
import { h, mount } from './dom.js';
import { HEALTH_STATES, HEALTH_WORDS, timeAgo } from './format.js';
import { FLEET_COLUMNS, fleetRow } from './fleet-row.js';
import { type ClusterRow, FLEET_HEALTH_SUBSCRIPTION, FLEET_QUERY, type FleetPage } from './queries.js';

const PAGE_SIZES = [10, 25, 50, 100];
const SORTS: Record<string, { field: string; direction: string; words: string }> = {
  'name-asc': { field: 'NAME', direction: 'ASC', words: 'Name, A to Z' },
  'name-desc': { field: 'NAME', direction: 'DESC', words: 'Name, Z to A' },
  'health-desc': { field: 'HEALTH_STATUS', direction: 'DESC', words: 'Health, worst first' },
  'created-desc': { field: 'CREATED_AT', direction: 'DESC', words: 'Newest first' },
  'updated-desc': { field: 'UPDATED_AT', direction: 'DESC', words: 'Recently changed first' },
};

/** Filter, sort and page size live in the address (?search=&health=&labels=&sort=&size=), so a view can be shared. */
interface FleetState {
  search: string;
  health: string[];
  labels: string;
  sort: string;
  size: number;
}

function readState(): FleetState {
  const q = new URLSearchParams(location.search);
  const size = Number(q.get('size'));
  return {
    search: q.get('search') ?? '',
    health: (q.get('health') ?? '').split(',').filter((x) => HEALTH_STATES.includes(x)),
    labels: q.get('labels') ?? '',
    sort: SORTS[q.get('sort') ?? ''] ? q.get('sort')! : 'name-asc',
    size: PAGE_SIZES.includes(size) ? size : 25,
  };
}

function writeState(st: FleetState): void {
  const q = new URLSearchParams();
  if (st.search) q.set('search', st.search);
  if (st.health.length) q.set('health', st.health.join(','));
  if (st.labels) q.set('labels', st.labels);
  if (st.sort !== 'name-asc') q.set('sort', st.sort);
  if (st.size !== 25) q.set('size', String(st.size));
  const qs = q.toString();
  history.replaceState(history.state, '', `/ui/${qs ? `?${qs}` : ''}`);
}

/**
 * The fleet table: one row per cluster from `clusters(filter, first, after, orderBy)`, kept current by the
 * `clusterHealth` subscription (no polling): a push replaces the row of that cluster in place.
 */
export function fleetView(app: AppContext): View {
  const st = readState();
  /** Cursors of the pages before the current one (`after` values), for "Previous". */
  const cursors: (string | null)[] = [];
  let after: string | null = null;
  let nextCursor: string | null = null;
  const rows = new Map<string, ClusterRow>();
  let stopLive = () => {};
  let liveSelector: string | null | undefined;
  let loadSeq = 0;

  const search = h('input', { id: 'fleet-search', name: 'search', type: 'search', value: st.search, autocomplete: 'off' });
  const labels = h('input', {
    id: 'fleet-labels',
    name: 'labelSelector',
    type: 'text',
    value: st.labels,
    placeholder: 'env=prod,tier!=db',
    autocomplete: 'off',
    spellcheck: 'false',
  });
  const chips = HEALTH_STATES.map((v) =>
    h('input', { type: 'checkbox', name: 'health', value: v, id: `health-${v}`, checked: st.health.includes(v) }),
  );
  const sort = h(
    'select',
    { id: 'fleet-sort', name: 'sort' },
    Object.entries(SORTS).map(([k, v]) => h('option', { value: k, selected: k === st.sort }, v.words)),
  );
  const size = h(
    'select',
    { id: 'fleet-size', name: 'size' },
    PAGE_SIZES.map((n) => h('option', { value: n, selected: n === st.size }, String(n))),
  );
  const status = h('p', { id: 'fleet-status', role: 'status', class: 'muted' }, 'Loading…');
  const error = h('div', { id: 'fleet-error', role: 'alert', class: 'error' });
  const tbody = h('tbody');
  const prev = h('button', { type: 'button', id: 'page-prev', disabled: true }, 'Previous page');
  const next = h('button', { type: 'button', id: 'page-next', disabled: true }, 'Next page');
  const pageWords = h('span', { id: 'page-number' });

  const form = h(
    'form',
    { role: 'search', 'aria-label': 'Filter clusters', class: 'filters', onSubmit: (e: Event) => (e.preventDefault(), apply()) },
    h('div', { class: 'field' }, h('label', { for: 'fleet-search' }, 'Name contains'), search),
    h(
      'fieldset',
      { class: 'chips' },
      h('legend', null, 'Health'),
      chips.map((c) => h('label', { class: `chip chip-${c.value}`, for: c.id }, c, HEALTH_WORDS[c.value])),
    ),
    h('div', { class: 'field' }, h('label', { for: 'fleet-labels' }, 'Label selector'), labels),
    h('div', { class: 'field' }, h('label', { for: 'fleet-sort' }, 'Sort by'), sort),
    h('div', { class: 'field' }, h('label', { for: 'fleet-size' }, 'Per page'), size),
    h('button', { type: 'submit' }, 'Apply'),
  );

  let debounce: ReturnType<typeof setTimeout> | undefined;
  const soon = () => {
    clearTimeout(debounce);
    debounce = setTimeout(apply, 300);
  };
  search.addEventListener('input', soon);
  labels.addEventListener('change', apply);
  [sort, size, ...chips].forEach((el) => el.addEventListener('change', apply));
  prev.addEventListener('click', () => {
    after = cursors.pop() ?? null;
    void load();
  });
  next.addEventListener('click', () => {
    cursors.push(after);
    after = nextCursor;
    void load();
  });

  function apply(): void {
    clearTimeout(debounce);
    st.search = search.value.trim();
    st.labels = labels.value.trim();
    st.health = chips.filter((c) => c.checked).map((c) => c.value);
    st.sort = sort.value;
    st.size = Number(size.value);
    writeState(st);
    cursors.length = 0;
    after = null;
    void load();
  }

  async function load(): Promise<void> {
    const seq = ++loadSeq;
    const order = SORTS[st.sort]!;
    const filter: Record<string, unknown> = {};
    if (st.search) filter.search = st.search;
    if (st.health.length) filter.healthStatus = st.health;
    if (st.labels) filter.labelSelector = st.labels;
    status.textContent = 'Loading…';
    try {
      const { data, errors } = await app.api.query<FleetPage>(FLEET_QUERY, {
        filter,
        first: st.size,
        after,
        orderBy: { field: order.field, direction: order.direction },
      });
      if (seq !== loadSeq) return; // a newer filter was applied meanwhile
      if (!data) throw errors[0];
      render(data, errors);
      watch(st.labels || null);
    } catch (err) {
      if (seq !== loadSeq) return;
      mount(error, h('p', null, `Could not load clusters: ${String(err as ApiError)}`));
      status.textContent = '';
    }
  }

  function render(data: FleetPage, errors: ApiError[]): void {
    const page = data.clusters;
    rows.clear();
    page.items.forEach((c) => rows.set(c.id, c));
    mount(
      tbody,
      page.items.length
        ? page.items.map((c) => fleetRow(c, app.link))
        : h('tr', null, h('td', { colspan: FLEET_COLUMNS.length }, 'No cluster matches.')),
    );
    // A failed metricsSummary leaves its bars empty ("—"); the rest of the page is unaffected. A cluster without a
    // Prometheus is normal (its row says so), so only real failures, say an unreachable Prometheus, are reported.
    const metricErrors = errors.filter((e) => e.code !== 'PROMETHEUS_NOT_CONFIGURED');
    mount(error, metricErrors.length ? h('p', { class: 'warning' }, `Some figures are missing: ${String(metricErrors[0])}`) : null);
    nextCursor = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
    prev.disabled = cursors.length === 0;
    next.disabled = nextCursor === null;
    pageWords.textContent = `Page ${cursors.length + 1}`;
    status.textContent = `${page.total} cluster${page.total === 1 ? '' : 's'} match; showing ${page.items.length}.`;
  }

  /** Live rows: one subscription for the current label selector; pushes for clusters on this page replace their row. */
  function watch(selector: string | null): void {
    if (selector === liveSelector) return;
    stopLive();
    liveSelector = selector;
    stopLive = app.api.subscribe<{ clusterHealth: ClusterRow }>(
      FLEET_HEALTH_SUBSCRIPTION,
      { labelSelector: selector },
      ({ clusterHealth: c }) => {
        const known = rows.get(c.id);
        const tr = tbody.querySelector(`tr[data-cluster-id="${CSS.escape(c.id)}"]`);
        if (!known || !tr) return;
        const merged = { ...known, ...c };
        rows.set(c.id, merged);
        const fresh = fleetRow(merged, app.link);
        if (known.healthStatus !== c.healthStatus) fresh.classList.add('changed');
        tr.replaceWith(fresh);
      },
      (err) => mount(error, h('p', null, `Live updates stopped: ${String(err)}`)),
    );
  }

  // Relative times ("3 min ago") age on screen without asking the gateway.
  const ticker = setInterval(() => {
    tbody.querySelectorAll<HTMLTimeElement>('time[data-relative]').forEach((t) => (t.textContent = timeAgo(t.dateTime)));
  }, 30_000);
  // After a gateway restart the rows may be stale (changes while the socket was down): read the page again.
  const stopReconnect = app.api.onReconnect(() => void load());

  const element = h(
    'section',
    { 'aria-labelledby': 'fleet-title' },
    h('h1', { id: 'fleet-title' }, 'Fleet'),
    form,
    status,
    error,
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { id: 'fleet-table' },
        h('caption', { class: 'sr-only' }, 'Clusters, updated live'),
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            FLEET_COLUMNS.map((c) => h('th', { scope: 'col' }, c)),
          ),
        ),
        tbody,
      ),
    ),
    h('nav', { 'aria-label': 'Pages', class: 'pager' }, prev, pageWords, next),
  );
  void load();
  return {
    element,
    dispose() {
      clearTimeout(debounce);
      clearInterval(ticker);
      stopReconnect();
      stopLive();
    },
  };
}
