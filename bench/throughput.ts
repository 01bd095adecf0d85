/**
 * Issue item 2: REST C1 and GraphQL `clusters` on a gateway with 100 clusters, against a raw node:http baseline that
 * replays the gateway's own bytes. Baseline and gateway alternate in rounds (same connections, same duration, both
 * servers on the server CPU, the load generator on the other); the ratio is taken per round, then the median.
 * Maximum rates come from wrk (C, one thread on the load CPU), whose own CPU share is recorded beside each round: one
 * autocannon process saturated its core near 30,000 req/s and capped the baseline, so ratios measured the client.
 * Then p99 latency at half of the gateway's maximum rate (wrk paced, bench/wrk.ts `pacedRun`), the baseline paced the same.
 */
import { median, round } from './lib.js';
import { KINDS, type Kind, REST_PATH, bodyBytes, capture, requestOf, startBaselineChild, startGatewayChild } from './targets.js';
import { pacedRun, runWrk, type WrkResult } from './wrk.js';

export interface ThroughputSettings {
  clusters: number;
  connections: number;
  rounds: number;
  durationSec: number;
  p99Rounds: number;
  p99DurationSec: number;
}

export interface KindResult {
  bodyBytes: number;
  rounds: {
    baselineRps: number;
    gatewayRps: number;
    ratio: number;
    gatewayP99Ms: number;
    baselineP99Ms: number;
    /** wrk's CPU share of its core while driving the baseline / the gateway (100: the client was the bottleneck). */
    loadCpuPctBaseline?: number;
    loadCpuPctGateway?: number;
  }[];
  medianBaselineRps: number;
  medianGatewayRps: number;
  medianRatio: number;
  saturatedGatewayP99Ms: number;
  halfRate: {
    rate: number;
    gatewayP99Ms: number[];
    baselineP99Ms: number[];
    medianGatewayP99Ms: number;
    medianBaselineP99Ms: number;
    gatewayP50Ms: number;
  };
  errors: number;
  /** From the gateway's /metrics after all rounds: requests of this kind, and how many the cached-read lane answered. */
  served?: { requests: number; fromCache: number };
}

export interface ThroughputResult {
  settings: ThroughputSettings;
  rest: KindResult;
  graphql: KindResult;
  /** How the half-rate latency was measured (absent: autocannon `overallRate`, before paced wrk). */
  halfRateTool?: string;
}

export async function runThroughput(s: ThroughputSettings, log: (m: string) => void): Promise<ThroughputResult> {
  const gw = await startGatewayChild(s.clusters);
  let base: Awaited<ReturnType<typeof startBaselineChild>> | undefined;
  try {
    const reqs = { rest: requestOf('rest', gw.info.adminToken), graphql: requestOf('graphql', gw.info.adminToken) };
    const captured = { rest: await capture(gw.info.url, reqs.rest), graphql: await capture(gw.info.url, reqs.graphql) };
    base = await startBaselineChild([captured.rest, captured.graphql]);
    const urls = { gateway: gw.info.url, baseline: base.info.url };
    // Warm-up (JIT, caches, connection setup), not recorded.
    for (const kind of KINDS)
      for (const url of [urls.baseline, urls.gateway]) await runWrk(url, reqs[kind], { connections: s.connections, durationSec: 1 });

    const out = {} as Record<Kind, KindResult>;
    for (const kind of KINDS) out[kind] = { bodyBytes: bodyBytes(captured[kind]), rounds: [], errors: 0 } as unknown as KindResult;
    for (let r = 0; r < s.rounds; r++) {
      for (const kind of KINDS) {
        const order: ('baseline' | 'gateway')[] = r % 2 === 0 ? ['baseline', 'gateway'] : ['gateway', 'baseline'];
        const res = {} as Record<'baseline' | 'gateway', WrkResult>;
        for (const who of order) res[who] = await runWrk(urls[who], reqs[kind], { connections: s.connections, durationSec: s.durationSec });
        out[kind].errors += res.gateway.non2xx + res.gateway.errors;
        const row = {
          baselineRps: round(res.baseline.rps, 0),
          gatewayRps: round(res.gateway.rps, 0),
          ratio: round(res.gateway.rps / res.baseline.rps, 3),
          gatewayP99Ms: res.gateway.latencyMs.p99,
          baselineP99Ms: res.baseline.latencyMs.p99,
          loadCpuPctBaseline: res.baseline.loadCpuPct,
          loadCpuPctGateway: res.gateway.loadCpuPct,
        };
        out[kind].rounds.push(row);
        log(
          `  ${kind} round ${r + 1}/${s.rounds}: baseline ${row.baselineRps} req/s, gateway ${row.gatewayRps} req/s, ratio ${row.ratio} (wrk CPU ${row.loadCpuPctBaseline} / ${row.loadCpuPctGateway} %)`,
        );
      }
    }
    for (const kind of KINDS) {
      const k = out[kind];
      k.medianBaselineRps = median(k.rounds.map((x) => x.baselineRps));
      k.medianGatewayRps = median(k.rounds.map((x) => x.gatewayRps));
      k.medianRatio = median(k.rounds.map((x) => x.ratio));
      k.saturatedGatewayP99Ms = median(k.rounds.map((x) => x.gatewayP99Ms));
      const rate = Math.max(1, Math.round(k.medianGatewayRps / 2));
      const g: number[] = [];
      const b: number[] = [];
      const p50: number[] = [];
      for (let r = 0; r < s.p99Rounds; r++) {
        const paced = { connections: s.connections, durationSec: s.p99DurationSec, rate };
        const first = r % 2 === 0 ? 'gateway' : 'baseline';
        for (const who of first === 'gateway' ? (['gateway', 'baseline'] as const) : (['baseline', 'gateway'] as const)) {
          const res = await pacedRun(urls[who], reqs[kind], paced);
          (who === 'gateway' ? g : b).push(res.latencyMs.p99);
          if (who === 'gateway') {
            p50.push(res.latencyMs.p50);
            k.errors += res.errors;
          }
        }
        log(
          `  ${kind} at ${rate} req/s (half the gateway max), round ${r + 1}/${s.p99Rounds}: gateway p99 ${g.at(-1)} ms, baseline p99 ${b.at(-1)} ms`,
        );
      }
      k.halfRate = {
        rate,
        gatewayP99Ms: g,
        baselineP99Ms: b,
        medianGatewayP99Ms: median(g),
        medianBaselineP99Ms: median(b),
        gatewayP50Ms: median(p50),
      };
    }
    const metrics = await (await fetch(`${gw.info.url}/metrics`)).text();
    out.rest.served = servedBy(metrics, 'GET', REST_PATH);
    out.graphql.served = servedBy(metrics, 'POST', '/graphql');
    return { settings: s, rest: out.rest, graphql: out.graphql, halfRateTool: 'wrk paced by its delay hook' };
  } finally {
    await base?.stop();
    await gw.stop();
  }
}

/** Totals from the gateway's own metrics: every 200 on the route, and those the cached-read lane answered. */
function servedBy(metrics: string, method: string, route: string): { requests: number; fromCache: number } {
  const find = (re: RegExp) => Number(re.exec(metrics)?.[1] ?? 0);
  const esc = route.replace(/[/.]/g, (c) => `\\${c}`);
  return {
    requests: find(new RegExp(`^kube_gateway_http_request_duration_seconds_count\\{method="${method}",route="${esc}",status="200"\\} (\\d+)`, 'm')),
    fromCache: find(new RegExp(`^kube_gateway_cached_reads_total\\{route="${esc}"\\} (\\d+)`, 'm')),
  };
}
