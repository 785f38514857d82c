import { retryAfterMs } from '../../http/retry-after.js';

/**
 * One HTTP POST to a webhook, its result returned as data (as OTel's exporters do): the queue decides what to retry.
 * 408, 429 and 5xx are worth retrying, as are network errors and timeouts; any other 4xx means the request itself is
 * wrong (bad URL, revoked token) and will fail the same way again. Redirects are not followed: a POST that is
 * redirected becomes a GET, so the configured URL should be the final one.
 */
export type SendResult =
  | { kind: 'success'; status: number }
  | { kind: 'retryable'; status: number | null; error: string; retryAfterMs: number | null }
  | { kind: 'failure'; status: number | null; error: string };

export interface SendRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
}

export type Transport = (r: SendRequest) => Promise<SendResult>;

export const fetchTransport: Transport = async (r) => {
  let res: Response;
  try {
    res = await fetch(r.url, {
      method: 'POST',
      headers: r.headers,
      body: r.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(r.timeoutMs),
    });
  } catch (e) {
    const err = e as Error & { cause?: { code?: string } };
    const why =
      err.name === 'TimeoutError' ? `no answer within ${r.timeoutMs} ms` : (err.cause?.code ?? err.message);
    return { kind: 'retryable', status: null, error: why, retryAfterMs: null };
  }
  // The body is drained so the connection returns to the pool; its text helps explain failures.
  const text = (await res.text().catch(() => '')).slice(0, 200);
  const s = res.status;
  if (s >= 200 && s < 300) return { kind: 'success', status: s };
  const error = `HTTP ${s}${text ? `: ${text}` : ''}`;
  if (s === 408 || s === 429 || s >= 500)
    return {
      kind: 'retryable',
      status: s,
      error,
      retryAfterMs: retryAfterMs(res.headers.get('retry-after')),
    };
  if (s >= 300 && s < 400)
    return { kind: 'failure', status: s, error: `${error} (redirect; configure the final URL)` };
  return { kind: 'failure', status: s, error };
};
