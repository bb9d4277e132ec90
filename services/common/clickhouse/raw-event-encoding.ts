/**
 * The raw predictions and labels as the processor inserts them: RowBinary (row-binary.ts) in the
 * order of these column lists, each value in its column's type (migrations 001, 011, 017, 020).
 * Columns left out (none today) would take their defaults.
 */
import type { FeatureType, LabelRow, PredictionRow } from "../domain/event-rows.js";
import type { RowBinaryLayout, RowBinaryWriter } from "./row-binary.js";

/** Enum8('null' = 0, 'number' = 1, 'string' = 2, 'boolean' = 3) of predictions.feature_types. */
const FEATURE_TYPE_CODES: Record<FeatureType, number> = { null: 0, number: 1, string: 2, boolean: 3 };

/** The last columns of both tables: how and when the event arrived. */
const ARRIVAL_COLUMNS = ["received_at", "schema_id", "kafka_partition", "kafka_offset", "ingested_at"] as const;

function writeArrival(w: RowBinaryWriter, r: PredictionRow | LabelRow): void {
  w.nullableInt64(r.received_at_ms);
  w.uint32(r.schema_id);
  w.uint32(r.kafka_partition);
  w.int64(r.kafka_offset);
  w.uint32(r.ingested_at);
}

export const PREDICTION_LAYOUT: RowBinaryLayout<PredictionRow> = {
  columns: [
    "prediction_id",
    "model_id",
    "model_version",
    "stage",
    "event_time",
    "feature_keys",
    "feature_types",
    "feature_numbers",
    "feature_strings",
    "pred_label",
    "pred_score",
    "pred_class_keys",
    "pred_class_scores",
    "pred_value",
    "exp_abs_err",
    "exp_sq_err",
    "segment_keys",
    "segment_values",
    "request_id",
    ...ARRIVAL_COLUMNS,
  ],
  write(w, r) {
    w.string(r.prediction_id);
    w.string(r.model_id);
    w.string(r.model_version);
    w.string(r.stage);
    w.int64(r.event_time_ms);
    w.strings(r.feature_keys);
    w.int8s(r.feature_types.map((t) => FEATURE_TYPE_CODES[t]));
    w.nullableFloat64s(r.feature_numbers);
    w.nullableStrings(r.feature_strings);
    w.nullableString(r.pred_label);
    w.nullableFloat64(r.pred_score);
    w.strings(r.pred_class_keys);
    w.float64s(r.pred_class_scores);
    w.nullableFloat64(r.pred_value);
    w.nullableFloat64(r.exp_abs_err);
    w.nullableFloat64(r.exp_sq_err);
    w.strings(r.segment_keys);
    w.strings(r.segment_values);
    w.string(r.request_id);
    writeArrival(w, r);
  },
};

export const LABEL_LAYOUT: RowBinaryLayout<LabelRow> = {
  columns: ["prediction_id", "model_id", "request_id", "label", "value", "labeled_at", "source", ...ARRIVAL_COLUMNS],
  write(w, r) {
    w.string(r.prediction_id);
    w.string(r.model_id);
    w.string(r.request_id);
    w.nullableString(r.label);
    w.nullableFloat64(r.value);
    w.int64(r.labeled_at_ms);
    w.string(r.source);
    writeArrival(w, r);
  },
};
