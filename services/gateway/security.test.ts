/**
 * The gateway's security properties through `app.inject`, for every route fastify registered (taken
 * from its onRoute hook, so a route added later is covered without editing this file): no token,
 * a wrong token and a token without the scope are refused before any dependency is touched;
 * model-limited tokens; per-token rate limits with 429 and Retry-After; tokens absent from logs.
 * The dependencies are recording fakes: what is under test is the HTTP layer's refusals.
 */
import { Writable } from "node:stream";
import Fastify, { type FastifyBaseLogger, type RouteOptions } from "fastify";
import { describe, expect, it } from "vitest";
import { loadConfig, type Scope } from "../common/config/env.js";
import { createLogger } from "../common/observability/logger.js";
import { createRegistry } from "../common/observability/metrics.js";
import type { OutgoingMessage } from "../common/kafka/client.js";
import { buildApp, type GatewayDeps } from "./app.js";
import { tokenDigest, type StoredToken } from "../common/clickhouse/tokens.repository.js";
import type { TokenSource } from "./token-cache.js";

const SCOPES: Scope[] = ["ingest", "label", "feedback", "read", "admin"];
const FULL = "security-full-token-0000000001";
const LIMITED = "security-fraud-only-token-0001";
const WRONG = "security-wrong-token-000000001";
const single = (scope: Scope) => `security-only-${scope}-token-00001`;
const TOKENS = [
  { token: FULL, scopes: SCOPES, name: "full" },
  { token: LIMITED, scopes: SCOPES, models: ["fraud"], name: "fraud-team" },
  ...SCOPES.map((s) => ({ token: single(s), scopes: [s] })),
];
/** Stored tokens (ClickHouse), as the gateway's cache holds them: every scope, but expired, revoked, or limited to another model. */
const EXPIRED = "hs_security-expired-token-000001";
const REVOKED = "hs_security-revoked-token-000001";
const CHURN_ONLY = "hs_security-churn-only-token-0001";
const stored = (token: string, over: Partial<StoredToken>): StoredToken => ({
  token_id: `tok_${tokenDigest(token).slice(0, 16)}`,
  name: token,
  digest: tokenDigest(token),
  scopes: SCOPES,
  models: [],
  expires_at_ms: 0,
  created_at_ms: 1,
  created_by: "test",
  revoked_at_ms: 0,
  revoked_by: "",
  ...over,
});
const STORED = [
  stored(EXPIRED, { expires_at_ms: Date.now() - 1000 }),
  stored(REVOKED, { revoked_at_ms: Date.now() - 1000, revoked_by: "test" }),
  stored(CHURN_ONLY, { models: ["churn"] }),
];
const storedTokens = (): TokenSource & { refresh(): Promise<void> } => ({
  find: (d) => STORED.find((t) => t.digest === d),
  used: () => {},
  refresh: async () => {},
});
const ALL_TOKENS = [FULL, LIMITED, WRONG, EXPIRED, REVOKED, CHURN_ONLY, ...SCOPES.map(single)];
/** Answered without a token, by design. */
const PUBLIC = new Set(["/healthz", "/readyz", "/metrics"]);

/** Every dependency records that it was reached; any the app asks for that is not listed here is a no-op fake. */
function fakeDeps(touched: string[], sent: OutgoingMessage[]) {
  const generic = (name: string): unknown =>
    new Proxy(async () => [], {
      get: (_t, key) => (key === "then" ? undefined : generic(`${name}.${String(key)}`)),
      apply: async () => {
        touched.push(name);
        return [];
      },
    });
  const known: Partial<GatewayDeps> = {
    producer: {
      send: async (_topic: string, messages: OutgoingMessage[]) => {
        touched.push("producer.send");
        sent.push(...messages);
      },
      disconnect: async () => {},
    } as GatewayDeps["producer"],
    registry: createRegistry("security-test"),
    checks: { kafka: async () => true, clickhouse: async () => true },
    // No schema registry: the fixed schema ids (the generic fake below would stand in for ids).
    schemaIds: undefined,
    consumerLag: async () => ({}),
    tokenSource: storedTokens(),
    models: {
      declare: async () => void touched.push("models.declare"),
      list: async () => [{ model_id: "fraud" }, { model_id: "churn" }],
      hasWindow: async () => true,
      metrics: async () => {
        touched.push("models.metrics");
        return [];
      },
      sliceCounts: async () => [],
      classWindows: async () => [],
      delayHistogram: async () => [],
      jobs: async () => [],
    } as unknown as GatewayDeps["models"],
  };
  return new Proxy(known, {
    get: (target, key: string) => (key in target ? target[key as keyof GatewayDeps] : generic(key)),
  }) as GatewayDeps;
}

async function appWith(env: Record<string, string> = {}) {
  const config = loadConfig({ HINDSIGHT_TOKENS: JSON.stringify(TOKENS), ...env });
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  // The gateway's own logger configuration, at its most talkative, with request logging on.
  const app = Fastify({ loggerInstance: createLogger("gateway", "trace", sink) as FastifyBaseLogger });
  const routes: RouteOptions[] = [];
  app.addHook("onRoute", (route) => void routes.push(route));
  const touched: string[] = [];
  const sent: OutgoingMessage[] = [];
  await app.register(buildApp(config, fakeDeps(touched, sent)));
  await app.ready();
  const endpoints = routes.flatMap((r) => (Array.isArray(r.method) ? r.method : [r.method]).map((method) => ({ method, url: r.url })));
  return { app, endpoints, touched, sent, lines };
}

/** A concrete URL for a route pattern: every `:param` becomes a plausible value, `*` a file name. */
const concrete = (url: string, id = "fraud") =>
  url
    .replace(/:id\b/g, id)
    .replace(/:[A-Za-z_]+/g, "x1")
    .replace(/\*/g, "index.html");
/** Query parameters some per-model reads require; the others ignore them. */
const READ_QUERY = "?window_start=1795428000000&feature=amount";
const auth = (token: string) => ({ authorization: `Bearer ${token}` });

describe("every route under /v1/", async () => {
  const { endpoints } = await appWith();
  const guarded = endpoints.filter((e) => e.url.startsWith("/v1/") && e.method !== "HEAD" && e.method !== "OPTIONS");

  it("finds the routes (the walk is not vacuous)", () => {
    for (const expected of [
      "POST /v1/predictions",
      "POST /v1/labels",
      "GET /v1/models",
      "POST /v1/sql",
      "PUT /v1/models/:id",
      "DELETE /v1/models/:id",
      "POST /v1/tokens",
      "GET /v1/tokens",
      "DELETE /v1/tokens/:id",
      "GET /v1/audit",
    ]) {
      expect(guarded.map((e) => `${e.method} ${e.url}`)).toContain(expected);
    }
  });

  it.each(guarded)(
    "$method $url: 401 without a token and with a wrong one, 403 without its scope, before touching anything",
    async ({ method, url }) => {
      const { app, touched } = await appWith();
      const path = concrete(url);
      const payload = method === "GET" ? undefined : { query: "SELECT 1" };
      const none = await app.inject({ method, url: path, payload });
      expect(none.statusCode).toBe(401);
      expect(none.headers["www-authenticate"]).toBe('Bearer realm="hindsight"');
      const wrong = await app.inject({ method, url: path, payload, headers: auth(WRONG) });
      expect(wrong.statusCode).toBe(401);
      expect(wrong.json()).toEqual({ error: { code: "unauthorized", message: "unknown token" } });
      // A stored token with every scope, but expired or revoked, opens nothing.
      for (const [token, message] of [
        [EXPIRED, "token expired"],
        [REVOKED, "token revoked"],
      ] as const) {
        const refused = await app.inject({ method, url: path, payload, headers: auth(token) });
        expect(refused.statusCode).toBe(401);
        expect(refused.json()).toEqual({ error: { code: "unauthorized", message } });
      }
      const statuses = await Promise.all(
        SCOPES.map(async (s) => (await app.inject({ method, url: path, payload, headers: auth(single(s)) })).statusCode),
      );
      // Each route demands a scope: most single-scope tokens are refused. (What the token holding the
      // scope gets back depends on the fakes, and is tested with the route itself.)
      expect(statuses.filter((s) => s === 403).length).toBeGreaterThanOrEqual(SCOPES.length - 2);
      expect(statuses.every((s) => s === 403)).toBe(false);
      // Only the one token that had the scope may have reached a dependency.
      expect(touched.length).toBeLessThanOrEqual(SCOPES.length);
    },
  );

  it("answers the whole matrix of routes × kinds of token as expected, and prints it", async () => {
    const { app } = await appWith();
    const kinds: Array<[string, string | undefined]> = [
      ["none", undefined],
      ["wrong", WRONG],
      ["expired", EXPIRED],
      ["revoked", REVOKED],
      ...SCOPES.map((sc): [string, string] => [sc, single(sc)]),
      ["other-model", CHURN_ONLY],
      ["full", FULL],
    ];
    const lines = [["route", ...kinds.map(([k]) => k)].join("\t")];
    for (const { method, url } of guarded) {
      const payload = method === "GET" || method === "DELETE" ? undefined : { query: "SELECT 1" };
      const row: number[] = [];
      for (const [kind, token] of kinds) {
        const res = await app.inject({
          method,
          url: concrete(url) + (method === "GET" ? READ_QUERY : ""),
          payload,
          headers: token ? auth(token) : {},
        });
        row.push(res.statusCode);
        if (["none", "wrong", "expired", "revoked"].includes(kind)) expect(res.statusCode, `${kind} ${method} ${url}`).toBe(401);
        // A token limited to churn gets nothing of fraud's through any per-model route (400: the
        // body is checked first, the same for every model).
        if (kind === "other-model" && url.startsWith("/v1/models/:id"))
          expect([400, 403, 404], `${kind} ${method} ${url}`).toContain(res.statusCode);
      }
      lines.push([`${method} ${url}`, ...row].join("\t"));
    }
    process.stdout.write(`\nroute × token matrix (fraud's paths; other-model = every scope, limited to churn):\n${lines.join("\n")}\n`);
  });

  it("refuses every spelling of every route without a valid token: encoded, mixed-case, trailing or doubled slashes", async () => {
    const { app, touched } = await appWith();
    const spellings = (path: string) => [
      path.replace("/v1/", "/%76%31/"),
      path.replace("/v1/", "/v%31/"),
      path.replace(/\/([a-z])/, (_, c: string) => `/%${c.charCodeAt(0).toString(16).toUpperCase()}`),
      path.replace("/v1/", "/V1/"),
      `${path}/`,
      path.replace("/v1/", "/v1//"),
      path.replace("/v1/", "/./v1/"),
      path.replace("/v1/", "/x/../v1/"),
    ];
    const lines: string[] = [];
    for (const { method, url } of guarded) {
      const payload = method === "GET" || method === "DELETE" ? undefined : { query: "SELECT 1" };
      for (const spelling of spellings(concrete(url))) {
        for (const headers of [{}, auth(WRONG), auth(EXPIRED)]) {
          const res = await app.inject({ method, url: spelling, payload, headers });
          // Served spellings are refused like the route itself (401); the others match no route (404)
          // or fall to the dashboard's file route, which refuses paths it does not serve (403).
          expect([401, 403, 404], `${method} ${spelling}`).toContain(res.statusCode);
          if (Object.keys(headers).length === 0) lines.push(`${method} ${spelling}\t${res.statusCode}`);
        }
      }
    }
    expect(touched).toEqual([]);
    process.stdout.write(`\npath spellings without a token (${lines.length}):\n${lines.join("\n")}\n`);
  });

  it("routes outside /v1/ are the public health routes or read-only (static dashboard files)", () => {
    for (const e of endpoints.filter((x) => !x.url.startsWith("/v1/"))) {
      if (!PUBLIC.has(e.url)) expect(["GET", "HEAD"], `${e.method} ${e.url}`).toContain(e.method);
    }
  });

  it("the public routes answer without a token", async () => {
    const { app } = await appWith();
    for (const url of PUBLIC) expect((await app.inject({ method: "GET", url })).statusCode).toBe(200);
  });
});

describe("model-limited tokens", () => {
  const fraud = (i: number, model = "fraud") => ({
    prediction_id: `p-${i}`,
    model_id: model,
    model_version: "v1",
    timestamp: 1795428000000,
    prediction: { label: "a", score: 0.5 },
  });
  const label = (i: number, model = "fraud") => ({
    prediction_id: `p-${i}`,
    model_id: model,
    label: "a",
    labeled_at: 1795428000000,
    source: "s",
  });

  it("refuses, per item, predictions and labels for another team's model and accepts the rest", async () => {
    const { app, sent } = await appWith();
    const res = await app.inject({
      method: "POST",
      url: "/v1/predictions",
      headers: auth(LIMITED),
      payload: [fraud(1), fraud(2, "churn"), fraud(3)],
    });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({
      accepted: 2,
      rejected: [{ index: 1, path: "model_id", message: "this token may not send predictions for model 'churn'" }],
    });
    expect(sent.map((m) => m.key)).toEqual(["p-1", "p-3"]);
    const labels = await app.inject({ method: "POST", url: "/v1/labels", headers: auth(LIMITED), payload: [label(4, "churn"), label(5)] });
    expect(labels.json()).toEqual({
      accepted: 1,
      rejected: [{ index: 0, path: "model_id", message: "this token may not send labels for model 'churn'" }],
    });
    // The same batch from an unlimited token goes through whole.
    const full = await app.inject({ method: "POST", url: "/v1/predictions", headers: auth(FULL), payload: [fraud(6, "churn")] });
    expect(full.json()).toEqual({ accepted: 1, rejected: [] });
  });

  it("lists only the token's models", async () => {
    const { app } = await appWith();
    expect((await app.inject({ method: "GET", url: "/v1/models", headers: auth(LIMITED) })).json().models).toEqual([{ model_id: "fraud" }]);
    expect((await app.inject({ method: "GET", url: "/v1/models", headers: auth(FULL) })).json().models).toHaveLength(2);
  });

  it("answers a read of another team's model exactly like a read of a model that does not exist, on every per-model GET route", async () => {
    const { app, endpoints, touched } = await appWith();
    const perModel = endpoints.filter((e) => e.method === "GET" && e.url.startsWith("/v1/models/:id"));
    expect(perModel.length).toBeGreaterThanOrEqual(4);
    for (const { url } of perModel) {
      const foreign = await app.inject({ method: "GET", url: concrete(url, "churn") + READ_QUERY, headers: auth(LIMITED) });
      const unknown = await app.inject({ method: "GET", url: concrete(url, "ghost") + READ_QUERY, headers: auth(LIMITED) });
      const unknownFull = await app.inject({ method: "GET", url: concrete(url, "ghost") + READ_QUERY, headers: auth(FULL) });
      expect(foreign.statusCode, url).toBe(404);
      expect(foreign.body.replaceAll("churn", "ghost"), url).toBe(unknown.body);
      expect(unknownFull.body, url).toBe(unknown.body);
    }
    expect(touched.filter((t) => t !== "models.list" && !t.endsWith("hasWindow"))).toEqual([]);
  });

  it("a stored token limited to another model is refused the fraud model's writes and reads, and the management of tokens", async () => {
    const { app, touched } = await appWith();
    expect(
      (await app.inject({ method: "PUT", url: "/v1/models/fraud", headers: auth(CHURN_ONLY), payload: { task: "regression" } })).statusCode,
    ).toBe(403);
    expect((await app.inject({ method: "GET", url: "/v1/models/fraud/metrics", headers: auth(CHURN_ONLY) })).statusCode).toBe(404);
    expect((await app.inject({ method: "GET", url: "/v1/models", headers: auth(CHURN_ONLY) })).json().models).toEqual([
      { model_id: "churn" },
    ]);
    for (const [method, url] of [
      ["GET", "/v1/tokens"],
      ["POST", "/v1/tokens"],
      ["DELETE", "/v1/tokens/tok_0123456789abcdef"],
    ] as const) {
      const res = await app.inject({
        method,
        url,
        headers: auth(LIMITED),
        payload: method === "POST" ? { name: "x", scopes: ["admin"] } : undefined,
      });
      expect(res.statusCode, `${method} ${url}`).toBe(403);
    }
    expect(touched.filter((t) => t.startsWith("tokens"))).toEqual([]);
  });

  it("refuses to declare another team's model or upload its reference, naming only the token's limit", async () => {
    const { app, touched } = await appWith();
    const put = await app.inject({ method: "PUT", url: "/v1/models/churn", headers: auth(LIMITED), payload: { task: "regression" } });
    expect(put.statusCode).toBe(403);
    expect(put.json().error.message).toBe("this token may not manage model 'churn'");
    const ref = await app.inject({ method: "POST", url: "/v1/models/churn/reference", headers: auth(LIMITED), payload: [{ amount: 1 }] });
    expect(ref.statusCode).toBe(403);
    expect(touched).toEqual([]);
  });
});

describe("rate limits", () => {
  it("answers 429 with Retry-After per token, counting each token apart and leaving health routes alone", async () => {
    const { app } = await appWith({ HINDSIGHT_RATE_LIMIT_PER_MINUTE: "3" });
    const get = (token: string) => app.inject({ method: "GET", url: "/v1/models", headers: auth(token) });
    for (let i = 0; i < 3; i++) expect((await get(FULL)).statusCode).toBe(200);
    const limited = await get(FULL);
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers["retry-after"])).toBeGreaterThan(0);
    expect(limited.json()).toEqual({
      error: { code: "rate_limited", message: expect.stringMatching(/^rate limit of 3 requests per minute exceeded/) },
    });
    expect((await get(LIMITED)).statusCode).toBe(200);
    expect((await app.inject({ method: "GET", url: "/healthz" })).statusCode).toBe(200);
  });

  it("counts unknown tokens by client address, so guessing cannot open a fresh bucket per guess", async () => {
    const { app } = await appWith({ HINDSIGHT_RATE_LIMIT_PER_MINUTE: "2" });
    const codes = [];
    for (let i = 0; i < 4; i++)
      codes.push((await app.inject({ method: "GET", url: "/v1/models", headers: auth(`guess-${i}-0123456789abcdef`) })).statusCode);
    expect(codes).toEqual([401, 401, 429, 429]);
  });
});

describe("tokens never logged", () => {
  it("keeps every token out of the log, including an error logged with the request", async () => {
    const { app, lines } = await appWith();
    for (const token of ALL_TOKENS) {
      await app.inject({ method: "POST", url: "/v1/predictions", headers: auth(token), payload: [{ bad: true }] });
      await app.inject({ method: "GET", url: "/v1/models/fraud/metrics?window=nope", headers: auth(token) });
    }
    app.log.error({ req: { headers: auth(FULL) }, headers: auth(LIMITED) }, "a careless log line");
    const log = lines.join("");
    expect(lines.length).toBeGreaterThan(10);
    for (const token of ALL_TOKENS) expect(log).not.toContain(token);
    expect(log).toContain("[redacted]");
  });

  it("never echoes a token in an answer", async () => {
    const { app } = await appWith();
    for (const token of [WRONG, single("ingest")]) {
      const res = await app.inject({ method: "PUT", url: "/v1/models/fraud", headers: auth(token), payload: {} });
      expect(res.body).not.toContain(token);
    }
  });
});
