/**
 * The per-token rate limit is keyed on the route fastify matched, not on the raw URL: once a
 * token's budget is spent, no spelling of any /v1/ route (percent-encoded, mixed case, trailing or
 * doubled slashes, dot segments) is served. The routes are walked from fastify's onRoute hook, so a
 * route added later is covered without editing this file. Dependencies are no-op fakes: a request
 * refused by the limit never reaches them.
 */
import Fastify, { type RouteOptions } from "fastify";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../common/config/env.js";
import { createRegistry } from "../common/observability/metrics.js";
import { buildApp, type GatewayDeps } from "./app.js";

const TOKEN = "rate-limit-test-token-000000001";
const auth = { authorization: `Bearer ${TOKEN}` };

function fakeDeps(): GatewayDeps {
  const noop = (): unknown => new Proxy(async () => [], { get: (_t, key) => (key === "then" ? undefined : noop()) });
  const known: Partial<GatewayDeps> = {
    registry: createRegistry("rate-limit-test"),
    checks: { kafka: async () => true, clickhouse: async () => true },
    consumerLag: async () => ({}),
  };
  return new Proxy(known, { get: (target, key: string) => (key in target ? target[key as keyof GatewayDeps] : noop()) }) as GatewayDeps;
}

async function appWith(limit: number) {
  const config = loadConfig({
    HINDSIGHT_TOKENS: JSON.stringify([{ token: TOKEN, scopes: ["ingest", "label", "feedback", "read", "admin"] }]),
    HINDSIGHT_RATE_LIMIT_PER_MINUTE: String(limit),
    LOG_LEVEL: "silent",
  });
  const app = Fastify();
  const routes: RouteOptions[] = [];
  app.addHook("onRoute", (route) => void routes.push(route));
  await app.register(buildApp(config, fakeDeps()));
  await app.ready();
  const endpoints = routes.flatMap((r) => (Array.isArray(r.method) ? r.method : [r.method]).map((method) => ({ method, url: r.url })));
  return { app, endpoints };
}

const concrete = (url: string) => url.replace(/:[A-Za-z_]+/g, "fraud");
const percentEncoded = (path: string) => path.replace(/[A-Za-z0-9]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
const upperHex = (path: string) => percentEncoded(path).toUpperCase();
const mixedCase = (path: string) => path.replace(/[a-z]/g, (c, i: number) => (i % 2 ? c.toUpperCase() : c));

/** Ways of spelling one concrete path that a router or a proxy may treat as the same route. */
function pathVariants(path: string): Array<{ name: string; url: string }> {
  const [, first, ...rest] = path.split("/");
  return [
    { name: "first segment encoded", url: `/${percentEncoded(first!)}/${rest.join("/")}` },
    { name: "every letter encoded", url: percentEncoded(path) },
    { name: "upper-case hex", url: upperHex(path) },
    { name: "mixed case", url: mixedCase(path) },
    { name: "upper case", url: path.toUpperCase() },
    { name: "trailing slash", url: `${path}/` },
    { name: "doubled slashes", url: path.replaceAll("/", "//") },
    { name: "leading doubled slash", url: `/${path}` },
    { name: "dot segment", url: path.replace("/v1/", "/v1/./") },
    { name: "parent segment", url: path.replace("/v1/", "/x/../v1/") },
    { name: "query string", url: `${path}?a=1` },
    { name: "encoded trailing slash", url: `${path}%2F` },
  ];
}

describe("rate limit keyed on the matched route", async () => {
  const { endpoints } = await appWith(1);
  const limited = endpoints.filter((e) => e.url.startsWith("/v1/") && e.method !== "HEAD" && e.method !== "OPTIONS");

  it("walks the routes (not vacuously)", () => {
    expect(limited.length).toBeGreaterThanOrEqual(10);
    expect(limited.map((e) => `${e.method} ${e.url}`)).toContain("GET /v1/models");
  });

  it("serves no variant of any /v1/ route once the token's budget is spent", async () => {
    const { app } = await appWith(1);
    expect((await app.inject({ method: "GET", url: "/v1/models", headers: auth })).statusCode).toBe(200);
    const served: string[] = [];
    for (const { method, url } of limited) {
      for (const variant of pathVariants(concrete(url))) {
        const res = await app.inject({ method, url: variant.url, headers: auth, ...(method === "GET" ? {} : { payload: {} }) });
        // 429, or nothing matched at all (not found, or the static files refusing the path).
        const code = res.statusCode === 429 ? "rate_limited" : (res.json() as { error?: { code?: string } }).error?.code;
        if (code !== "rate_limited" && code !== "not_found" && code !== "FST_STATIC_FORBIDDEN_PATH")
          served.push(`${method} ${variant.url} (${variant.name}) -> ${res.statusCode} ${code}`);
      }
    }
    expect(served).toEqual([]);
  });

  it("counts every served variant against the same budget", async () => {
    const { app } = await appWith(1000);
    const remaining: number[] = [];
    for (const variant of pathVariants("/v1/models")) {
      const res = await app.inject({ method: "GET", url: variant.url, headers: auth });
      if (res.statusCode === 200) remaining.push(Number(res.headers["x-ratelimit-remaining"]));
    }
    // Each served request took one from the token's bucket, whatever its spelling.
    expect(remaining.length).toBeGreaterThanOrEqual(4);
    expect(remaining).toEqual(remaining.map((_, i) => 999 - i));
  });

  it("leaves the public routes unlimited", async () => {
    const { app } = await appWith(1);
    for (let i = 0; i < 3; i++)
      for (const url of ["/healthz", "/readyz", "/metrics", "/%68ealthz"])
        expect((await app.inject({ method: "GET", url })).statusCode).toBe(200);
  });
});
