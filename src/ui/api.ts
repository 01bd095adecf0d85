import { type Client, createClient } from 'graphql-ws/client';

/** A GraphQL error as the gateway reports it: its message and its `extensions.code` (UNAUTHENTICATED, NOT_FOUND …). */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
  /** For the page: the words, then the code a person can search for. */
  override toString(): string {
    return `${this.message} (${this.code})`;
  }
}

interface WireError {
  message: string;
  extensions?: { code?: string };
  path?: (string | number)[];
}
export interface Result<T> {
  data: T | null;
  /** Errors of single fields (say a cluster's metricsSummary) come with the rest of the data. */
  errors: ApiError[];
}

export type ConnectionState = 'connecting' | 'live' | 'reconnecting' | 'closed';

const toApiError = (e: WireError) => new ApiError(e.message, e.extensions?.code ?? 'INTERNAL_SERVER_ERROR');

/** graphql-ws close codes that mean "this token is not accepted" (gateway: src/graphql/ws.ts). */
const UNAUTHORIZED_CLOSE = 4401;
const TOO_MANY_AUTH_FAILURES = 4403;

export interface ApiOptions {
  token: string;
  /** The token was refused (expired, revoked, malformed): the page goes back to the sign-in form. */
  onUnauthenticated(error: ApiError): void;
  onConnection(state: ConnectionState): void;
}

/**
 * The dashboard's only way to the gateway: queries and mutations POSTed to /graphql, subscriptions over graphql-ws on
 * the same path, both with the signed-in token. The WebSocket is kept open and retried without end (with a capped
 * backoff), so the page reconnects by itself after the gateway restarts; active subscriptions resume, and the
 * gateway sends the current state first.
 */
export class Api {
  private readonly ws: Client;
  private everConnected = false;
  private readonly reconnectListeners = new Set<() => void>();

  constructor(private readonly opts: ApiOptions) {
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`;
    this.ws = createClient({
      url,
      lazy: false,
      connectionParams: { Authorization: `Bearer ${opts.token}` },
      retryAttempts: Number.POSITIVE_INFINITY,
      shouldRetry: (e) => !isRefusal(e),
      retryWait: (retries) => new Promise((r) => setTimeout(r, Math.min(500 * 2 ** retries, 4000))),
      keepAlive: 10_000,
      onNonLazyError: (e) => this.socketFailed(e),
      on: {
        connecting: () => opts.onConnection(this.everConnected ? 'reconnecting' : 'connecting'),
        connected: () => {
          opts.onConnection('live');
          if (this.everConnected) this.reconnectListeners.forEach((l) => l());
          this.everConnected = true;
        },
        closed: (e) => {
          if (isRefusal(e)) this.socketFailed(e);
          else opts.onConnection('reconnecting');
        },
      },
    });
  }

  /** Called after the WebSocket came back (the gateway restarted, the network returned): views refresh their lists. */
  onReconnect(listener: () => void): () => void {
    this.reconnectListeners.add(listener);
    return () => this.reconnectListeners.delete(listener);
  }

  /** A query or mutation; data and field errors together (a list stays usable when one field failed). */
  async query<T>(document: string, variables: Record<string, unknown> = {}): Promise<Result<T>> {
    let res: Response;
    try {
      res = await fetch('/graphql', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/graphql-response+json, application/json',
          authorization: `Bearer ${this.opts.token}`,
        },
        body: JSON.stringify({ query: document, variables }),
        credentials: 'omit',
      });
    } catch {
      throw new ApiError('the gateway cannot be reached', 'NETWORK_ERROR');
    }
    let body: { data?: T | null; errors?: WireError[] };
    try {
      body = (await res.json()) as typeof body;
    } catch {
      throw new ApiError(`the gateway answered HTTP ${res.status} without a GraphQL result`, `HTTP_${res.status}`);
    }
    const errors = (body.errors ?? []).map(toApiError);
    const refused = errors.find((e) => e.code === 'UNAUTHENTICATED');
    if (refused || res.status === 401) {
      const error = refused ?? new ApiError('the token was refused', 'UNAUTHENTICATED');
      this.opts.onUnauthenticated(error);
      throw error;
    }
    return { data: body.data ?? null, errors };
  }

  /** A query or mutation whose every field must succeed: the first error is thrown. */
  async request<T>(document: string, variables: Record<string, unknown> = {}): Promise<T> {
    const { data, errors } = await this.query<T>(document, variables);
    if (errors[0]) throw errors[0];
    if (!data) throw new ApiError('the gateway answered without data', 'INTERNAL_SERVER_ERROR');
    return data;
  }

  /** A subscription; returns its stop function. `onError` gets GraphQL errors (the socket itself reconnects). */
  subscribe<T>(document: string, variables: Record<string, unknown>, onData: (data: T) => void, onError: (error: ApiError) => void): () => void {
    return this.ws.subscribe<T>(
      { query: document, variables },
      {
        next: (result) => {
          if (result.errors?.length) onError(toApiError(result.errors[0] as WireError));
          else if (result.data) onData(result.data as T);
        },
        error: (err) => {
          if (Array.isArray(err)) onError(toApiError(err[0] as WireError));
          else if (!isRefusal(err)) onError(new ApiError(String((err as Error)?.message ?? err), 'SUBSCRIPTION_FAILED'));
        },
        complete: () => {},
      },
    );
  }

  dispose(): void {
    this.reconnectListeners.clear();
    // dispose() awaits the last connection attempt, which rejects (with its CloseEvent) when the gateway refused the
    // token: that refusal is already reported, so it must not surface again as an unhandled rejection.
    Promise.resolve(this.ws.dispose()).catch(() => {});
  }

  private socketFailed(e: unknown): void {
    this.opts.onConnection('closed');
    if (isRefusal(e)) {
      const reason = (e as CloseEvent).reason || 'the token was refused';
      this.opts.onUnauthenticated(new ApiError(reason, 'UNAUTHENTICATED'));
    }
  }
}

function isRefusal(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === UNAUTHORIZED_CLOSE || code === TOO_MANY_AUTH_FAILURES;
}
