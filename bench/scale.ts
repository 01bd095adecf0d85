/**
 * Issue item 3: list latency and bytes for 10, 100, 1,000 and 10,000 clusters, REST and GraphQL, each against the
 * baseline replaying the same bytes; and database round-trips per list request, counted by the gateway child's PGlite
 * proxy (bench/gateway-server.ts --count-queries). One gateway process grows from size to size.
 *
 * Round-trips are reported three ways: steady state (cached list, 10 sequential requests), sustained (over a whole
 * load run, which includes the list cache's 5 s TTL refills), and the first / second list after a change (a C4 rename
 * of one cluster). The assertion: the first list after a change costs the same number of round-trips at every size,
 * and a cached list costs none beyond the cache's time-driven TTL refills.
 */
import { ask, median, round, sleep } from './lib.js';
import { KINDS, type Kind, bodyBytes, capture, load, requestOf, startBaselineChild, startGatewayChild, timed } from './targets.js';

const CACHED_WINDOW = 10;
/** The list cache's safety-net TTL (src/clusters/cluster-list-cache.ts): one reload per expiry is time-driven, not per request. */
const CACHE_TTL_MS = 5_000;

export interface ScaleSettings {
  sizes: number[];
  /** Load runs per size and kind (gateway and baseline alternate). */
  rounds: number;
  durationSec: number;
  /** Changes (renames) per size and kind for the "after a change" numbers. */
  changes: number;
}

export interface ScalePoint {
  clusters: number;
  kinds: Record<
    Kind,
    {
      bodyBytes: number;
      cachedP50Ms: number;
      cachedP99Ms: number;
      cachedRps: number;
      baselineP50Ms: number;
      baselineP99Ms: number;
      baselineRps: number;
      rpsRatio: number;
      afterChangeMs: number;
      roundTrips: {
        cachedPerRequest: number;
        cachedWindowMs: number;
        sustainedPerRequest: number;
        firstAfterChange: number[];
        secondAfterChange: number[];
      };
    }
  >;
}

export interface ScaleResult {
  settings: ScaleSettings;
  points: ScalePoint[];
  /** What the round-trips of the first list after a change were (at the smallest size). */
  statementsFirstAfterChange: Partial<Record<Kind, string[]>>;
  assertion: { passed: boolean; detail: string };
}

export async function runScale(s: ScaleSettings, log: (m: string) => void): Promise<ScaleResult> {
  const gw = await startGatewayChild(s.sizes[0]!, { countQueries: true });
  const queries = async () => (await ask<{ count: number }>(gw.child, 'queries')).count;
  const recentStatements = async () => (await ask<{ recent: string[] }>(gw.child, 'queries')).recent;
  const reqs = { rest: requestOf('rest', gw.info.adminToken), graphql: requestOf('graphql', gw.info.adminToken) };
  const base = await startBaselineChild([]);
  const points: ScalePoint[] = [];
  const statements: Partial<Record<Kind, string[]>> = {};
  let renames = 0;
  const change = async () => {
    const name = `bench-renamed-${renames++}`;
    const res = await fetch(`${gw.info.url}/api/v1/k8s/clusters/${gw.info.firstId}`, {
      method: 'PUT',
      headers: { ...reqs.rest.headers, 'content-type': 'application/json' },
      body: JSON.stringify({ name }),
    });
    if (res.status !== 200) throw new Error(`C4 rename answered ${res.status}: ${await res.text()}`);
    // Let the NOTIFY of the change arrive (it invalidates the cache once more) before the measured list.
    await new Promise((r) => setTimeout(r, 30));
  };
  try {
    for (const n of s.sizes) {
      const seeded = await ask<{ error?: string; seedMs?: number }>(gw.child, 'seed', { count: n });
      if (seeded.error) throw new Error(seeded.error);
      const captured = { rest: await capture(gw.info.url, reqs.rest), graphql: await capture(gw.info.url, reqs.graphql) };
      await base.setRoutes([captured.rest, captured.graphql]);
      const point = { clusters: n, kinds: {} } as ScalePoint;
      for (const kind of KINDS) {
        const req = reqs[kind];
        // Steady state: the list is cached.
        await timed(gw.info.url, req);
        let q = await queries();
        const windowStart = performance.now();
        for (let i = 0; i < CACHED_WINDOW; i++) await timed(gw.info.url, req);
        const cachedWindowMs = performance.now() - windowStart;
        const cachedPerRequest = ((await queries()) - q) / CACHED_WINDOW;
        // After a change: first and second list.
        const first: number[] = [];
        const second: number[] = [];
        const afterMs: number[] = [];
        for (let i = 0; i < s.changes; i++) {
          await change();
          q = await queries();
          const t = await timed(gw.info.url, req);
          if (t.status !== 200) throw new Error(`${kind} list answered ${t.status}`);
          afterMs.push(t.ms);
          const q1 = await queries();
          first.push(q1 - q);
          if (!statements[kind]) statements[kind] = (await recentStatements()).slice(-(q1 - q));
          await timed(gw.info.url, req);
          second.push((await queries()) - q1);
        }
        // Latency and rate under load (one connection: latency of a lone client; no queueing).
        const g: { p50: number; p99: number; rps: number }[] = [];
        const b: { p50: number; p99: number; rps: number }[] = [];
        let sustainedQueries = 0;
        let sustainedRequests = 0;
        for (let r = 0; r < s.rounds; r++) {
          for (const who of r % 2 === 0 ? (['baseline', 'gateway'] as const) : (['gateway', 'baseline'] as const)) {
            const before = who === 'gateway' ? await queries() : 0;
            const res = await load(who === 'gateway' ? gw.info.url : base.info.url, req, {
              connections: 1,
              duration: s.durationSec * durationFor(n),
            });
            // A request still in flight when the load stopped must not land in the next counting window.
            await timed(gw.info.url, req);
            await sleep(100);
            const row = { p50: res.latencyMs.p50, p99: res.latencyMs.p99, rps: res.rps };
            if (who === 'gateway') {
              sustainedQueries += (await queries()) - before;
              sustainedRequests += res.requests;
              g.push(row);
            } else b.push(row);
          }
        }
        const k = {
          bodyBytes: bodyBytes(captured[kind]),
          cachedP50Ms: median(g.map((x) => x.p50)),
          cachedP99Ms: median(g.map((x) => x.p99)),
          cachedRps: round(median(g.map((x) => x.rps)), 0),
          baselineP50Ms: median(b.map((x) => x.p50)),
          baselineP99Ms: median(b.map((x) => x.p99)),
          baselineRps: round(median(b.map((x) => x.rps)), 0),
          rpsRatio: round(median(g.map((x) => x.rps)) / median(b.map((x) => x.rps)), 3),
          afterChangeMs: round(median(afterMs), 1),
          roundTrips: {
            cachedPerRequest,
            cachedWindowMs: round(cachedWindowMs, 0),
            sustainedPerRequest: round(sustainedQueries / Math.max(1, sustainedRequests), 5),
            firstAfterChange: first,
            secondAfterChange: second,
          },
        };
        point.kinds[kind] = k;
        log(
          `  ${n} clusters, ${kind}: ${k.bodyBytes} B; cached p50 ${k.cachedP50Ms} ms (baseline ${k.baselineP50Ms} ms), ${k.cachedRps} req/s (ratio ${k.rpsRatio}); ` +
            `after a change ${k.afterChangeMs} ms; round-trips cached ${cachedPerRequest}, first after change ${first.join('/')}, second ${second.join('/')}`,
        );
      }
      points.push(point);
    }
  } finally {
    await base.stop();
    await gw.stop();
  }
  return { settings: s, points, statementsFirstAfterChange: statements, assertion: assertConstant(points) };
}

/** Large lists get longer runs so enough requests complete to have a p99. */
const durationFor = (n: number) => (n >= 10_000 ? 4 : n >= 1_000 ? 2 : 1);

function assertConstant(points: ScalePoint[]): { passed: boolean; detail: string } {
  const problems: string[] = [];
  for (const kind of KINDS) {
    const firsts = new Set(points.flatMap((p) => p.kinds[kind].roundTrips.firstAfterChange));
    if (firsts.size !== 1) problems.push(`${kind}: first list after a change took ${[...firsts].join(', ')} round-trips across sizes`);
    for (const p of points) {
      const rt = p.kinds[kind].roundTrips;
      // A window of W ms may see floor(W / TTL) + 1 expiries (the cache may be just short of its TTL at the start).
      const allowed = (Math.floor(rt.cachedWindowMs / CACHE_TTL_MS) + 1) * Math.max(...rt.firstAfterChange);
      if (rt.cachedPerRequest * CACHED_WINDOW > allowed) {
        problems.push(
          `${kind} at ${p.clusters}: ${CACHED_WINDOW} cached lists took ${rt.cachedPerRequest * CACHED_WINDOW} round-trips in ${rt.cachedWindowMs} ms (TTL refills explain ${allowed})`,
        );
      }
    }
  }
  const first = points[0]?.kinds.rest.roundTrips.firstAfterChange[0];
  return problems.length
    ? { passed: false, detail: problems.join('; ') }
    : {
        passed: true,
        detail: `constant: ${first} round-trip(s) for the first list after a change and none per cached list (beyond ${CACHE_TTL_MS / 1000} s TTL refills), at every size`,
      };
}
