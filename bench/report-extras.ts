/**
 * BENCHMARKS.md sections of the scripts that also run alone (issue 13's proxy, issue 14's import plan and filtered
 * list): their result shapes, as each script prints them, and how they render.
 */
import type { Results } from './run.js';

/** One round of bench/proxy.ts's list load, direct and through the gateway (ms for the latencies). */
export interface ProxyListRound {
  directRps: number;
  gatewayRps: number;
  ratio: number;
  directP50: number;
  gatewayP50: number;
  directP99: number;
  gatewayP99: number;
  errors: number;
}

export interface ProxyResult {
  list: {
    rounds: ProxyListRound[];
    medianRatio: number;
    addedP50Ms: number;
    addedP99Ms: number;
    oneAtATime: { directP50Ms: number; gatewayP50Ms: number; directP99Ms: number; gatewayP99Ms: number };
  };
  watches: {
    count: number;
    events: number;
    direct: { rssAddedMiB: number; delivered: number; p50: number; p99: number };
    gateway: { rssAddedMiB: number; delivered: number; p50: number; p99: number };
    addedDeliveryP99Ms: number;
  };
}

export interface ImportPlanResult {
  contexts: number;
  latencyMs: number;
  kubeconfigBytes: number;
  reachable: number;
  wallMs: number;
  cpuMs: number;
  targetMs: number;
  pass: boolean;
}

interface Timing {
  p50Ms: number;
  p99Ms: number;
  bodyBytes: number;
}

export interface FleetFilterResult {
  clusters: number;
  seedMs: number;
  selector: string;
  healthStatus: string[];
  matches: number;
  filteredFirst50: Timing;
  filteredFirst50Page2: Timing;
  unfilteredCachedList: Timing;
  requests: number;
  targetFilteredP50Ms: number;
  targetMet: boolean;
}

const fmt = (x: number | undefined, digits = 1) =>
  x === undefined || !Number.isFinite(x) ? 'n/a' : Number(x.toFixed(digits)).toLocaleString('en-US');
const mark = (ok: boolean) => (ok ? '**met**' : '**not met**');

export function extraTargets(r: Results): string[][] {
  const rows: string[][] = [];
  const p = r.proxy;
  if (p) {
    rows.push(
      [
        'Proxy: list of 100 pods req/s ≥ 0.7 × direct (16 connections)',
        `${fmt(p.list.medianRatio, 3)} (rounds ${p.list.rounds.map((x) => fmt(x.ratio, 2)).join(', ')})`,
        mark(p.list.medianRatio >= 0.7),
      ],
      [
        'Proxy: added p50 ≤ 1 ms, one request at a time',
        `+${fmt(p.list.oneAtATime.gatewayP50Ms - p.list.oneAtATime.directP50Ms, 2)} ms (${fmt(p.list.oneAtATime.directP50Ms, 2)} → ${fmt(p.list.oneAtATime.gatewayP50Ms, 2)} ms)`,
        mark(p.list.oneAtATime.gatewayP50Ms - p.list.oneAtATime.directP50Ms <= 1),
      ],
      [
        `Proxy: watch event delivery p99 ≤ 50 ms added (${p.watches.count.toLocaleString('en-US')} watches held)`,
        `+${fmt(p.watches.addedDeliveryP99Ms, 0)} ms (${fmt(p.watches.direct.p99, 0)} → ${fmt(p.watches.gateway.p99, 0)} ms)`,
        mark(p.watches.addedDeliveryP99Ms <= 50),
      ],
    );
  }
  if (r.importPlan)
    rows.push([
      `Import plan of ${r.importPlan.contexts} contexts ≤ 5 s`,
      `${fmt(r.importPlan.wallMs / 1000, 2)} s (${r.importPlan.reachable}/${r.importPlan.contexts} reachable)`,
      mark(r.importPlan.pass),
    ]);
  if (r.fleetFilter)
    rows.push([
      `Filtered list at ${r.fleetFilter.clusters.toLocaleString('en-US')} clusters (PostgreSQL) p50 ≤ ${r.fleetFilter.targetFilteredP50Ms} ms`,
      `${fmt(r.fleetFilter.filteredFirst50.p50Ms, 1)} ms`,
      mark(r.fleetFilter.targetMet),
    ]);
  return rows;
}

export function proxySection(r: Results): string {
  const p = r.proxy;
  if (!p) return '';
  const s = r.settings.proxy;
  return `## 1c. Kubernetes API proxy (kubectl-style: HTTPS, keep-alive, an issued kubeconfig's token)

\`bench/proxy.ts\` (${s ? `${s.rounds} rounds × ${s.seconds} s, ${s.watches.toLocaleString('en-US')} watches` : 'defaults'}): the same requests straight to the simulated cluster and through the
gateway; the gateway alone on the server CPU, the simulator and the client on the other.

| round | direct req/s | gateway req/s | ratio | p50 direct / gateway (ms) | p99 direct / gateway (ms) | errors |
|---|---|---|---|---|---|---|
${p.list.rounds.map((x, i) => `| ${i + 1} | ${fmt(x.directRps, 0)} | ${fmt(x.gatewayRps, 0)} | ${fmt(x.ratio, 3)} | ${fmt(x.directP50, 2)} / ${fmt(x.gatewayP50, 2)} | ${fmt(x.directP99, 2)} / ${fmt(x.gatewayP99, 2)} | ${x.errors} |`).join('\n')}

One request at a time: p50 ${fmt(p.list.oneAtATime.directP50Ms, 2)} → ${fmt(p.list.oneAtATime.gatewayP50Ms, 2)} ms, p99 ${fmt(p.list.oneAtATime.directP99Ms, 2)} → ${fmt(p.list.oneAtATime.gatewayP99Ms, 2)} ms.
${p.watches.count.toLocaleString('en-US')} watches held: gateway RSS +${fmt(p.watches.gateway.rssAddedMiB)} MiB; ${p.watches.events} events each, delivered
${p.watches.direct.delivered} direct / ${p.watches.gateway.delivered} through the gateway; delivery p50 / p99 ${fmt(p.watches.direct.p50, 0)} / ${fmt(p.watches.direct.p99, 0)} ms direct,
${fmt(p.watches.gateway.p50, 0)} / ${fmt(p.watches.gateway.p99, 0)} ms through the gateway.
`;
}

export function fleetExtrasSection(r: Results): string {
  const i = r.importPlan;
  const f = r.fleetFilter;
  if (!i && !f) return '';
  return `## 1d. Fleet import and filtered list

${
  i
    ? `Import plan (\`bench/import-plan.ts\`): ${i.contexts} contexts (${fmt(i.kubeconfigBytes / 1024, 0)} KiB of kubeconfig) against simulated API servers answering after
${i.latencyMs} ms each, planned over GraphQL in ${fmt(i.wallMs / 1000, 2)} s wall (${fmt(i.cpuMs / 1000, 2)} s CPU, gateway and simulator in one process), ${i.reachable}/${i.contexts} reachable.
`
    : ''
}${
  f
    ? `
Filtered list (\`bench/fleet-filter.ts\`, PostgreSQL, ${f.clusters.toLocaleString('en-US')} clusters seeded in ${fmt(f.seedMs / 1000, 1)} s; \`${f.selector}\` and health
${f.healthStatus.join('/')}, ${f.matches.toLocaleString('en-US')} matches; ${f.requests} requests one at a time):

| query | p50 (ms) | p99 (ms) | body |
|---|---|---|---|
| filtered, first 50 | ${fmt(f.filteredFirst50.p50Ms)} | ${fmt(f.filteredFirst50.p99Ms)} | ${fmt(f.filteredFirst50.bodyBytes / 1024)} KiB |
| filtered, first 50, page 2 (cursor) | ${fmt(f.filteredFirst50Page2.p50Ms)} | ${fmt(f.filteredFirst50Page2.p99Ms)} | ${fmt(f.filteredFirst50Page2.bodyBytes / 1024)} KiB |
| unfiltered list (cached) | ${fmt(f.unfilteredCachedList.p50Ms)} | ${fmt(f.unfilteredCachedList.p99Ms)} | ${fmt(f.unfilteredCachedList.bodyBytes / 1024)} KiB |
`
    : ''
}`;
}
