import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { testDrivers } from './support/databases.js';
import { useTestGateway } from './support/gateway.js';

/**
 * /metrics as a Prometheus operator meets it: every name passes `promtool check metrics`, the standard process and
 * Node.js metrics have their usual unprefixed names (stock dashboards find them), and `kube_gateway_build_info` says
 * which version, commit and Node.js run.
 */

const PROMTOOL = ['/usr/bin/promtool', '/usr/local/bin/promtool'].find((p) => existsSync(p));
if (!PROMTOOL && process.env.REQUIRE_ALL_BACKENDS === '1')
  throw new Error('REQUIRE_ALL_BACKENDS=1 but promtool is not installed (apt-get install prometheus)');

describe.each(testDrivers())('/metrics on %s', (driver) => {
  const t = useTestGateway(driver, {}, { healthMonitor: false });
  const scrape = async () => {
    // Some traffic first, so the request histogram and counters have series to check too.
    await t.rest('GET', '/api/v1/k8s/clusters');
    const res = await fetch(`${t.url}/metrics`);
    expect(res.status).toBe(200);
    return res.text();
  };

  it.runIf(PROMTOOL)('passes `promtool check metrics` with no finding', async () => {
    const text = await scrape();
    const check = spawnSync(PROMTOOL!, ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(`${check.stdout}${check.stderr}`.trim()).toBe('');
    expect(check.status).toBe(0);
  });

  it('standard process_* and nodejs_* metrics are unprefixed; the gateway’s own names start with kube_gateway_', async () => {
    const names = new Set([...(await scrape()).matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => m[1]!));
    for (const name of [
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'process_start_time_seconds',
      'nodejs_heap_size_used_bytes',
      'nodejs_eventloop_lag_seconds',
      'nodejs_gc_duration_seconds',
    ]) {
      expect(names, name).toContain(name);
    }
    expect([...names].filter((n) => /^kube_gateway_(process|nodejs)_/.test(n))).toEqual([]);
    expect([...names].filter((n) => !/^(process_|nodejs_|kube_gateway_)/.test(n))).toEqual([]);
    expect(names).toContain('kube_gateway_http_request_duration_seconds');
  });

  it('kube_gateway_build_info{version,commit,node} is 1 and names this checkout', async () => {
    const line = /^kube_gateway_build_info\{(.*)\} (\S+)$/m.exec(await scrape());
    expect(line?.[2]).toBe('1');
    const labels = Object.fromEntries([...line![1]!.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: new URL('..', import.meta.url) })
      .toString()
      .trim();
    expect(labels).toEqual({ version: pkg.version, commit: head, node: process.versions.node });
  });
});
