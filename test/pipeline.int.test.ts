/**
 * The whole path over HTTP on the real stack: gateway → Kafka → processor → ClickHouse, with exact
 * deduplicated counts, re-posted batches, and dead-lettering of what cannot be used.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encode, decode } from "../services/common/kafka/avro-codec.js";
import { createProducer } from "../services/common/kafka/client.js";
import type { Processor } from "../services/processor/processor.js";
import { count, label, postJson, prediction, startPipeline, stopPipeline, waitUntil, type TestStack } from "./helpers/harness.js";
import { readTopic } from "./helpers/kafka.js";
import { ident, sql } from "../services/common/clickhouse/sql.js";
import { anyRow } from "../services/common/clickhouse/row-schema.js";

describe("ingestion pipeline", () => {
  let stack: TestStack;
  let gateway: { url: string; close: () => Promise<void> };
  let processor: Processor;

  beforeAll(async () => {
    ({ stack, gateway, processor } = await startPipeline());
  });
  afterAll(() => stopPipeline({ stack, gateway, processor }));

  it("stores 1,000 predictions and their 1,000 labels within 10 s, and re-posting changes no count", async () => {
    const predictions = Array.from({ length: 1000 }, (_, i) => prediction(i));
    const labels = Array.from({ length: 1000 }, (_, i) => label(i));
    const started = Date.now();
    expect(await postJson(`${gateway.url}/v1/predictions`, predictions)).toEqual({ status: 202, body: { accepted: 1000, rejected: [] } });
    expect(await postJson(`${gateway.url}/v1/labels`, labels)).toEqual({ status: 202, body: { accepted: 1000, rejected: [] } });
    await waitUntil(
      "1,000 + 1,000 rows",
      async () => [await count(stack, "prediction_events"), await count(stack, "label_events")],
      ([p, l]) => p === 1000 && l === 1000,
      10_000,
    );
    expect(Date.now() - started).toBeLessThan(10_000);

    // The same batches again: raw rows double, the deduplicated views do not.
    await postJson(`${gateway.url}/v1/predictions`, predictions);
    await postJson(`${gateway.url}/v1/labels`, labels);
    await waitUntil(
      "re-posted rows to land",
      () => count(stack, "predictions"),
      (n) => n >= 2000 || n === 1000,
      10_000,
    );
    await waitUntil(
      "re-posted labels to land",
      () => count(stack, "labels"),
      (n) => n >= 2000 || n === 1000,
      10_000,
    );
    expect(await count(stack, "prediction_events")).toBe(1000);
    expect(await count(stack, "label_events")).toBe(1000);
  });

  it("keeps every field of a prediction as sent", async () => {
    const event = {
      prediction_id: "p-fields",
      model_id: "fraud",
      model_version: "v3",
      stage: "production",
      timestamp: "2026-11-23T10:00:00.000Z",
      features: { amount: 12.5, country: "DE", age: null, is_new: true },
      prediction: { label: "fraud", score: 0.93 },
      segments: { country: "DE", device: "ios" },
    };
    await postJson(`${gateway.url}/v1/predictions`, [event]);
    const rows = await waitUntil(
      "the row",
      () => stack.clickhouse.rows(anyRow<Record<string, unknown>>(), sqlSelect(stack, "prediction_events", "p-fields")),
      (r) => r.length === 1,
    );
    expect(rows[0]).toMatchObject({
      model_version: "v3",
      stage: "production",
      event_time: "2026-11-23 10:00:00.000",
      feature_keys: ["amount", "country", "age", "is_new"],
      feature_types: ["number", "string", "null", "boolean"],
      feature_numbers: [12.5, null, null, 1],
      feature_strings: [null, "DE", null, "true"],
      pred_label: "fraud",
      pred_score: 0.93,
      segment_keys: ["country", "device"],
      segment_values: ["DE", "ios"],
    });
  });

  it("accepts the valid items of a batch and reports the malformed one with its path", async () => {
    const bad = { ...prediction(5001), prediction: { score: 1.7 } };
    const answer = await postJson(`${gateway.url}/v1/predictions`, [prediction(5000), bad, prediction(5002)]);
    expect(answer.status).toBe(202);
    expect(answer.body.accepted).toBe(2);
    expect(answer.body.rejected).toEqual([{ index: 1, path: "prediction.score", message: "must be a probability in [0, 1]" }]);
    await waitUntil(
      "the two valid rows",
      () => count(stack, "prediction_events", sqlWhereIds(["p-5000", "p-5001", "p-5002"])),
      (n) => n === 2,
    );
  });

  it("dead-letters an undecodable message with its reason and origin, and later messages still arrive", async () => {
    const kafkaProducer = await createProducer(stack.kafka);
    const garbage = Buffer.from("definitely not avro");
    const invalid = encode("prediction", { ...validWire("p-invalid"), prediction: { label: null, score: 3, scores: null, value: null } });
    await kafkaProducer.send(stack.config.topics.predictions, [
      { key: "p-garbage", value: garbage },
      { key: "p-invalid", value: invalid },
      { key: "p-after", value: encode("prediction", validWire("p-after")) },
    ]);
    await kafkaProducer.disconnect();

    await waitUntil(
      "the message after the bad ones",
      () => count(stack, "prediction_events", sqlWhereIds(["p-after"])),
      (n) => n === 1,
    );
    const letters = (await readTopic(stack.kafka, stack.config.topics.dlq, 2)).map((m) => ({
      headers: m.headers,
      record: decode("deadLetter", m.value),
    }));
    const byKey = new Map(letters.map((l) => [l.record.key?.toString(), l]));
    const undecodable = byKey.get("p-garbage")!;
    expect(undecodable.record).toMatchObject({
      reason: "undecodable",
      step: "decode",
      source_topic: stack.config.topics.predictions,
      service: "processor",
    });
    expect(undecodable.record.message).toMatch(/magic byte|too short/);
    expect(Buffer.compare(undecodable.record.payload, garbage)).toBe(0);
    expect(undecodable.headers["hindsight-dlq-reason"]).toBe("undecodable");
    expect(undecodable.headers["hindsight-dlq-source"]).toMatch(
      new RegExp(`^${stack.config.topics.predictions.replaceAll(".", "\\.")}/\\d+/\\d+$`),
    );
    const rejected = byKey.get("p-invalid")!;
    expect(rejected.record).toMatchObject({ reason: "invalid", step: "validate" });
    expect(rejected.record.message).toContain("prediction.score");
    expect(await count(stack, "prediction_events", sqlWhereIds(["p-garbage", "p-invalid"]))).toBe(0);
  });
});

function validWire(id: string) {
  return {
    prediction_id: id,
    model_id: "fraud",
    model_version: "v3",
    stage: "production",
    timestamp: Date.UTC(2026, 10, 23),
    features: { amount: 1 },
    prediction: { label: "legit", score: 0.1, scores: null, value: null },
    segments: {},
    received_at: null,
  };
}

function sqlWhereIds(ids: string[]) {
  return sql`WHERE has(${ids}, prediction_id)`;
}
function sqlSelect(stack: TestStack, view: string, id: string) {
  return sql`SELECT * FROM ${ident(`${stack.config.clickhouse.database}.${view}`)} WHERE prediction_id = ${id}`;
}
