import { h, s, srOnly } from './dom.js';
import { HEALTH_WORDS, inUnit, percent } from './format.js';
import type { HealthEvent, Series } from './queries.js';

const W = 600;
const H = 160;
const PAD = 4;

/** A usage bar (CPU, memory) for a fleet row; "—" when the cluster has no reading. */
export function usageBar(label: string, value: number | null | undefined): HTMLElement {
  if (value === null || value === undefined)
    return h('span', { class: 'bar-missing', title: `${label}: no metrics` }, '—', srOnly(`${label}: no metrics`));
  const clamped = Math.max(0, Math.min(100, value));
  const level = clamped >= 90 ? 'high' : clamped >= 70 ? 'raised' : 'normal';
  return h(
    'span',
    { class: 'bar', 'data-value': value.toFixed(1) },
    s(
      'svg',
      { width: 64, height: 10, viewBox: '0 0 100 10', preserveAspectRatio: 'none', 'aria-hidden': 'true', focusable: 'false' },
      s('rect', { class: 'bar-track', x: 0, y: 0, width: 100, height: 10, rx: 2 }),
      s('rect', { class: `bar-fill bar-${level}`, x: 0, y: 0, width: clamped, height: 10, rx: 2 }),
    ),
    h('span', { class: 'bar-text' }, percent(value)),
  );
}

/**
 * A line chart of one or two series (network: received and sent) as SVG polylines, scaled to the data (percent
 * series to 0–100). Every point is one sample; `data-points` carries the count for tests and for the curious.
 */
export function lineChart(key: string, title: string, series: Series[], names: string[] = series.map((x) => x.name)): HTMLElement {
  const failed = series.find((x) => x.error);
  const samples = series.flatMap((x) => x.samples);
  const caption = h('figcaption', null, title);
  if (failed)
    return h(
      'figure',
      { class: 'chart', 'data-chart': key },
      caption,
      h('p', { class: 'chart-message', role: 'status' }, `No data: ${failed.error}`),
    );
  if (samples.length === 0)
    return h('figure', { class: 'chart', 'data-chart': key }, caption, h('p', { class: 'chart-message' }, 'No samples in this range.'));

  const unit = series[0]!.unit;
  const times = samples.map((p) => Date.parse(p.t));
  const t0 = Math.min(...times);
  const t1 = Math.max(...times, t0 + 1);
  const max = unit === 'percent' ? 100 : Math.max(...samples.map((p) => p.v), 1) * 1.1;
  const x = (t: string) => PAD + ((Date.parse(t) - t0) / (t1 - t0)) * (W - 2 * PAD);
  const y = (v: number) => H - PAD - (Math.max(0, v) / max) * (H - 2 * PAD);

  const lines = series.map((x0, i) =>
    s('polyline', {
      class: `line line-${i}`,
      'data-series': x0.name,
      'data-points': x0.samples.length,
      points: x0.samples.map((p) => `${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(' '),
      fill: 'none',
      'vector-effect': 'non-scaling-stroke',
    }),
  );
  const grid = [0.25, 0.5, 0.75].map((f) => s('line', { class: 'grid', x1: 0, x2: W, y1: H * f, y2: H * f, 'vector-effect': 'non-scaling-stroke' }));
  const latest = series.map((x0, i) => `${names[i]} ${x0.samples.length ? inUnit(x0.samples.at(-1)!.v, x0.unit) : 'no data'}`).join(', ');
  const label = `${title}: latest ${latest}; ${samples.length} points from ${new Date(t0).toLocaleTimeString()} to ${new Date(t1).toLocaleTimeString()}`;
  return h(
    'figure',
    { class: 'chart', 'data-chart': key },
    caption,
    s('svg', { viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: 'none', role: 'img', 'aria-label': label, class: 'chart-plot' }, grid, lines),
    h(
      'p',
      { class: 'chart-legend' },
      series.map((x0, i) =>
        h('span', { class: `legend legend-${i}` }, `${names[i]}: ${x0.samples.length ? inUnit(x0.samples.at(-1)!.v, x0.unit) : '—'}`),
      ),
      h('span', { class: 'legend-scale' }, `scale 0–${inUnit(max, unit)}`),
    ),
  );
}

/**
 * The health of the last `windowMs` as a coloured strip, from the transitions (newest first) and the current state:
 * each stretch between two transitions gets the state it was in.
 */
export function healthStrip(events: HealthEvent[], current: string, windowMs: number, now = Date.now()): SVGSVGElement {
  const start = now - windowMs;
  const stretches: { from: number; to: number; state: string }[] = [];
  let end = now;
  let state = current;
  for (const e of events) {
    const at = Date.parse(e.at);
    stretches.push({ from: Math.max(at, start), to: end, state });
    end = at;
    state = e.from;
    if (at <= start) break;
  }
  if (end > start) stretches.push({ from: start, to: end, state });
  const x = (t: number) => ((t - start) / windowMs) * 1000;
  const summary = stretches
    .map((r) => HEALTH_WORDS[r.state] ?? r.state)
    .reverse()
    .join(', then ');
  return s(
    'svg',
    {
      class: 'health-strip',
      viewBox: '0 0 1000 20',
      preserveAspectRatio: 'none',
      role: 'img',
      'aria-label': `Health over the last 24 hours: ${summary}`,
    },
    stretches.map((r) =>
      s(
        'rect',
        { class: `strip-${r.state}`, x: x(r.from), y: 0, width: Math.max(0.5, x(r.to) - x(r.from)), height: 20 },
        s('title', null, HEALTH_WORDS[r.state] ?? r.state),
      ),
    ),
  );
}
