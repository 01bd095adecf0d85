import { createServer, type Server } from 'node:http';
import { startPrometheus, type RealPrometheus } from './prometheus.js';

/**
 * A small exporter serving the metric families cluster metrics reads (cAdvisor's container_* and kube-state-metrics'
 * kube_*), with values the test controls, so a real Prometheus scraping it gives known answers: e.g. 2 of 8 cores
 * busy → cpuUsagePercent 25.
 *
 * Counters grow linearly from `origin` (unix seconds) at the profile's rates, so `rate()` over any window is exactly the
 * rate. `history()` renders the same series for past instants as OpenMetrics with timestamps, for
 * `promtool tsdb create-blocks-from openmetrics`: the issue's PromQL uses `rate(…[5m])`, and Prometheus divides a rate
 * by the whole window, so a Prometheus with only seconds of scraped data would report a small fraction of the true rate.
 * Backfilling the past hour makes every window full, with the PromQL kept exactly as documented.
 */
export interface ExporterProfile {
  /** Cores busy per container (summed by the CPU query); a pod-level cAdvisor series (`container=""`) repeats their sum. */
  containerCores: number[];
  /** Allocatable cores per node. */
  nodeCores: number[];
  containerMemoryBytes: number[];
  nodeMemoryBytes: number[];
  runningPods: number;
  pendingPods: number;
  receiveBytesPerSecond: number;
  transmitBytesPerSecond: number;
}

/** 2 of 8 cores busy (25 %), 8 GiB of 32 GiB working set (25 %), 7 pods running, 1 KiB/s in and 512 B/s out. */
export const DEFAULT_PROFILE: ExporterProfile = {
  containerCores: [1.5, 0.5],
  nodeCores: [4, 4],
  containerMemoryBytes: [6 * 2 ** 30, 2 * 2 ** 30],
  nodeMemoryBytes: [16 * 2 ** 30, 16 * 2 ** 30],
  runningPods: 7,
  pendingPods: 1,
  receiveBytesPerSecond: 1024,
  transmitBytesPerSecond: 512,
};

export interface MetricsExporter {
  url: string;
  /** `host:port`, the `instance` label Prometheus gives its samples. */
  instance: string;
  /** Samples every `intervalSeconds` from `fromSec` to `toSec`, labelled as a scrape by job `job` would label them. */
  history(job: string, fromSec: number, toSec: number, intervalSeconds: number): string;
  close(): Promise<void>;
}

type Line = { family: string; labels: Record<string, string>; value: number };

function seriesAt(p: ExporterProfile, origin: number, atSec: number): Line[] {
  const elapsed = atSec - origin;
  const pod = (i: number) => ({ namespace: 'apps', pod: `web-${i}` });
  const lines: Line[] = [];
  p.containerCores.forEach((cores, i) => {
    lines.push({ family: 'container_cpu_usage_seconds_total', labels: { ...pod(i), container: 'app' }, value: cores * elapsed });
    // cAdvisor's pod-level cgroup: the same usage again without a container name (`container=""`, which Prometheus
    // stores as no label at all); the query must leave it out.
    lines.push({ family: 'container_cpu_usage_seconds_total', labels: pod(i), value: cores * elapsed });
  });
  p.containerMemoryBytes.forEach((bytes, i) => {
    lines.push({ family: 'container_memory_working_set_bytes', labels: { ...pod(i), container: 'app' }, value: bytes });
    lines.push({ family: 'container_memory_working_set_bytes', labels: pod(i), value: bytes });
  });
  p.nodeCores.forEach((cores, i) =>
    lines.push({ family: 'kube_node_status_allocatable', labels: { node: `node-${i}`, resource: 'cpu', unit: 'core' }, value: cores }),
  );
  p.nodeMemoryBytes.forEach((bytes, i) =>
    lines.push({ family: 'kube_node_status_allocatable', labels: { node: `node-${i}`, resource: 'memory', unit: 'byte' }, value: bytes }),
  );
  for (let i = 0; i < p.runningPods + p.pendingPods; i++) {
    const running = i < p.runningPods;
    for (const phase of ['Running', 'Pending']) {
      lines.push({
        family: 'kube_pod_status_phase',
        labels: { namespace: 'apps', pod: `p-${i}`, phase },
        value: (phase === 'Running') === running ? 1 : 0,
      });
    }
  }
  // Two pods share the traffic; rate() sums back to the profile's figure.
  for (const [family, perSecond] of [
    ['container_network_receive_bytes_total', p.receiveBytesPerSecond],
    ['container_network_transmit_bytes_total', p.transmitBytesPerSecond],
  ] as const) {
    for (let i = 0; i < 2; i++) lines.push({ family, labels: { ...pod(i), interface: 'eth0' }, value: (perSecond / 2) * elapsed });
  }
  return lines;
}

const TYPES: Record<string, 'counter' | 'gauge'> = {
  container_cpu_usage_seconds_total: 'counter',
  container_memory_working_set_bytes: 'gauge',
  kube_node_status_allocatable: 'gauge',
  kube_pod_status_phase: 'gauge',
  container_network_receive_bytes_total: 'counter',
  container_network_transmit_bytes_total: 'counter',
};

const labelText = (labels: Record<string, string>) =>
  `{${Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',')}}`;

/** Prometheus text format (what a scrape reads). */
function exposition(lines: Line[]): string {
  const out: string[] = [];
  for (const [family, type] of Object.entries(TYPES)) {
    out.push(`# TYPE ${family} ${type}`);
    for (const l of lines) if (l.family === family) out.push(`${family}${labelText(l.labels)} ${l.value}`);
  }
  return `${out.join('\n')}\n`;
}

export async function startMetricsExporter(
  profile: ExporterProfile = DEFAULT_PROFILE,
  origin = Math.floor(Date.now() / 1000) - 7_200,
): Promise<MetricsExporter> {
  const server: Server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(exposition(seriesAt(profile, origin, Date.now() / 1000)));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as { port: number };
  const instance = `127.0.0.1:${port}`;
  return {
    url: `http://${instance}`,
    instance,
    history(job, fromSec, toSec, intervalSeconds) {
      // OpenMetrics wants each family's samples together, and counters' family names without `_total`.
      const byFamily = new Map<string, string[]>();
      for (let t = fromSec; t <= toSec; t += intervalSeconds) {
        for (const l of seriesAt(profile, origin, t)) {
          const rows = byFamily.get(l.family) ?? [];
          rows.push(`${l.family}${labelText({ ...l.labels, job, instance })} ${l.value} ${t}`);
          byFamily.set(l.family, rows);
        }
      }
      const out: string[] = [];
      for (const [family, rows] of byFamily) {
        const type = TYPES[family]!;
        out.push(`# TYPE ${type === 'counter' ? family.replace(/_total$/, '') : family} ${type}`, ...rows);
      }
      return `${out.join('\n')}\n# EOF\n`;
    },
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export interface SeededPrometheus {
  prom: RealPrometheus;
  exporter: MetricsExporter;
  stop(): Promise<void>;
}

/**
 * A real Prometheus scraping the exporter every second, with the past 65 minutes of the same series backfilled at the
 * same one-second interval, so `rate(…[5m])` windows are full and a 1h range has every point from the first query on.
 * The intervals must match: where a window holds both sparse and dense samples, Prometheus' rate extrapolation (which
 * uses the window's average interval) is off by several percent.
 */
export async function startSeededPrometheus(profile: ExporterProfile = DEFAULT_PROFILE): Promise<SeededPrometheus> {
  const exporter = await startMetricsExporter(profile);
  const now = Math.floor(Date.now() / 1000);
  const prom = await startPrometheus({
    scrape: [{ job: 'kube', target: exporter.instance }],
    backfillOpenMetrics: exporter.history('kube', now - 3_900, now - 2, 1),
  });
  return {
    prom,
    exporter,
    stop: async () => {
      await Promise.all([prom.stop(), exporter.close()]);
    },
  };
}
