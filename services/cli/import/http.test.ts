import { describe, expect, it } from "vitest";
import { backoffMs, GatewayUnavailable, retryAfterMs, send, type HttpDeps, type RetryPolicy } from "./http.js";

const policy: RetryPolicy = { maxRetries: 3, backoffMs: 100, maxBackoffMs: 1000, maxRetryAfterMs: 60_000 };
const NOW = Date.UTC(2027, 0, 1, 12, 0, 0);

function fakeDeps(answers: Array<Response | Error>) {
  const sleeps: number[] = [];
  const warnings: string[] = [];
  let calls = 0;
  const deps: HttpDeps = {
    fetch: (async () => {
      const a = answers[calls++]!;
      if (a instanceof Error) throw a;
      return a;
    }) as typeof fetch,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 1, // no jitter: the delay is the cap of its step
    now: () => NOW,
    warn: (l) => warnings.push(l),
  };
  return { deps, sleeps, warnings, calls: () => calls };
}
const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
const req = { method: "POST", url: "http://gw.test/v1/predictions", token: "t", body: "[]" };

describe("Retry-After", () => {
  it("reads seconds and HTTP dates", () => {
    expect(retryAfterMs("5", NOW)).toBe(5000);
    expect(retryAfterMs(" 0.5 ", NOW)).toBe(500);
    expect(retryAfterMs("Fri, 01 Jan 2027 12:00:30 GMT", NOW)).toBe(30_000);
    expect(retryAfterMs("Fri, 01 Jan 2027 11:00:00 GMT", NOW)).toBe(0);
    expect(retryAfterMs("soon", NOW)).toBeUndefined();
    expect(retryAfterMs(null, NOW)).toBeUndefined();
  });

  it("waits exponentially with jitter, never less than Retry-After, never more than its cap", () => {
    expect(backoffMs(0, policy, undefined, 1)).toBe(100);
    expect(backoffMs(2, policy, undefined, 1)).toBe(400);
    expect(backoffMs(2, policy, undefined, 0)).toBe(200); // jitter halves at most
    expect(backoffMs(9, policy, undefined, 1)).toBe(1000);
    expect(backoffMs(0, policy, 5000, 1)).toBe(5000);
    expect(backoffMs(0, policy, 3_600_000, 1)).toBe(60_000);
  });
});

describe("sending to the gateway", () => {
  it("retries 429 and 503 after what Retry-After asks, then returns the answer", async () => {
    const f = fakeDeps([json(429, { error: { message: "slow down" } }, { "retry-after": "2" }), json(503, {}), json(202, { accepted: 1 })]);
    const answer = await send(f.deps, policy, req);
    expect(answer).toEqual({ status: 202, body: { accepted: 1 } });
    expect(f.sleeps).toEqual([2000, 200]);
    expect(f.warnings[0]).toBe("POST /v1/predictions: HTTP 429: slow down; retry 1/3 in 2.0 s");
  });

  it("retries a refused connection", async () => {
    const refused = Object.assign(new TypeError("fetch failed"), { cause: { code: "ECONNREFUSED" } });
    const f = fakeDeps([refused, json(202, { accepted: 0 })]);
    expect((await send(f.deps, policy, req)).status).toBe(202);
    expect(f.warnings[0]).toMatch(/ECONNREFUSED/);
  });

  it("returns other answers at once, without retrying", async () => {
    for (const status of [400, 401, 403, 413, 500]) {
      const f = fakeDeps([json(status, { error: { message: "no" } })]);
      expect((await send(f.deps, policy, req)).status).toBe(status);
      expect(f.calls()).toBe(1);
    }
  });

  it("gives up after the last retry with what went wrong", async () => {
    const f = fakeDeps([json(503, {}), json(503, {}), json(503, {}), json(503, { error: { message: "Kafka is unavailable" } })]);
    await expect(send(f.deps, policy, req)).rejects.toThrow(GatewayUnavailable);
    expect(f.calls()).toBe(4);
    expect(f.sleeps).toEqual([100, 200, 400]);
  });
});
