/**
 * The raw predictions and labels written as RowBinary through the processor's writer, read back
 * from real ClickHouse column by column: every value must come back as the row held it, hostile
 * strings, nulls, empty arrays, booleans, 64-bit offsets and millisecond times included. A layout
 * whose columns or types drift from the table's fails here (wrong values) or at the insert.
 */
import { describe, expect, it } from "vitest";
import { useTestStack } from "../../../test/helpers/harness.js";
import type { LabelRow, PredictionRow } from "../domain/event-rows.js";
import { BatchWriter } from "./batch-writer.js";
import { LABEL_LAYOUT, PREDICTION_LAYOUT } from "./raw-event-encoding.js";
import { anyRow } from "./row-schema.js";
import { ident, sql } from "./sql.js";

const HOSTILE = ["", "é☃😀", "a\u0000b", "tab\tnew\nline", "quote'\"\\", "x".repeat(5_000)];

function prediction(i: number): PredictionRow {
  return {
    prediction_id: `p${i}-${HOSTILE[i % HOSTILE.length]!.slice(0, 40)}`,
    model_id: "fraud",
    model_version: i % 2 ? "v2" : "v1",
    stage: "production",
    event_time_ms: Date.UTC(2026, 11, 1) + i * 1_001 + 999,
    feature_keys: ["amount", "country", "flag", "missing", HOSTILE[i % HOSTILE.length]! || "k"],
    feature_types: ["number", "string", "boolean", "null", "string"],
    feature_numbers: [i * 0.1 - 3.25, null, i % 2, null, null],
    feature_strings: [null, HOSTILE[(i + 1) % HOSTILE.length]!, i % 2 ? "true" : "false", null, "v"],
    pred_label: i % 3 === 0 ? null : "yes",
    pred_score: i % 4 === 0 ? null : 1 / (i + 3),
    pred_class_keys: i % 2 ? ["a", "b"] : [],
    pred_class_scores: i % 2 ? [0.25, 0.75] : [],
    pred_value: i % 5 === 0 ? -1e300 : null,
    exp_abs_err: i % 2 ? 0.5 : null,
    exp_sq_err: i % 2 ? 0.375 : null,
    segment_keys: ["region"],
    segment_values: [HOSTILE[i % HOSTILE.length]!],
    request_id: i % 3 === 0 ? `r${i}` : "",
    received_at_ms: i % 2 ? Date.UTC(2026, 11, 1) + 1 : null,
    schema_id: 4_000_000_000,
    kafka_partition: i % 3,
    kafka_offset: 2 ** 40 + i,
    ingested_at: 1_796_000_000 + i,
  };
}

function label(i: number): LabelRow {
  return {
    prediction_id: i % 4 === 0 ? "" : `p${i}`,
    model_id: "fraud",
    request_id: i % 4 === 0 ? `r${i}` : "",
    label: i % 3 === 0 ? null : HOSTILE[i % HOSTILE.length]!.slice(0, 100) || "no",
    value: i % 3 === 0 ? 1.7e9 + i : null,
    labeled_at_ms: Date.UTC(2026, 11, 2) + i,
    source: "crm",
    received_at_ms: i % 2 ? null : Date.UTC(2026, 11, 2) + 7,
    schema_id: 2,
    kafka_partition: 1,
    kafka_offset: Number.MAX_SAFE_INTEGER - i,
    ingested_at: 1_796_000_000,
  };
}

describe("raw events as RowBinary", () => {
  const stack = useTestStack();

  const write = async <R extends object>(table: string, layout: typeof PREDICTION_LAYOUT | typeof LABEL_LAYOUT, rows: R[]) => {
    const writer = new BatchWriter<R>(stack.clickhouse, {
      table: `${stack.config.clickhouse.database}.${table}`,
      binary: layout as never,
      maxRows: 1_000,
      maxWaitMs: 10,
      onRejected: async (_row, error) => {
        throw error;
      },
    });
    // Three writes in one insert: each write's rows are encoded apart and sent one after another.
    const third = Math.ceil(rows.length / 3);
    await Promise.all([0, 1, 2].map((k) => writer.write(rows.slice(k * third, (k + 1) * third))));
    await writer.stop();
  };

  it("stores every prediction value as the row held it", async () => {
    const rows = Array.from({ length: 30 }, (_, i) => prediction(i));
    await write("predictions", PREDICTION_LAYOUT, rows);
    const stored = await stack.clickhouse.rows(
      anyRow<Record<string, unknown>>(),
      sql`SELECT prediction_id, model_id, model_version, stage, toUnixTimestamp64Milli(event_time) AS event_time_ms,
                 feature_keys, CAST(feature_types, 'Array(String)') AS feature_types, feature_numbers, feature_strings,
                 pred_label, pred_score, pred_class_keys, pred_class_scores, pred_value, exp_abs_err, exp_sq_err,
                 segment_keys, segment_values, request_id, toUnixTimestamp64Milli(received_at) AS received_at_ms,
                 schema_id, kafka_partition, kafka_offset, toUnixTimestamp(ingested_at) AS ingested_at
          FROM ${ident(`${stack.config.clickhouse.database}.predictions`)} ORDER BY kafka_offset`,
    );
    // 64-bit integers come back as JSON strings.
    const asStored = (r: PredictionRow) => ({
      ...r,
      event_time_ms: String(r.event_time_ms),
      received_at_ms: r.received_at_ms === null ? null : String(r.received_at_ms),
      kafka_offset: String(r.kafka_offset),
    });
    expect(stored).toEqual(rows.map(asStored));
  });

  it("stores every label value as the row held it", async () => {
    const rows = Array.from({ length: 12 }, (_, i) => label(i)).reverse();
    await write("labels", LABEL_LAYOUT, rows);
    const stored = await stack.clickhouse.rows(
      anyRow<Record<string, unknown>>(),
      sql`SELECT prediction_id, model_id, request_id, label, value, toUnixTimestamp64Milli(labeled_at) AS labeled_at_ms, source,
                 toUnixTimestamp64Milli(received_at) AS received_at_ms, schema_id, kafka_partition, kafka_offset,
                 toUnixTimestamp(ingested_at) AS ingested_at
          FROM ${ident(`${stack.config.clickhouse.database}.labels`)} ORDER BY kafka_offset`,
    );
    const asStored = (r: LabelRow) => ({
      ...r,
      labeled_at_ms: String(r.labeled_at_ms),
      received_at_ms: r.received_at_ms === null ? null : String(r.received_at_ms),
      kafka_offset: String(r.kafka_offset),
    });
    expect(stored).toEqual(rows.map(asStored));
  });

  it("refuses a layout whose columns the table does not have, naming the column", async () => {
    const wrong = { ...LABEL_LAYOUT, columns: [...LABEL_LAYOUT.columns.slice(0, -1), "no_such_column"] };
    await expect(
      stack.clickhouse.insertRowBinary(`${stack.config.clickhouse.database}.labels`, wrong.columns, [Buffer.alloc(0)]),
    ).rejects.toThrow(/no_such_column/);
  });
});
