/**
 * One request to the gateway, retried with capped exponential backoff and jitter on connection
 * errors, 429, 502, 503 and 504, never sooner than the answer's `Retry-After` asks (the same
 * policy as the Python client's transport). Other answers are returned to the caller as they are.
 */

export const RETRY_STATUSES = new Set([429, 502, 503, 504]);

export interface RetryPolicy {
  maxRetries: number;
  backoffMs: number;
  maxBackoffMs: number;
  /** The longest `Retry-After` honoured; a longer one is cut to this. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxRetries: 8, backoffMs: 250, maxBackoffMs: 30_000, maxRetryAfterMs: 120_000 };

export interface HttpDeps {
  fetch: typeof fetch;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
  now: () => number;
  /** A retry about to happen, for the terminal. */
  warn: (line: string) => void;
}

export interface Answer {
  status: number;
  body: unknown;
}

export class GatewayUnavailable extends Error {}

/** `Retry-After` in milliseconds: a number of seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null | undefined, nowMs: number): number | undefined {
  const text = header?.trim();
  if (!text) return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isFinite(at) ? Math.max(0, at - nowMs) : undefined;
}

/** The wait before retry number `attempt + 1`: exponential with jitter (clients do not retry in lockstep), at least `Retry-After`. */
export function backoffMs(attempt: number, policy: RetryPolicy, retryAfter: number | undefined, random: number): number {
  const delay = Math.min(policy.maxBackoffMs, policy.backoffMs * 2 ** attempt) * (0.5 + random / 2);
  return retryAfter === undefined ? delay : Math.max(delay, Math.min(retryAfter, policy.maxRetryAfterMs));
}

/** The gateway's `{"error": {"message"}}`, or whatever the body says. */
export function errorMessage(body: unknown): string {
  if (body && typeof body === "object" && "error" in body) {
    const e = (body as { error: unknown }).error;
    if (e && typeof e === "object" && "message" in e) return String((e as { message: unknown }).message);
    return String(e);
  }
  return typeof body === "string" ? body.slice(0, 500) : JSON.stringify(body);
}

export async function send(
  deps: HttpDeps,
  policy: RetryPolicy,
  req: { method: string; url: string; token: string; body?: string },
): Promise<Answer> {
  for (let attempt = 0; ; attempt++) {
    let problem: string;
    let retryAfter: number | undefined;
    try {
      const res = await deps.fetch(req.url, {
        method: req.method,
        headers: {
          authorization: `Bearer ${req.token}`,
          ...(req.body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: req.body,
      });
      const text = await res.text();
      let body: unknown = text;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        // Not JSON (a proxy's error page): kept as text for the message.
      }
      if (!RETRY_STATUSES.has(res.status)) return { status: res.status, body };
      problem = `HTTP ${res.status}: ${errorMessage(body)}`;
      retryAfter = retryAfterMs(res.headers.get("retry-after"), deps.now());
    } catch (err) {
      // Refused, reset or timed out. A request that timed out may have been accepted: resending is
      // safe, events carry their ids and duplicates collapse.
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      problem = cause?.code ?? cause?.message ?? (err as Error).message;
    }
    if (attempt >= policy.maxRetries)
      throw new GatewayUnavailable(`${req.method} ${req.url} failed after ${attempt + 1} attempts: ${problem}`);
    const wait = backoffMs(attempt, policy, retryAfter, deps.random());
    deps.warn(
      `${req.method} ${new URL(req.url).pathname}: ${problem}; retry ${attempt + 1}/${policy.maxRetries} in ${(wait / 1000).toFixed(1)} s`,
    );
    await deps.sleep(wait);
  }
}
