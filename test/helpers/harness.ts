/**
 * Helpers for integration tests against the real Kafka and ClickHouse of the test stack: a fresh
 * configuration per test (its own topics, consumer group and database), the services in-process,
 * and polling waits.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, inject } from "vitest";
import { loadConfig, type Config } from "../../services/common/config/env.js";
import { createClickHouse, type ClickHouse } from "../../services/common/clickhouse/client.js";
import { ident, sql } from "../../services/common/clickhouse/sql.js";
import { consumerLag, createKafka, withAdmin } from "../../services/common/kafka/client.js";
import { createLogger } from "../../services/common/observability/logger.js";
import { createRegistry } from "../../services/common/observability/metrics.js";
import { createGateway } from "../../services/gateway/gateway.js";
import { createProcessor, metricsGroupId, type Processor } from "../../services/processor/processor.js";
import { prepare } from "../../infra/local/stack.js";
import { anyRow } from "../../services/common/clickhouse/row-schema.js";
import { dirtyWindowsRepository } from "../../services/common/clickhouse/dirty-windows.repository.js";
import "./stack-info.js";

export const TEST_TOKEN = "test-token-with-every-scope-0001";
export const INGEST_ONLY_TOKEN = "test-token-ingest-scope-only-01";

/** Environment for a test's own isolated slice of the stack; pass `overrides` to change settings. */
export function testEnv(overrides: Record<string, string> = {}): Record<string, string> {
  const stack = inject("stack");
  const id = `t${Date.now().toString(36)}${randomBytes(3).toString("hex")}`;
  return {
    KAFKA_BROKERS: stack.kafkaBrokers,
    CLICKHOUSE_URL: stack.clickhouseUrl,
    CLICKHOUSE_DATABASE: `hs_${id}`,
    HINDSIGHT_TOPIC_PREFIX: `hs.${id}`,
    HINDSIGHT_CONSUMER_GROUP: `hs-${id}`,
    HINDSIGHT_HTTP_PORT: "0",
    HINDSIGHT_PROCESSOR_METRICS_PORT: "0",
    HINDSIGHT_BATCH_MAX_WAIT_MS: "200",
    HINDSIGHT_METRICS_INTERVAL_MS: "50",
    HINDSIGHT_TOKENS: JSON.stringify([
      { token: TEST_TOKEN, scopes: ["ingest", "label", "feedback", "read", "admin"] },
      { token: INGEST_ONLY_TOKEN, scopes: ["ingest"] },
    ]),
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "warn",
    // Against a replicated cluster (README, "On a ClickHouse cluster"), each test's database is replicated too.
    ...(process.env.CLICKHOUSE_REPLICATED_PATH ? { CLICKHOUSE_REPLICATED_PATH: process.env.CLICKHOUSE_REPLICATED_PATH } : {}),
    // Tests replay fixed dates (some from 2024); retention TTLs would drop them at any merge.
    // test/retention.int.test.ts sets its own.
    HINDSIGHT_RETENTION_RAW_DAYS: "0",
    HINDSIGHT_RETENTION_JOINED_DAYS: "0",
    HINDSIGHT_RETENTION_WINDOWS_DAYS: "0",
    HINDSIGHT_RETENTION_ALERTS_DAYS: "0",
    ...overrides,
  };
}

export interface TestStack {
  env: Record<string, string>;
  config: Config;
  clickhouse: ClickHouse;
  kafka: ReturnType<typeof createKafka>;
  /** Drops the test's database and topics. */
  cleanup(): Promise<void>;
}

export async function createTestStack(overrides: Record<string, string> = {}): Promise<TestStack> {
  const env = testEnv(overrides);
  const config = loadConfig(env);
  await prepare(config, () => {});
  const clickhouse = createClickHouse(config.clickhouse);
  const kafka = createKafka({ ...config.kafka, logger: createLogger("test", "error") });
  return {
    env,
    config,
    clickhouse,
    kafka,
    async cleanup() {
      await clickhouse.command(sql`DROP DATABASE IF EXISTS ${ident(config.clickhouse.database)}`).catch(() => undefined);
      await clickhouse.close();
      await withAdmin(kafka, (admin) =>
        admin.deleteTopics({ topics: [config.topics.predictions, config.topics.labels, config.topics.dlq] }),
      ).catch(() => undefined);
    },
  };
}

/**
 * A test stack for the enclosing describe block: filled in before its tests run, dropped after
 * them. Read its fields inside tests and hooks only.
 */
export function useTestStack(overrides: Record<string, string> = {}): TestStack {
  const stack = {} as TestStack;
  beforeAll(async () => {
    Object.assign(stack, await createTestStack(overrides));
  }, 120_000);
  afterAll(async () => {
    await stack.cleanup?.();
  });
  return stack;
}

export async function startGateway(config: Config): Promise<{ url: string; close: () => Promise<void> }> {
  const app = await createGateway(config, createLogger("gateway", config.logLevel));
  await app.listen({ host: "127.0.0.1", port: 0 });
  const address = app.server.address() as { port: number };
  return { url: `http://127.0.0.1:${address.port}`, close: () => app.close() };
}

export async function startProcessor(config: Config, clickhouse: ClickHouse): Promise<Processor> {
  const logger = createLogger("processor", config.logLevel);
  const processor = createProcessor(config, {
    kafka: createKafka({ ...config.kafka, logger }),
    clickhouse,
    logger,
    registry: createRegistry("processor"),
  });
  await processor.start();
  return processor;
}

/** Row count of a view or table in the test's database (a replacing table counts duplicates not yet merged unless `where` starts with FINAL). */
export async function count(stack: TestStack, table: string, where = sql``): Promise<number> {
  const [row] = await stack.clickhouse.rows(
    anyRow<{ n: string }>(),
    sql`SELECT count() AS n FROM ${ident(`${stack.config.clickhouse.database}.${table}`)} ${where}`,
  );
  return Number(row?.n ?? 0);
}

export async function waitUntil<T>(what: string, probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await probe();
    if (done(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last value: ${JSON.stringify(last)}`);
}

export async function postJson(
  url: string,
  body: unknown,
  token = TEST_TOKEN,
  contentType = "application/json",
): Promise<{ status: number; body: any }> {
  const res = await fetch(url, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": contentType },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** Any method with an optional JSON body; the answer's text is kept beside its parsed body. */
/** Posts events to a gateway route in requests of `size` (500), each of which must accept every event. */
export async function postAll(gatewayUrl: string, path: string, items: readonly unknown[], size = 500): Promise<void> {
  for (let i = 0; i < items.length; i += size) {
    const res = await postJson(`${gatewayUrl}${path}`, items.slice(i, i + size));
    if (res.status >= 300 || res.body?.rejected?.length)
      throw new Error(`${path} refused events: ${res.status} ${JSON.stringify(res.body).slice(0, 500)}`);
  }
}

export async function requestJson(
  method: string,
  url: string,
  body?: unknown,
  token = TEST_TOKEN,
): Promise<{ status: number; text: string; body: any }> {
  const res = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, text, body: text ? JSON.parse(text) : undefined };
}

/** A valid prediction event in the HTTP form; `i` makes it unique. */
export function prediction(i: number, model = "fraud"): Record<string, unknown> {
  return {
    prediction_id: `p-${i}`,
    model_id: model,
    model_version: i % 10 === 0 ? "v4" : "v3",
    stage: i % 10 === 0 ? "canary" : "production",
    timestamp: Date.UTC(2026, 10, 23, 10, 0, 0) + i * 1000,
    features: { amount: 10 + (i % 97), country: ["DE", "FR", "BR"][i % 3], age: i % 50 === 0 ? null : 20 + (i % 60), is_new: i % 2 === 0 },
    prediction: { label: i % 7 === 0 ? "fraud" : "legit", score: (i % 100) / 100 },
    segments: { country: ["DE", "FR", "BR"][i % 3]!, device: ["ios", "android", "web"][i % 3]! },
  };
}

export function label(i: number, model = "fraud"): Record<string, unknown> {
  return {
    prediction_id: `p-${i}`,
    model_id: model,
    label: i % 5 === 0 ? "fraud" : "legit",
    labeled_at: Date.UTC(2026, 10, 25, 10, 0, 0) + i * 1000,
    source: "chargebacks",
  };
}

export interface Pipeline {
  stack: TestStack;
  gateway: { url: string; close: () => Promise<void> };
  processor: Processor;
}

/** A test's own stack with the gateway and the processor running in this process. */
export async function startPipeline(overrides: Record<string, string> = {}): Promise<Pipeline> {
  const stack = await createTestStack(overrides);
  const gateway = await startGateway(stack.config);
  const processor = await startProcessor(stack.config, stack.clickhouse);
  return { stack, gateway, processor };
}

export async function stopPipeline(p: Partial<Pipeline>): Promise<void> {
  await p.processor?.stop();
  await p.gateway?.close();
  await p.stack?.cleanup();
}

/**
 * Waits until both of the processor's consumer groups (ingestion and metrics) have read everything
 * and every window they marked has been recomputed.
 */
export async function waitForProcessor(
  stack: Pick<TestStack, "kafka"> & { config?: Config },
  config: Config | undefined = stack.config,
  timeoutMs = 60_000,
): Promise<void> {
  if (!config) throw new Error("waitForProcessor needs the processor's configuration");
  const topics = [config.topics.predictions, config.topics.labels];
  const clickhouse = createClickHouse(config.clickhouse);
  const windows = dirtyWindowsRepository(clickhouse);
  try {
    await waitUntil(
      "the processor's consumer groups to catch up and its marked windows to be recomputed",
      async () => {
        const lags = await Promise.all(
          [config.processor.groupId, metricsGroupId(config.processor.groupId)].map((g) => consumerLag(stack.kafka, g, topics)),
        );
        const unread = lags.flatMap((l) => Object.values(l)).reduce((a, b) => a + b, 0);
        // Marks are stored before the metrics group commits, so once nothing is unread, none are missing.
        return { unread, pending: unread > 0 ? -1 : await windows.pendingCount() };
      },
      (s) => s.unread === 0 && s.pending === 0,
      timeoutMs,
    );
  } finally {
    await clickhouse.close();
  }
}
