import { signBody } from './webhook-payload.js';

/** What one POST to a receiver came to: an HTTP status, or why there is none. */
export interface SendResult {
  ok: boolean;
  status: number | null;
  error: string | null;
}

export interface SendRequest {
  url: string;
  body: string;
  secret: string;
  event: string;
  deliveryId: number;
  attempt: number;
}

/** How much of a receiver's answer is read before the connection is dropped: the status is all that is recorded. */
const MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * POSTs one delivery. Redirects are never followed (a 3xx is a failed attempt: following one would let a receiver
 * point the gateway at another address), the whole exchange is bounded by `timeoutMs`, and at most 64 KiB of the answer
 * is read. Never throws: every failure becomes a result that the delivery log records.
 */
export async function sendWebhook(req: SendRequest, timeoutMs: number): Promise<SendResult> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const res = await fetch(req.url, {
      method: 'POST',
      redirect: 'manual',
      signal,
      headers: {
        'content-type': 'application/json',
        'user-agent': 'kube-gateway-webhooks/1',
        'x-kube-gateway-event': req.event,
        'x-kube-gateway-delivery': String(req.deliveryId),
        'x-kube-gateway-attempt': String(req.attempt),
        'x-kube-gateway-signature': signBody(req.secret, req.body),
      },
      body: req.body,
    });
    await drain(res, signal);
    const ok = res.status >= 200 && res.status < 300;
    const error = ok ? null : res.status >= 300 && res.status < 400 ? 'redirect not followed' : null;
    return { ok, status: res.status, error };
  } catch (err) {
    return { ok: false, status: null, error: describe(err, signal) };
  }
}

async function drain(res: Response, signal: AbortSignal): Promise<void> {
  if (!res.body) return;
  const reader = res.body.getReader();
  let read = 0;
  try {
    while (read < MAX_RESPONSE_BYTES && !signal.aborted) {
      const { done, value } = await reader.read();
      if (done) return;
      read += value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}

/** A short reason without the URL (which may itself be a credential, e.g. a Slack incoming-webhook path). */
function describe(err: unknown, signal: AbortSignal): string {
  if (signal.aborted) return 'timed out';
  const cause = (err as { cause?: { code?: string } }).cause;
  if (cause?.code) return `connection failed (${cause.code})`;
  return 'connection failed';
}
