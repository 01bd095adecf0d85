import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RealPrometheus {
  url: string;
  port: number;
  stop(): Promise<void>;
}

const BINARY = ['/usr/bin/prometheus', '/usr/local/bin/prometheus'].find((p) => existsSync(p));
const PROMTOOL = BINARY ? BINARY.replace(/prometheus$/, 'promtool') : 'promtool';

/**
 * Whether a real Prometheus server can be started here. In CI (REQUIRE_ALL_BACKENDS=1) its absence is an error;
 * on a bare laptop the suites that need it skip with a message.
 */
export function prometheusAvailable(): boolean {
  if (BINARY) return true;
  if (process.env.REQUIRE_ALL_BACKENDS === '1')
    throw new Error('REQUIRE_ALL_BACKENDS=1 but prometheus is not installed (apt-get install prometheus)');
  console.warn('[test] prometheus is not installed: discovery tests against a real Prometheus are skipped');
  return false;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export interface StartPrometheusOptions {
  routePrefix?: string;
  /** More jobs to scrape every second (`host:port` targets, `/metrics`). */
  scrape?: { job: string; target: string }[];
  /**
   * History to load before the server starts (OpenMetrics with timestamps), written into its data directory by
   * `promtool tsdb create-blocks-from openmetrics`: how a test gets hours of samples without waiting for them.
   */
  backfillOpenMetrics?: string;
}

/** Starts the Debian prometheus binary on a free loopback port, scraping itself, with a private data dir. */
export async function startPrometheus(opts: StartPrometheusOptions = {}): Promise<RealPrometheus> {
  if (!BINARY) throw new Error('prometheus binary not found');
  const dir = mkdtempSync(join(tmpdir(), 'kgw-prom-'));
  const port = await freePort();
  const prefix = opts.routePrefix ?? '';
  const extraJobs = (opts.scrape ?? []).map((j) => `  - job_name: ${j.job}\n    static_configs:\n      - targets: ['${j.target}']\n`).join('');
  writeFileSync(
    join(dir, 'prometheus.yml'),
    `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: self\n    metrics_path: ${prefix}/metrics\n    static_configs:\n      - targets: ['127.0.0.1:${port}']\n${extraJobs}`,
  );
  if (opts.backfillOpenMetrics) {
    writeFileSync(join(dir, 'history.om'), opts.backfillOpenMetrics);
    execFileSync(PROMTOOL, ['tsdb', 'create-blocks-from', 'openmetrics', join(dir, 'history.om'), join(dir, 'data')], { stdio: 'pipe' });
  }
  const args = [
    `--config.file=${join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=error',
    ...(prefix ? [`--web.route-prefix=${prefix}`, `--web.external-url=http://127.0.0.1:${port}${prefix}`] : []),
  ];
  const child: ChildProcess = spawn(BINARY, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += d));
  const url = `http://127.0.0.1:${port}${prefix}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      const res = await fetch(`${url}/-/ready`);
      if (res.ok) break;
    } catch {
      // not up yet
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`prometheus did not become ready: ${stderr.slice(-500)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    port,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** How many requests Prometheus has answered on one API handler (`/api/v1/query_range` …), from its own metrics. */
export async function prometheusRequestCount(prom: RealPrometheus, handler: string): Promise<number> {
  const text = await (await fetch(`${prom.url}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('prometheus_http_requests_total{') && line.includes(`handler="${handler}"`)) total += Number(line.split(' ').pop());
  }
  return total;
}
