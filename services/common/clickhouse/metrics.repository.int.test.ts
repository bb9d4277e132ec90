/**
 * The join's look-ups against real ClickHouse: one statement serves every model of a batch (its
 * models and ids as two lists), so it also finds rows pairing one key's model with another key's
 * id; those are dropped, by prediction and by request, for predictions and for labels alike.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestStack, type TestStack } from "../../../test/helpers/harness.js";
import { metricsRepository } from "./metrics.repository.js";

describe("join look-ups across models", () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await createTestStack();
    const db = stack.config.clickhouse.database;
    const at = "2026-12-01 00:00:00.000";
    // Both models hold both ids, and request r1 on both.
    const predictions = [
      { model_id: "a", prediction_id: "x1", request_id: "r1" },
      { model_id: "a", prediction_id: "x2", request_id: "" },
      { model_id: "b", prediction_id: "x1", request_id: "" },
      { model_id: "b", prediction_id: "x2", request_id: "r1" },
    ].map((p) => `${JSON.stringify({ ...p, model_version: "v1", stage: "production", event_time: at, pred_label: "yes" })}\n`);
    const labels = [
      { model_id: "a", prediction_id: "x1", request_id: "r1" },
      { model_id: "a", prediction_id: "x2", request_id: "" },
      { model_id: "b", prediction_id: "x1", request_id: "" },
      { model_id: "b", prediction_id: "x2", request_id: "r1" },
    ].map((l) => `${JSON.stringify({ ...l, label: "yes", labeled_at: at, source: "t" })}\n`);
    await stack.clickhouse.insertJsonEachRow(`${db}.predictions`, predictions);
    await stack.clickhouse.insertJsonEachRow(`${db}.labels`, labels);
  }, 120_000);
  afterAll(async () => {
    await stack?.cleanup();
  });

  const pairs = (rows: Array<{ model_id: string; prediction_id: string }>) => rows.map((r) => `${r.model_id}/${r.prediction_id}`).sort();

  it("finds each key's own model's rows by prediction id, and no other model's", async () => {
    const repo = metricsRepository(stack.clickhouse);
    const keys = [
      { model_id: "a", prediction_id: "x1", request_id: "" },
      { model_id: "b", prediction_id: "x2", request_id: "" },
    ];
    expect(pairs(await repo.findPredictions(keys))).toEqual(["a/x1", "b/x2"]);
    expect(pairs(await repo.findLabels(keys))).toEqual(["a/x1", "b/x2"]);
  });

  it("finds a request's variants within its own model only", async () => {
    const repo = metricsRepository(stack.clickhouse);
    // Model a asks for request r2 (none), model b for r1: a's own r1 row must not come back.
    const keys = [
      { model_id: "a", prediction_id: "none", request_id: "r2" },
      { model_id: "b", prediction_id: "none", request_id: "r1" },
    ];
    expect(pairs(await repo.findPredictions(keys))).toEqual(["b/x2"]);
    expect(pairs(await repo.findLabels(keys))).toEqual(["b/x2"]);
  });
});
