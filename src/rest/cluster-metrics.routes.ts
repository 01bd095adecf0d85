import { Router, type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import type { RequestContext } from '../auth/principal.js';
import type { ClusterMetricsManager, ClusterMetricsView, MetricSeriesView } from '../cluster-metrics/cluster-metrics.manager.js';
import { METRICS_RANGES, SERIES, type SeriesName } from '../cluster-metrics/metric-queries.js';
import { ValidationError } from '../errors.js';
import { restTime } from './cluster.rest.js';
import { send } from './envelope.js';
import { NO_STORE, restTimeSchema } from './responses.js';
import { BASE } from './router.js';

const time = restTimeSchema;
const seriesSchema = z.object({
  name: z.string(),
  unit: z.enum(['percent', 'pods', 'bytes/s']),
  samples: z.array(z.object({ t: time, v: z.number() })),
  error: z.string().nullable().describe('why this series alone has no samples; the others still answered'),
});

const SNAKE: Record<SeriesName, string> = {
  cpuUsagePercent: 'cpu_usage_percent',
  memoryUsagePercent: 'memory_usage_percent',
  podsRunning: 'pods_running',
  networkReceiveBytesPerSecond: 'network_receive_bytes_per_second',
  networkTransmitBytesPerSecond: 'network_transmit_bytes_per_second',
};

/** `GET …/clusters/:id/metrics` data: the range, its step and one series per metric (snake_case names). */
export const clusterMetricsSchema = z.object({
  cluster_id: z.number().int(),
  source: z.string().describe('the Prometheus URL the series came from'),
  range: z.enum(METRICS_RANGES),
  step_seconds: z.number().int(),
  start: time,
  end: time,
  series: z.object(Object.fromEntries(SERIES.map((s) => [SNAKE[s.name], seriesSchema])) as Record<string, typeof seriesSchema>),
});
type RestClusterMetrics = z.infer<typeof clusterMetricsSchema>;

const toRestSeries = (s: MetricSeriesView): z.infer<typeof seriesSchema> => ({
  name: SNAKE[s.name],
  unit: s.unit,
  samples: s.samples.map((p) => ({ t: restTime(p.t)!, v: p.v })),
  error: s.error,
});

function toRestMetrics(clusterId: number, m: ClusterMetricsView): RestClusterMetrics {
  return {
    cluster_id: clusterId,
    source: m.source,
    range: m.range,
    step_seconds: m.stepSeconds,
    start: restTime(m.start)!,
    end: restTime(m.end)!,
    series: Object.fromEntries(SERIES.map((s) => [SNAKE[s.name], toRestSeries(m[s.name])])),
  };
}

/** Cluster metrics over REST: the same manager GraphQL's `Cluster.metrics` calls. */
export function clusterMetricsRouter(deps: { clusterMetrics: ClusterMetricsManager; context(req: Request): RequestContext }): Router {
  const router = Router();
  router.get(`${BASE}/clusters/:id/metrics`, (req: Request, res: Response, next: NextFunction) => {
    const run = async () => {
      res.setHeader('Cache-Control', NO_STORE);
      const id = req.params.id;
      if (typeof id !== 'string') throw new ValidationError('id', 'is required');
      const metrics = await deps.clusterMetrics.range(deps.context(req), id, req.query.range, req.query.step);
      send(res, 200, 'success', toRestMetrics(Number(id), metrics));
    };
    run().catch(next);
  });
  return router;
}
