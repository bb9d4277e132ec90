import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./env.js";

const TOKEN = "0123456789abcdef-ingest";

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error(`expected ${JSON.stringify(env)} to be refused`);
}

describe("loadConfig", () => {
  it("defaults to the loopback stack that `hindsight up` starts", () => {
    const c = loadConfig({});
    expect(c.kafka).toEqual({ brokers: ["127.0.0.1:9092"], clientId: "hindsight", maxBatchBytes: 900_000 });
    expect(c.clickhouse).toEqual({
      url: "http://127.0.0.1:8123",
      user: "default",
      password: "",
      database: "hindsight",
      analyst: { user: "analyst", password: "" },
      analystScoped: { user: "analyst_scoped", password: "" },
    });
    expect(c.http).toMatchObject({ host: "127.0.0.1", port: 8080, tokens: [], rateLimitPerMinute: 6000 });
    expect(c.topics).toEqual({ predictions: "hindsight.predictions", labels: "hindsight.labels", dlq: "hindsight.dlq", partitions: 3 });
    expect(c.logLevel).toBe("info");
    expect(c.home).toBeUndefined();
  });

  it("takes model-limited tokens and refuses an empty model list", () => {
    const tokens = JSON.stringify([{ token: "team-token-0123456789", scopes: ["label", "read"], models: ["fraud", "churn"] }]);
    expect(loadConfig({ HINDSIGHT_TOKENS: tokens }).http.tokens[0]!.models).toEqual(["fraud", "churn"]);
    const empty = JSON.stringify([{ token: "team-token-0123456789", scopes: ["read"], models: [] }]);
    expect(() => loadConfig({ HINDSIGHT_TOKENS: empty })).toThrow(/leave 'models' out for all models/);
    expect(() => loadConfig({ HINDSIGHT_RATE_LIMIT_PER_MINUTE: "0" })).toThrow(/HINDSIGHT_RATE_LIMIT_PER_MINUTE/);
  });

  it("takes a replicated cluster's Keeper path; none by default", () => {
    expect(loadConfig({ CLICKHOUSE_REPLICATED_PATH: "/clickhouse/databases" }).clickhouse.replicatedPath).toBe("/clickhouse/databases");
    expect("replicatedPath" in loadConfig({}).clickhouse).toBe(false);
  });

  it("splits and trims comma-separated brokers, dropping empty entries", () => {
    expect(loadConfig({ KAFKA_BROKERS: " k1:9092 ,k2:9092,, k3:9093 " }).kafka.brokers).toEqual(["k1:9092", "k2:9092", "k3:9093"]);
  });

  it("coerces numbers and derives topic names from the prefix", () => {
    const c = loadConfig({ HINDSIGHT_HTTP_PORT: "9000", HINDSIGHT_PARTITIONS: "12", HINDSIGHT_TOPIC_PREFIX: "staging.hs" });
    expect(c.http.port).toBe(9000);
    expect(c.topics).toEqual({ predictions: "staging.hs.predictions", labels: "staging.hs.labels", dlq: "staging.hs.dlq", partitions: 12 });
  });

  it("parses HINDSIGHT_TOKENS", () => {
    const tokens = [
      { token: TOKEN, scopes: ["ingest", "label"], name: "ingest-bot" },
      { token: "fedcba9876543210", scopes: ["read"] },
    ];
    expect(loadConfig({ HINDSIGHT_TOKENS: JSON.stringify(tokens) }).http.tokens).toEqual(tokens);
  });

  it.each<[string, Record<string, string>, RegExp]>([
    ["tokens that are not JSON", { HINDSIGHT_TOKENS: "[{token: abc}]" }, /HINDSIGHT_TOKENS: must be a JSON array/],
    [
      "a token under 16 characters",
      { HINDSIGHT_TOKENS: '[{"token":"short","scopes":["ingest"]}]' },
      /HINDSIGHT_TOKENS\.0\.token: tokens must be at least 16 characters/,
    ],
    ["an unknown scope", { HINDSIGHT_TOKENS: JSON.stringify([{ token: TOKEN, scopes: ["write"] }]) }, /HINDSIGHT_TOKENS\.0\.scopes\.0/],
    ["a token with no scopes", { HINDSIGHT_TOKENS: JSON.stringify([{ token: TOKEN, scopes: [] }]) }, /HINDSIGHT_TOKENS\.0\.scopes/],
    ["port 70000", { HINDSIGHT_HTTP_PORT: "70000" }, /HINDSIGHT_HTTP_PORT/],
    ["a non-numeric port", { HINDSIGHT_HTTP_PORT: "http" }, /HINDSIGHT_HTTP_PORT/],
    ["a database name with a dash", { CLICKHOUSE_DATABASE: "my-db" }, /CLICKHOUSE_DATABASE: must be a lower-case identifier/],
    ["a bad ClickHouse URL", { CLICKHOUSE_URL: "not a url" }, /CLICKHOUSE_URL/],
    [
      "a relative Keeper path",
      { CLICKHOUSE_REPLICATED_PATH: "clickhouse/databases/hs" },
      /CLICKHOUSE_REPLICATED_PATH: must be a Keeper path/,
    ],
    ["a Keeper path with a quote", { CLICKHOUSE_REPLICATED_PATH: "/clickhouse/h's" }, /CLICKHOUSE_REPLICATED_PATH: must be a Keeper path/],
    ["an unknown log level", { LOG_LEVEL: "verbose" }, /LOG_LEVEL/],
  ])("refuses %s with a ConfigError naming the variable", (_name, env, message) => {
    expect(configError(env).message).toMatch(message);
  });

  it("lists every bad variable at once", () => {
    const { message } = configError({ HINDSIGHT_HTTP_PORT: "70000", CLICKHOUSE_DATABASE: "my-db" });
    expect(message).toMatch(/HINDSIGHT_HTTP_PORT/);
    expect(message).toMatch(/CLICKHOUSE_DATABASE/);
  });
});
