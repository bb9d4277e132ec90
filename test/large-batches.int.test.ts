/**
 * Big batches of long ids through the join: 5,000 predictions with 64-character ids and then
 * their 5,000 labels, one request each, on one partition so that the metrics consumer reads them
 * in large batches. Each batch's lookups go to ClickHouse as parameters in the request's URL,
 * which ClickHouse caps at 128 KiB per field; a lookup of thousands of such ids in one parameter
 * was refused ("Field value too long") and retried forever, stalling every model's metrics.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "../services/common/clickhouse/sql.js";
import { count, postAll, startPipeline, stopPipeline, waitForProcessor, waitUntil, type Pipeline } from "./helpers/harness.js";

const N = 5_000;
const T0 = Date.UTC(2026, 10, 2, 8);
const id = (i: number) => `${"order-2026-11-02-eu-west-1-checkout-service-".padEnd(56, "x")}${String(i).padStart(8, "0")}`;

describe("large batches of long ids", () => {
  let p: Pipeline;

  beforeAll(async () => {
    p = await startPipeline({ HINDSIGHT_PARTITIONS: "1" });
  });
  afterAll(async () => {
    await stopPipeline(p ?? {});
  });

  it("joins every label, the lookups cut to fit ClickHouse's limit on a parameter", async () => {
    expect(id(1)).toHaveLength(64);
    const predictions = Array.from({ length: N }, (_, i) => ({
      prediction_id: id(i),
      model_id: "orders",
      model_version: "v1",
      timestamp: T0 + i * 100,
      prediction: { label: i % 2 ? "yes" : "no", score: i % 2 ? 0.8 : 0.2 },
    }));
    const labels = predictions.map((x, i) => ({
      prediction_id: x.prediction_id,
      model_id: "orders",
      label: i % 3 ? "yes" : "no",
      labeled_at: x.timestamp + 60_000,
    }));
    // One request each: the gateway takes up to HINDSIGHT_MAX_BATCH_ITEMS events at once.
    await postAll(p.gateway.url, "/v1/predictions", predictions, N);
    await waitForProcessor(p.stack);
    await postAll(p.gateway.url, "/v1/labels", labels, N);
    await waitForProcessor(p.stack, p.stack.config, 120_000);
    expect(
      await waitUntil(
        "every label joined",
        () => count(p.stack, "labeled_predictions", sql`FINAL`),
        (n) => n === N,
      ),
    ).toBe(N);
  }, 240_000);
});
