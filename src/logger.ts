import { pino } from 'pino';

export type Logger = pino.Logger;

/**
 * Structured JSON logs. Anything that could hold a credential is redacted by path as a second line of defence; the
 * first is that kubeconfigs and tokens are never passed to the logger at all.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'kube-gateway' },
      redact: {
        paths: [
          'req.headers.authorization',
          'headers.authorization',
          'authorization',
          'token',
          'kubeconfig',
          '*.kubeconfig',
          '*.token',
          'input.kubeconfig',
          'variables.input.kubeconfig',
          'connectionParams',
        ],
        censor: '[redacted]',
      },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
