import { describeHostileSweep } from './support/hostile-cluster-suite.js';

/**
 * Issue 11: API servers whose answers would exhaust memory (compression bombs, a 200,000-node list) or that are no
 * Kubernetes at all. Bodies are decompressed as a stream and capped by request kind (1 MiB for `/version` and a
 * `limit=1` count, 16 MiB for a page of nodes or pods), so the process grows by far less than the bomb, while the
 * background monitor keeps probing a healthy cluster on time and `/healthz` stays fast. Runs on every test driver.
 */
describeHostileSweep('hostile API servers that send too much', [
  { behaviour: 'gzip-bomb', status: 'error', message: /more than 1 MiB for one request/, perProbe: { '/api/v1/nodes': 0, '/api/v1/pods': 0 } },
  { behaviour: 'deflate-bomb', status: 'error', message: /more than 1 MiB for one request/, perProbe: { '/api/v1/nodes': 0, '/api/v1/pods': 0 } },
  { behaviour: 'br-bomb', status: 'error', message: /more than 1 MiB for one request/, perProbe: { '/api/v1/nodes': 0, '/api/v1/pods': 0 } },
  { behaviour: 'unknown-encoding', status: 'error', message: /unsupported Content-Encoding/, perProbe: { '/api/v1/nodes': 0, '/api/v1/pods': 0 } },
  {
    behaviour: 'huge-list',
    status: 'error',
    message: /listing nodes failed: .*more than 16 MiB/,
    perProbe: { '/api/v1/nodes': 1, '/api/v1/pods': 1 },
  },
  // Any JSON-200 endpoint: answers every path, but has no node list.
  { behaviour: 'not-kubernetes', status: 'error', message: /not a Kubernetes version/, perProbe: { '/api/v1/nodes': 0, '/api/v1/pods': 0 } },
]);
