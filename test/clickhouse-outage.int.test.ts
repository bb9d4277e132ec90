/**
 * ClickHouse failures, as the processor sees them on the real server: an outage makes it wait and
 * retry without committing or skipping anything, and rows the server rejects as malformed are
 * isolated by splitting the batch and handed to the dead-letter path one by one.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BatchWriter } from "../services/common/clickhouse/batch-writer.js";
import { createClickHouse } from "../services/common/clickhouse/client.js";
import { ident, sql } from "../services/common/clickhouse/sql.js";
import { consumerLag } from "../services/common/kafka/client.js";
import { loadConfig } from "../services/common/config/env.js";
import type { Processor } from "../services/processor/processor.js";
import {
  count,
  createTestStack,
  postJson,
  prediction,
  startGateway,
  startProcessor,
  waitUntil,
  type TestStack,
} from "./helpers/harness.js";
import { startTcpProxy, type TcpProxy } from "./helpers/tcp-proxy.js";
import { hostPort } from "../infra/local/stack.js";
import { anyRow } from "../services/common/clickhouse/row-schema.js";

describe("ClickHouse outages and rejections", () => {
  let stack: TestStack;
  let proxy: TcpProxy;

  beforeAll(async () => {
    stack = await createTestStack();
    const ch = hostPort(stack.config.clickhouse.url, 8123);
    proxy = await startTcpProxy(ch.host, ch.port);
  });
  afterAll(async () => {
    await proxy?.close();
    await stack?.cleanup();
  });

  it("waits out an outage with retries, commits nothing meanwhile, and then writes everything", async () => {
    // The processor reaches ClickHouse only through the proxy; the test reads it directly.
    const config = loadConfig({ ...stack.env, CLICKHOUSE_URL: `http://127.0.0.1:${proxy.port}` });
    const viaProxy = createClickHouse({ ...config.clickhouse, requestTimeoutMs: 5_000 });
    const gateway = await startGateway(stack.config);
    let processor: Processor | undefined;
    try {
      processor = await startProcessor(config, viaProxy);
      await proxy.cut();
      const events = Array.from({ length: 500 }, (_, i) => prediction(i));
      expect((await postJson(`${gateway.url}/v1/predictions`, events)).status).toBe(202);

      await new Promise((r) => setTimeout(r, 4_000));
      expect(await count(stack, "predictions")).toBe(0);
      const lag = await consumerLag(stack.kafka, config.processor.groupId, [config.topics.predictions]);
      expect(lag[config.topics.predictions]).toBe(500);
      expect(processor.healthcheck()).toBe(true);

      await proxy.restore();
      await waitUntil(
        "the rows after the outage",
        () => count(stack, "prediction_events"),
        (n) => n === 500,
        30_000,
      );
      await waitUntil(
        "the offsets to be committed",
        async () => (await consumerLag(stack.kafka, config.processor.groupId, [config.topics.predictions]))[config.topics.predictions],
        (n) => n === 0,
        15_000,
      );
    } finally {
      await proxy.restore().catch(() => undefined);
      await processor?.stop();
      await gateway.close();
      await viaProxy.close();
    }
  });

  it("splits a batch the server rejects and dead-letters only the rows at fault", async () => {
    const table = `${stack.config.clickhouse.database}.split_probe`;
    await stack.clickhouse.command(sql`CREATE TABLE ${ident(table)} (n UInt32, s String) ENGINE = MergeTree ORDER BY n`);
    const rejected: Array<{ row: Record<string, unknown>; error: string }> = [];
    const writer = new BatchWriter<Record<string, unknown>>(stack.clickhouse, {
      table,
      maxRows: 100,
      maxWaitMs: 10,
      onRejected: async (row, error) => {
        rejected.push({ row, error: error.message });
      },
    });
    const rows: Array<Record<string, unknown>> = Array.from({ length: 8 }, (_, i) => ({ n: i, s: `row ${i}` }));
    rows[5] = { n: "not a number", s: "bad" };
    await writer.write(rows);
    await writer.stop();

    expect(rejected.map((r) => r.row)).toEqual([{ n: "not a number", s: "bad" }]);
    expect(rejected[0]!.error).toMatch(/Code: \d+/);
    const stored = await stack.clickhouse.rows(anyRow<{ n: number }>(), sql`SELECT n FROM ${ident(table)} ORDER BY n`);
    expect(stored.map((r) => Number(r.n))).toEqual([0, 1, 2, 3, 4, 6, 7]);
  });
});
