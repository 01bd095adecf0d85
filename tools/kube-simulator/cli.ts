/**
 * Starts a simulator and writes its kubeconfig, for demos and manual poking with kubectl:
 *
 *   npx tsx tools/kube-simulator/cli.ts --nodes 3 --pods 1000 --kubeconfig /tmp/sim.kubeconfig
 *   kubectl --kubeconfig /tmp/sim.kubeconfig get nodes
 *
 * Runs until SIGINT / SIGTERM.
 */
import { parseArgs } from 'node:util';
import { KubeSimulator } from './index.js';

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '3' },
    'not-ready': { type: 'string', default: '0' },
    pods: { type: 'string', default: '10' },
    'git-version': { type: 'string' },
    'latency-ms': { type: 'string', default: '0' },
    port: { type: 'string', default: '0' },
    auth: { type: 'string', default: 'token' },
    kubeconfig: { type: 'string' },
  },
});

const sim = await KubeSimulator.start({
  port: Number(values.port),
  nodes: Number(values.nodes),
  notReadyNodes: Number(values['not-ready']),
  pods: Number(values.pods),
  latencyMs: Number(values['latency-ms']),
  ...(values['git-version'] ? { gitVersion: values['git-version'] } : {}),
});
const auth = values.auth === 'cert' ? 'cert' : 'token';
if (values.kubeconfig) await sim.writeKubeconfig(values.kubeconfig, { auth });
else process.stdout.write(sim.kubeconfig({ auth }));
console.error(`kube-simulator listening on ${sim.url}${values.kubeconfig ? `, kubeconfig written to ${values.kubeconfig}` : ''}`);

const stop = (): void => {
  void sim.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
