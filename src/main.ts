import { runCli } from './cli/main.js';

/**
 * `node dist/main.js` (the container's command) and `npm start`: the same as `kube-gateway start`, kept as its own
 * entry point so PID 1 is the gateway itself and receives SIGTERM.
 */
await runCli(['start']);
