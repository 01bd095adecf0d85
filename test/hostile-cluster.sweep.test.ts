import { describeHostileSweep, PROBE_DEADLINE_MS } from './support/hostile-cluster-suite.js';
import { MAX_LIST_PAGES } from '../src/kube/probe.js';

/**
 * Issue 11: API servers that never let a probe end (endless or repeated continue tokens, slow pages, a 101 answer,
 * a body that drips or streams forever). Each is bounded (pages, the request timeout, the whole-probe deadline) and
 * recorded with its reason, while the background monitor keeps probing a healthy cluster on time and `/healthz` stays
 * fast. Runs on every test driver: the sweep claims and records its work in the database.
 */
describeHostileSweep('hostile API servers that never end a probe', [
  // 1 request with limit=1, then at most MAX_LIST_PAGES pages.
  {
    behaviour: 'endless-continue',
    status: 'error',
    message: new RegExp(`listing pods failed: .*did not end within ${MAX_LIST_PAGES} pages`),
    perProbe: { '/api/v1/pods': MAX_LIST_PAGES + 1, '/api/v1/nodes': 1 },
  },
  { behaviour: 'repeated-continue', status: 'error', message: /listing pods failed: .*repeated a continue token/, perProbe: { '/api/v1/pods': 2 } },
  // Each page in time on its own; together past the whole-probe deadline, which cuts the probe short.
  {
    behaviour: 'slow-pages',
    status: 'unavailable',
    message: new RegExp(`listing pods failed: .*within the ${PROBE_DEADLINE_MS} ms probe deadline`),
    perProbe: { '/api/v1/pods': MAX_LIST_PAGES + 1 },
  },
  { behaviour: 'upgrade', status: 'error', message: /101 Switching Protocols/, perProbe: { '/api/v1/pods': 0, '/api/v1/nodes': 0 } },
  { behaviour: 'slow-drip', status: 'unavailable', message: /did not answer in time/, perProbe: { '/api/v1/pods': 0, '/api/v1/nodes': 0 } },
  { behaviour: 'endless-stream', status: 'error', message: /more than 1 MiB for one request/, perProbe: { '/api/v1/pods': 0, '/api/v1/nodes': 0 } },
]);
