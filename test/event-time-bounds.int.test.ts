/**
 * Rows stamped in the last half second before a bound of the event-time range a statement reads,
 * alone in their part (a batch just inserted), against real ClickHouse. ClickHouse 26.9's
 * primary-key analysis compared `event_time < toDateTime(t)` at whole seconds and skipped such a
 * part, so a live batch stamped 0.15 s before the end of its cell or window was missing from its
 * label statistics and volume until some later recomputation (eventSeconds in sql.ts).
 */
import { describe, expect, it } from "vitest";
import { useTestStack } from "./helpers/harness.js";
import type { ModelSpec } from "../services/common/domain/model-spec.js";
import { metricsRepository } from "../services/common/clickhouse/metrics.repository.js";
import { int, row } from "../services/common/clickhouse/row-schema.js";
import { ident, sql } from "../services/common/clickhouse/sql.js";

const BASE = 300;
const CELL = 10;
const W = 1_796_656_200 - BASE;

describe("event-time bounds", () => {
  const stack = useTestStack();
  const t = (name: string) => ident(`${stack.config.clickhouse.database}.${name}`);

  /** One insert (one part) of `n` predictions of the model, every one at `atMs`, labelled too. */
  async function batch(spec: ModelSpec, atMs: number, n: number): Promise<void> {
    const db = stack.config.clickhouse.database;
    const predictions = Array.from({ length: n }, (_, i) => ({
      model_id: spec.modelId,
      prediction_id: `${atMs}-${i}`,
      model_version: "v1",
      stage: "production",
      event_time: atMs / 1000,
      pred_score: 0.9,
    }));
    await stack.clickhouse.insertJsonEachRow(
      `${db}.predictions`,
      predictions.map((p) => `${JSON.stringify(p)}\n`),
    );
    const labelled = predictions.map((p) => ({
      ...p,
      label: "yes",
      labeled_at: atMs / 1000,
      source: "test",
      delay_ms: 0,
      label_version: 1,
    }));
    await stack.clickhouse.insertJsonEachRow(
      `${db}.labeled_predictions`,
      labelled.map((l) => `${JSON.stringify(l)}\n`),
    );
  }

  async function counted(spec: ModelSpec): Promise<{ labeled: number; predictions: number }> {
    const [labels] = await stack.clickhouse.rows(
      row({ n: int }),
      sql`SELECT sum(labeled) AS n FROM ${t("window_label_stats")} FINAL WHERE model_id = ${spec.modelId} AND slice_key = ''`,
    );
    const [volume] = await stack.clickhouse.rows(
      row({ n: int }),
      sql`SELECT sum(predictions) AS n FROM ${t("window_volume")} FINAL WHERE model_id = ${spec.modelId} AND slice_key = ''`,
    );
    return { labeled: labels?.n ?? 0, predictions: volume?.n ?? 0 };
  }

  const spec = (modelId: string): ModelSpec => ({
    modelId,
    task: "binary",
    positiveClass: "yes",
    threshold: 0.5,
    sliceKeys: [],
    declared: true,
  });

  it("counts a batch stamped 0.15 s before its window ends, computed whole", async () => {
    const s = spec("bounds-window");
    const repo = metricsRepository(stack.clickhouse);
    await batch(s, (W + BASE) * 1000 - 150, 50);
    await repo.recomputeLabelStats(s, BASE, [W]);
    await repo.recomputeVolume(s, BASE, [W]);
    expect(await counted(s)).toEqual({ labeled: 50, predictions: 50 });
  });

  it("counts a batch stamped 0.15 s before its cell ends, computed by that cell", async () => {
    const s = spec("bounds-cell");
    const repo = metricsRepository(stack.clickhouse);
    const cell = W + 120;
    // The window has cells already (an earlier batch), so only the marked cell is read.
    await batch(s, W * 1000 + 500, 20);
    await repo.recomputeLabelStats(s, BASE, [W]);
    await repo.recomputeVolume(s, BASE, [W]);
    await batch(s, (cell + CELL) * 1000 - 150, 30);
    await repo.recomputeLabelStats(s, BASE, [W], [cell]);
    await repo.recomputeVolume(s, BASE, [W], [cell]);
    expect(await counted(s)).toEqual({ labeled: 50, predictions: 50 });
  });
});
