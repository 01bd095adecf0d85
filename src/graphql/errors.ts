import { type GraphQLFormattedError, GraphQLError } from 'graphql';
import { isConnectionError } from '../db/errors.js';
import { ReadOnlyError } from '../access/read-only.js';
import { ClusterUnreachableError, DomainError, PrometheusNotConfiguredError, PrometheusUnreachableError, ValidationError } from '../errors.js';
import type { Logger } from '../logger.js';

const REQUEST_ID = Symbol('requestId');

/** Remembers which request an error belongs to, so the masked message can quote its id. */
export function tagWithRequestId(error: GraphQLError, requestId: string): void {
  (error as unknown as Record<symbol, string>)[REQUEST_ID] = requestId;
}

/**
 * The one mapping from errors to GraphQL `extensions.code`. Domain errors keep their message; anything else is masked
 * as INTERNAL_SERVER_ERROR and logged with the request id (the log has the detail, the client gets the id).
 */
export function formatGraphQLError(logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = error instanceof GraphQLError ? (error.originalError ?? undefined) : (error as Error | undefined);
    const requestId = error instanceof GraphQLError ? (error as unknown as Record<symbol, string>)[REQUEST_ID] : undefined;
    if (original instanceof DomainError) {
      return {
        message: original.message,
        locations: formatted.locations,
        path: formatted.path,
        extensions: {
          code: original.code,
          ...(original instanceof ValidationError ? { field: original.field } : {}),
          ...(original instanceof ClusterUnreachableError || original instanceof PrometheusUnreachableError || original instanceof ReadOnlyError
            ? { reason: original.reason }
            : {}),
          ...(original instanceof PrometheusNotConfiguredError ? { discoveryState: original.discoveryState.toUpperCase() } : {}),
        },
      };
    }
    if (original && !(original instanceof GraphQLError)) {
      if (isConnectionError(original)) {
        return { message: 'the database is unavailable; try again shortly', path: formatted.path, extensions: { code: 'SERVICE_UNAVAILABLE' } };
      }
      logger.error({ err: original, requestId, path: formatted.path }, 'unexpected error in GraphQL operation');
      return {
        message: `Internal server error (request id ${requestId ?? 'unknown'})`,
        path: formatted.path,
        extensions: { code: 'INTERNAL_SERVER_ERROR', requestId },
      };
    }
    return formatted;
  };
}
