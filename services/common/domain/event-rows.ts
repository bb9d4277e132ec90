/**
 * Maps validated events to the rows of the raw ClickHouse tables (see migration 001). Pure: the
 * Kafka coordinates come in as arguments. Rows keep times as epoch milliseconds, as the domain
 * uses them; the processor stores them as DateTime64(3) (clickhouse/raw-event-encoding.ts).
 */
import type { LabelEvent, PredictionEvent } from "../../../schemas/events.js";

/** Where a row came from and when it was ingested. */
export interface SourcePosition {
  partition: number;
  offset: number;
  schemaId: number;
  ingestedAtS: number;
}

export type FeatureType = "null" | "number" | "string" | "boolean";

export interface PredictionRow {
  prediction_id: string;
  model_id: string;
  model_version: string;
  stage: string;
  event_time_ms: number;
  feature_keys: string[];
  feature_types: FeatureType[];
  feature_numbers: Array<number | null>;
  feature_strings: Array<string | null>;
  pred_label: string | null;
  pred_score: number | null;
  pred_class_keys: string[];
  pred_class_scores: number[];
  pred_value: number | null;
  /**
   * A regression prediction's expected |error| and error² under its version's error model, stamped
   * by the processor at ingest (version-error-model.ts); absent or null when it had none.
   */
  exp_abs_err?: number | null;
  exp_sq_err?: number | null;
  segment_keys: string[];
  segment_values: string[];
  /** The request shared by the variants that scored it; '' when none was given. */
  request_id: string;
  received_at_ms: number | null;
  schema_id: number;
  kafka_partition: number;
  kafka_offset: number;
  ingested_at: number;
}

export interface LabelRow {
  /** '' in a label for a whole request. */
  prediction_id: string;
  model_id: string;
  /** A label for a request reaches every variant's prediction of it; '' when none was given. */
  request_id: string;
  label: string | null;
  value: number | null;
  labeled_at_ms: number;
  source: string;
  received_at_ms: number | null;
  schema_id: number;
  kafka_partition: number;
  kafka_offset: number;
  ingested_at: number;
}

export function predictionRow(e: PredictionEvent, at: SourcePosition): PredictionRow {
  const keys = Object.keys(e.features);
  const types: FeatureType[] = new Array(keys.length);
  const numbers: Array<number | null> = new Array(keys.length);
  const strings: Array<string | null> = new Array(keys.length);
  for (let i = 0; i < keys.length; i++) {
    const v = e.features[keys[i]!];
    if (typeof v === "number") {
      types[i] = "number";
      numbers[i] = v;
      strings[i] = null;
    } else if (typeof v === "string") {
      types[i] = "string";
      numbers[i] = null;
      strings[i] = v;
    } else if (typeof v === "boolean") {
      // Booleans are also numbers (0/1) so that drift and means work on them unchanged.
      types[i] = "boolean";
      numbers[i] = v ? 1 : 0;
      strings[i] = v ? "true" : "false";
    } else {
      types[i] = "null";
      numbers[i] = null;
      strings[i] = null;
    }
  }
  const scores = e.prediction.scores ?? {};
  return {
    prediction_id: e.prediction_id,
    model_id: e.model_id,
    model_version: e.model_version,
    stage: e.stage,
    event_time_ms: e.timestamp,
    feature_keys: keys,
    feature_types: types,
    feature_numbers: numbers,
    feature_strings: strings,
    pred_label: e.prediction.label,
    pred_score: e.prediction.score,
    pred_class_keys: Object.keys(scores),
    pred_class_scores: Object.values(scores),
    pred_value: e.prediction.value,
    segment_keys: Object.keys(e.segments),
    segment_values: Object.values(e.segments),
    request_id: e.request_id ?? "",
    received_at_ms: e.received_at,
    schema_id: at.schemaId,
    kafka_partition: at.partition,
    kafka_offset: at.offset,
    ingested_at: at.ingestedAtS,
  };
}

export function labelRow(e: LabelEvent, at: SourcePosition): LabelRow {
  return {
    prediction_id: e.prediction_id,
    model_id: e.model_id,
    request_id: e.request_id ?? "",
    label: e.label,
    value: e.value,
    labeled_at_ms: e.labeled_at,
    source: e.source,
    received_at_ms: e.received_at,
    schema_id: at.schemaId,
    kafka_partition: at.partition,
    kafka_offset: at.offset,
    ingested_at: at.ingestedAtS,
  };
}

/**
 * A DateTime64(3) value as JSONEachRow carries it: seconds with the millisecond as a fraction.
 * ClickHouse reads the decimal text exactly, and `ms / 1000` prints as that text for every
 * millisecond below 10^15 (at most 15 significant digits round-trip); a plain integer would be
 * read as seconds.
 */
export const dateTime64 = (ms: number): number => ms / 1000;
