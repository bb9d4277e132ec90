/**
 * The gateway's own failure answers, through `app.inject`. Kafka itself is exercised in
 * test/gateway.int.test.ts; here the producer is one that refuses, to pin down what a client sees
 * when the broker is unreachable, and that internal errors do not leak.
 */
import Fastify from "fastify";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../common/config/env.js";
import { createRegistry } from "../common/observability/metrics.js";
import { buildApp, type GatewayDeps } from "./app.js";

const TOKEN = "unit-test-token-all-scopes";

async function appWith(deps: Partial<GatewayDeps>) {
  const config = loadConfig({ HINDSIGHT_TOKENS: JSON.stringify([{ token: TOKEN, scopes: ["ingest", "label"] }]) });
  const app = Fastify();
  await app.register(
    buildApp(config, {
      producer: { send: async () => {}, disconnect: async () => {}, maxBatchBytes: 900_000 },
      registry: createRegistry("gateway-test"),
      checks: { kafka: async () => true, clickhouse: async () => true },
      consumerLag: async () => ({}),
      models: {
        declare: async () => {},
        list: async () => [],
        hasWindow: async () => true,
        metrics: async () => [],
        sliceCounts: async () => [],
        classWindows: async () => [],
        delayHistogram: async () => [],
        delete: async (modelId) => ({ model_id: modelId, tables: {} }),
        jobs: async () => [],
      },
      // These unit tests exercise ingestion only; the drift routes are tested against ClickHouse.
      drift: {} as GatewayDeps["drift"],
      ...deps,
    }),
  );
  return app;
}

const event = {
  prediction_id: "p-1",
  model_id: "fraud",
  model_version: "v3",
  timestamp: 1795428000000,
  prediction: { label: "fraud", score: 0.9 },
};

describe("gateway failure answers", () => {
  it("answers 503 with Retry-After when Kafka refuses the batch, accepting nothing", async () => {
    const app = await appWith({
      producer: { send: async () => Promise.reject(new Error("broker down")), disconnect: async () => {}, maxBatchBytes: 900_000 },
    });
    const res = await app.inject({
      method: "POST",
      url: "/v1/predictions",
      headers: { authorization: `Bearer ${TOKEN}` },
      payload: [event],
    });
    expect(res.statusCode).toBe(503);
    expect(res.headers["retry-after"]).toBe("5");
    expect(res.json().error.code).toBe("unavailable");
  });

  it("reports not-ready, naming the dependency that does not answer", async () => {
    const app = await appWith({ checks: { kafka: async () => true, clickhouse: async () => Promise.reject(new Error("ECONNREFUSED")) } });
    const res = await app.inject({ method: "GET", url: "/readyz" });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ status: "unavailable", kafka: true, clickhouse: false });
  });

  it("hides the message of an internal error and answers unknown routes with 404", async () => {
    const registry = createRegistry("gateway-test");
    const failing = Object.assign(Object.create(registry) as typeof registry, {
      metrics: async () => Promise.reject(new Error("secret detail")),
    });
    const app = await appWith({ registry: failing });
    const boom = await app.inject({ method: "GET", url: "/metrics" });
    expect(boom.statusCode).toBe(500);
    expect(boom.body).not.toContain("secret");
    expect((await app.inject({ method: "GET", url: "/nope" })).statusCode).toBe(404);
  });

  it("refuses an unsupported content type with 415", async () => {
    const app = await appWith({});
    const res = await app.inject({
      method: "POST",
      url: "/v1/predictions",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "text/csv" },
      payload: "a,b",
    });
    expect(res.statusCode).toBe(415);
  });
});
