/**
 * The page's only way to the gateway: every call carries the token the user entered once (kept in
 * sessionStorage, so it goes when the tab does); a 401 forgets it and goes back to the form.
 */
const TOKEN_KEY = "hindsight.token";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
  /** The gateway has no such route: a feature this deployment does not have (yet). */
  get missingRoute(): boolean {
    return this.status === 404 && this.message.startsWith("no route");
  }
}

export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY),
  set: (t: string) => sessionStorage.setItem(TOKEN_KEY, t),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

let onUnauthorized: () => void = () => {};
export function whenUnauthorized(handler: () => void): void {
  onUnauthorized = handler;
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const t = token.get();
  if (!t) {
    onUnauthorized();
    throw new ApiError(401, "unauthorized", "enter a token first");
  }
  const res = await fetch(path, {
    method,
    headers: { authorization: `Bearer ${t}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? null : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (res.status === 401) {
    token.clear();
    onUnauthorized();
  }
  if (!res.ok) {
    const err = (parsed as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new ApiError(res.status, err?.code ?? "http_error", err?.message ?? `HTTP ${res.status}`);
  }
  return parsed as T;
}

export const api = {
  get: <T>(path: string, query: Record<string, string | number | undefined> = {}) => {
    const qs = Object.entries(query)
      .filter(([, v]) => v !== undefined && v !== "")
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
      .join("&");
    return call<T>("GET", qs ? `${path}?${qs}` : path);
  },
  post: <T>(path: string, body: unknown) => call<T>("POST", path, body),
};

export const enc = encodeURIComponent;
