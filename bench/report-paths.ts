/** BENCHMARKS.md sections of issue 18: uncached paths, fleet scale, memory, soak (rendered from bench/results.json). */
import type { Results } from './run.js';

const fmt = (x: number | undefined, digits = 1) =>
  x === undefined || !Number.isFinite(x) ? 'n/a' : Number(x.toFixed(digits)).toLocaleString('en-US');
const mark = (ok: boolean | undefined) => (ok === undefined ? '—' : ok ? '**met**' : '**not met**');
const table = (head: string[], rows: (string | number)[][]) =>
  [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');

/** Target rows for the summary table: ratio per path and database, p50 (PostgreSQL reads), p99 at half rate. */
export function pathTargets(r: Results): string[][] {
  const rows: string[][] = [];
  for (const p of r.paths?.paths ?? []) {
    const min = p.kind === 'read' ? 0.5 : 0.35;
    rows.push([
      `${p.id} (${p.database}) req/s ≥ ${min} × baseline`,
      `${fmt(p.medianRatio, 3)} (${fmt(p.medianGatewayRps, 0)} vs ${fmt(p.medianBaselineRps, 0)} req/s; wrk CPU ${fmt(p.medianLoadCpuPct, 0)} %)`,
      mark(p.medianRatio >= min),
    ]);
    if (p.kind === 'read' && p.database === 'postgres')
      rows.push([
        `${p.id} (postgres) p50 ≤ 1 ms at 10 connections, half rate`,
        `${fmt(p.halfRate.gatewayP50Ms, 2)} ms at ${p.halfRate.rate} req/s (at max rate ${fmt(p.gatewayP50Ms, 2)} ms)`,
        mark(p.halfRate.gatewayP50Ms <= 1),
      ]);
    rows.push([
      `${p.id} (${p.database}) p99 ≤ 10 ms at half max rate`,
      `${fmt(p.halfRate.gatewayP99Ms, 1)} ms (baseline ${fmt(p.halfRate.baselineP99Ms, 1)} ms)`,
      mark(p.halfRate.gatewayP99Ms <= 10),
    ]);
  }
  const m = r.memory;
  if (m) {
    const pgIdle = m.rows.find((x) => x.database === 'postgres' && x.state === 'idle');
    const emb = m.rows.find((x) => x.database === 'pglite' && x.state === 'clusters');
    if (pgIdle) rows.push(['Compiled gateway RSS idle on PostgreSQL ≤ 200 MB', `${fmt(pgIdle.rssMB)} MB`, mark(pgIdle.rssMB <= 200)]);
    if (emb)
      rows.push([
        `Compiled gateway RSS with ${emb.clusters} clusters, embedded ≤ 300 MB`,
        `${fmt(emb.rssMB)} MB (PGlite floor ${fmt(m.pgliteFloorMB)} MB)`,
        mark(emb.rssMB <= 300),
      ]);
  }
  if (r.fleetScale)
    rows.push([
      `Fleet scale: every cluster probed once per interval ±10 %, no double probes`,
      `${r.fleetScale.probes.onSchedule} on schedule, ${r.fleetScale.probes.late} late, ${r.fleetScale.probes.early} early, ${r.fleetScale.probes.missed} missed, ${r.fleetScale.probes.doubleProbes} double`,
      mark(r.fleetScale.passed),
    ]);
  if (r.soak)
    rows.push([
      `Soak (${r.soak.minutes} min) assertions`,
      Object.entries(r.soak.checks)
        .filter(([, ok]) => !ok)
        .map(([k]) => k)
        .join('; ') || 'all passed',
      mark(r.soak.passed),
    ]);
  return rows;
}

export function pathsSection(r: Results): string {
  const t = r.paths;
  if (!t) return '';
  const s = t.settings;
  const rows = t.paths.map((p) => [
    p.label,
    p.database,
    p.kind,
    `${fmt(p.bodyBytes / 1024, 1)} KiB`,
    fmt(p.medianBaselineRps, 0),
    fmt(p.medianGatewayRps, 0),
    `**${fmt(p.medianRatio, 3)}**`,
    p.rounds.map((x) => fmt(x.ratio, 3)).join(', '),
    p.rounds.map((x) => `${fmt(x.loadCpuPctBaseline, 0)} / ${fmt(x.loadCpuPctGateway, 0)}`).join(', '),
    p.rounds.map((x) => fmt(x.gatewayCpuPct, 0)).join(', '),
    `${fmt(p.gatewayP50Ms, 2)} / ${fmt(median(p.rounds.map((x) => x.baselineP50Ms)), 2)}`,
    `${p.halfRate.rate}: ${fmt(p.halfRate.gatewayP50Ms, 1)} / ${fmt(p.halfRate.gatewayP99Ms, 1)} (baseline ${fmt(p.halfRate.baselineP50Ms, 1)} / ${fmt(p.halfRate.baselineP99Ms, 1)})`,
  ]);
  return `## 1b. Uncached paths against a same-driver baseline (${s.clusters} clusters)

Load generator: ${t.loadGenerator}; ${s.connections} connections, ${s.rounds} round(s) × ${s.durationSec} s per server, baseline and gateway
alternating; each round's ratio is gateway ÷ baseline of that round. Gateway (\`bench/gateway-server.ts\`) and baseline
(\`bench/path-baseline.ts\`: raw \`node:http\`, the same statement with the same driver on the same rows, the gateway's
bytes) are both on the server CPU, wrk on the load CPU. "wrk CPU" is the load generator's share of its core while driving the
baseline / the gateway: far below 100 % means the ratio measures the servers, not the client. "gateway CPU" is the gateway
process's share of its core (≈ 100: the gateway was the bottleneck). The proxy path's baseline is the simulated cluster
itself, straight (it also runs on the server CPU). Half rate: ${s.halfRateSec} s at half the gateway's median maximum with autocannon
\`overallRate\` (latencies corrected for coordinated omission), gateway p50 / p99 and baseline p50 / p99 in ms.

${table(['path', 'database', 'kind', 'body', 'baseline req/s', 'gateway req/s', 'ratio', 'ratio per round', 'wrk CPU % (baseline / gateway)', 'gateway CPU %', 'p50 at max, gateway / baseline (ms)', 'half rate (req/s): p50 / p99 (ms)'], rows)}
`;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2) : NaN;
};

export function fleetSection(r: Results): string {
  const f = r.fleetScale;
  if (!f) return '';
  const s = f.settings;
  return `## 8. Fleet scale (${s.clusters.toLocaleString('en-US')} clusters, ${s.replicas} replicas on one PostgreSQL, HEALTH_CHECK_INTERVAL ${s.intervalSec} s)

\`npm run bench -- --fleet-scale\`: compiled replicas (\`bench/fleet-replica.mjs\`), the simulator on the load CPU; after one warm-up
interval, ${s.intervals} interval(s) (${f.windowSec} s) measured from the simulator's own request log (each probe begins with \`GET /version\`).
${s.flapping} clusters flap every 20 s; ${s.subscribers} \`clusterHealth\` subscribers spread over the replicas.

${table(
  [
    'probes in the window',
    'gaps on schedule (±10 %)',
    'late',
    'early',
    'double (< ½ interval)',
    'clusters never probed',
    'gap p1 / p50 / p99 (s)',
    'gap min / max (s)',
  ],
  [
    [
      f.probes.total,
      f.probes.onSchedule,
      f.probes.late,
      f.probes.early,
      f.probes.doubleProbes,
      f.probes.missed,
      `${fmt(f.probes.gapP1Sec, 1)} / ${fmt(f.probes.gapP50Sec, 1)} / ${fmt(f.probes.gapP99Sec, 1)}`,
      `${fmt(f.probes.gapMinSec, 1)} / ${fmt(f.probes.gapMaxSec, 1)}`,
    ],
  ],
)}

${table(
  ['process', 'CPU % of one core', 'run-queue wait % of the window', 'RSS mean / peak (MB)'],
  [
    ...f.replicas.map((x) => [x.name, fmt(x.cpuPct), fmt(x.runQueueWaitPct), `${fmt(x.meanRssMB)} / ${fmt(x.peakRssMB)}`]),
    ['simulator (every cluster)', fmt(f.simCpuPct), fmt(f.simRunQueueWaitPct), '—'],
  ],
)}

Run-queue wait is the time a process was ready to run but waited for a core (/proc/<pid>/schedstat): a low CPU share beside
a high wait is a starved process, not an idle one. Load average (1 min) at the window's start / end: ${f.loadAverage?.join(' / ') ?? 'n/a'}.

During the sweeps: filtered list (\`clusters(filter: {labelSelector: "env=prod", healthStatus: [HEALTHY, WARNING]}, first: 50)\`, one at a
time, replicas in turn) p50 **${fmt(f.filteredList.p50Ms, 1)} ms**, p99 ${fmt(f.filteredList.p99Ms, 1)} ms (${f.filteredList.requests} requests, ${f.filteredList.errors} errors);
\`clusterHealth\` fan-out, transition written → subscriber: p50 ${fmt(f.fanout.p50Ms, 0)} ms, p99 **${fmt(f.fanout.p99Ms, 0)} ms**, max ${fmt(f.fanout.maxMs, 0)} ms (${f.fanout.deliveries} deliveries).
`;
}

export function memorySection(r: Results): string {
  const m = r.memory;
  if (!m) return '';
  return `## 9. Memory of the compiled gateway

\`node dist/…\` (\`bench/fleet-replica.mjs\`), health monitor on, idle and with the clusters answering (one sweep done, the list
cached). Floors: a bare \`node\` process ${fmt(m.nodeFloorMB)} MB; a bare node process holding an open PGlite on a migrated data directory
(its WebAssembly memory and the module) ${fmt(m.pgliteFloorMB)} MB. The rest is the gateway: V8 heap (code, schema, caches) and external
buffers, shown beside RSS.

${table(
  [
    'database',
    'node flags',
    'state',
    'RSS (MB)',
    'V8 heap used / reserved (MB)',
    'code (MB)',
    'external (MB)',
    'of which WebAssembly (MB)',
    'RSS above the floor (MB)',
  ],
  m.rows.map((x) => [
    x.database,
    x.nodeFlags ? `\`${x.nodeFlags}\`` : 'none',
    x.state === 'idle' ? 'idle' : `${x.clusters} clusters`,
    fmt(x.rssMB),
    `${fmt(x.heapUsedMB)} / ${fmt(x.heapTotalMB)}`,
    fmt(x.codeMB),
    fmt(x.externalMB),
    fmt(x.wasmMB),
    fmt(x.rssMB - (x.database === 'pglite' ? m.pgliteFloorMB : m.nodeFloorMB)),
  ]),
)}

Heap figures are read after a forced GC. RSS above the heap in use is mostly memory V8 took while the modules loaded
(its young generation grows to 128 MB during start-up: drizzle-orm's schema building and @kubernetes/client-node's
module graph allocate that much short-lived garbage) and does not hand back to the operating system.
\`--max-semi-space-size=16\` bounds that growth.
`;
}

export function soakSection(r: Results): string {
  const s = r.soak;
  if (!s) return '';
  return `## 10. Soak (${s.minutes} min)

\`npm run bench -- --soak [--soak-minutes N]\`: ${s.clusters} clusters (10 % flapping every 20 s), two compiled replicas on one
PostgreSQL (the second SIGKILLed and restarted ${s.restarts} time(s)), a webhook receiver answering 503 a third of the time
(${s.webhooks.refusedWhileDown} refusals), ${s.subscribers.count} \`clusterHealth\` subscribers (${s.subscribers.pushes} pushes), a C4 write every second. Webhook
retries use a compressed schedule (3 … 96 s): the shipped delays (30 s … 16 min) are multiples of the receiver's 30 s
outage cycle, so every retry would land in an outage, and their tail is longer than the run.

${table(
  ['check', 'figures', 'status'],
  Object.entries(s.checks).map(([check, ok]) => [check, soakFigure(s, check), mark(ok)]),
)}

Replicas' node flags: ${s.nodeFlags ? `\`${s.nodeFlags}\`` : 'none (V8 defaults)'}. C4 writes (one at a time, a second apart): answer time p50 ${fmt(s.writes.p50Ms, 0)} ms,
max ${fmt(s.writes.maxMs, 0)} ms. Survivor memory after a forced GC: cold ${fmt(s.survivor.rssColdMB)} MB RSS; V8 heap reserved
${fmt(s.survivor.heapTotalBaselineMB)} → ${fmt(s.survivor.heapTotalAfterMB)} MB, external ${fmt(s.survivor.externalBaselineMB)} → ${fmt(s.survivor.externalAfterMB)} MB.
`;
}

/** The figures behind one soak check, chosen by what the check is about. */
function soakFigure(s: NonNullable<Results['soak']>, check: string): string {
  if (check.includes('transition')) return `${s.transitions.recorded} transitions, ${s.transitions.duplicates} repeated`;
  if (check.includes('webhook'))
    return `${s.webhooks.succeeded} / ${s.webhooks.deliveries} succeeded, ${s.webhooks.missing} never received (${s.webhooks.receivedDistinct} distinct received, ${s.webhooks.refusedWhileDown} refused while down)`;
  if (check.includes('audit'))
    return `${s.writes.audited} audit entries for ${s.writes.acknowledged} acknowledged writes (${s.writes.failed} refused/failed)`;
  if (check.includes('discovery')) return `${s.discovery.unfinished} pending or running`;
  if (check.startsWith('RSS')) return `${fmt(s.survivor.rssBaselineMB)} → ${fmt(s.survivor.rssAfterMB)} MB`;
  if (check.startsWith('V8 heap')) return `${fmt(s.survivor.heapBaselineMB)} → ${fmt(s.survivor.heapAfterMB)} MB`;
  if (check.startsWith('sockets')) return `${s.survivor.socketsBaseline} → ${s.survivor.socketsAfter}`;
  return '';
}
