import { describe, expect, it } from "vitest";
import type { LabelEvent, PredictionEvent } from "../../../schemas/events.js";
import { dateTime64, labelRow, predictionRow, type SourcePosition } from "./event-rows.js";

const AT: SourcePosition = { partition: 2, offset: 41_337, schemaId: 1, ingestedAtS: 1763900000 };

const prediction = (over: Partial<PredictionEvent> = {}): PredictionEvent => ({
  prediction_id: "pred-1",
  model_id: "fraud-v2",
  model_version: "2025.11.1",
  stage: "production",
  timestamp: 1763892000999,
  features: {},
  prediction: { label: "fraud", score: 0.93, scores: null, value: null },
  segments: {},
  received_at: null,
  ...over,
});

describe("predictionRow", () => {
  it("types each feature into the parallel arrays, keeping their order", () => {
    const row = predictionRow(
      prediction({ features: { amount: 12.5, country: "DE", is_new: true, is_vip: false, referrer: null, zero: 0, blank: "" } }),
      AT,
    );
    expect(row.feature_keys).toEqual(["amount", "country", "is_new", "is_vip", "referrer", "zero", "blank"]);
    expect(row.feature_types).toEqual(["number", "string", "boolean", "boolean", "null", "number", "string"]);
    // Booleans are both 1/0 and "true"/"false"; falsy numbers and strings are not mistaken for null.
    expect(row.feature_numbers).toEqual([12.5, null, 1, 0, null, 0, null]);
    expect(row.feature_strings).toEqual([null, "DE", "true", "false", null, null, ""]);
  });

  it("gives empty arrays for no features, segments or class scores", () => {
    const row = predictionRow(prediction(), AT);
    expect([row.feature_keys, row.feature_types, row.feature_numbers, row.feature_strings]).toEqual([[], [], [], []]);
    expect([row.segment_keys, row.segment_values, row.pred_class_keys, row.pred_class_scores]).toEqual([[], [], [], []]);
  });

  it("splits multiclass scores into keys and values in the same order", () => {
    const row = predictionRow(
      prediction({ prediction: { label: "cat", score: null, scores: { cat: 0.7, dog: 0.2, bird: 0.1 }, value: null } }),
      AT,
    );
    expect(row.pred_class_keys).toEqual(["cat", "dog", "bird"]);
    expect(row.pred_class_scores).toEqual([0.7, 0.2, 0.1]);
    expect(row.pred_label).toBe("cat");
    expect(row.pred_score).toBeNull();
  });

  it("keeps class names and scores paired when JavaScript reorders integer-like keys", () => {
    const row = predictionRow(
      prediction({ prediction: { label: null, score: null, scores: { "2": 0.1, "0": 0.6, "1": 0.3 }, value: null } }),
      AT,
    );
    expect(row.pred_class_keys).toEqual(["0", "1", "2"]);
    expect(row.pred_class_scores).toEqual([0.6, 0.3, 0.1]);
  });

  it("maps outputs, segments, times and the Kafka position", () => {
    const row = predictionRow(
      prediction({
        prediction: { label: null, score: null, scores: null, value: -3.25 },
        segments: { region: "eu", tier: "gold" },
        received_at: 1763892001500,
      }),
      AT,
    );
    expect(row).toEqual({
      prediction_id: "pred-1",
      model_id: "fraud-v2",
      model_version: "2025.11.1",
      stage: "production",
      event_time_ms: 1763892000999,
      feature_keys: [],
      feature_types: [],
      feature_numbers: [],
      feature_strings: [],
      pred_label: null,
      pred_score: null,
      pred_class_keys: [],
      pred_class_scores: [],
      pred_value: -3.25,
      segment_keys: ["region", "tier"],
      segment_values: ["eu", "gold"],
      request_id: "",
      received_at_ms: 1763892001500,
      schema_id: 1,
      kafka_partition: 2,
      kafka_offset: 41_337,
      ingested_at: 1763900000,
    });
  });
});

describe("dateTime64", () => {
  // The exact decimal text of ms / 1000, by integer arithmetic: what ClickHouse must read.
  const exact = (ms: bigint): string => {
    const frac = (ms % 1000n).toString().padStart(3, "0").replace(/0+$/, "");
    return frac === "" ? `${ms / 1000n}` : `${ms / 1000n}.${frac}`;
  };

  it("prints every millisecond as its exact decimal, up to 10^15", () => {
    let seed = 12345;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const samples = [0, 1, 999, 1000, 1001, 1763892000999, 1763892000000, 999_999_999_999_999];
    for (let i = 0; i < 20_000; i++) samples.push(Math.floor(next() * 1e15), Math.floor(next() * 4e12));
    for (const ms of samples) expect(JSON.stringify(dateTime64(ms))).toBe(exact(BigInt(ms)));
  });
});

describe("labelRow", () => {
  const label = (over: Partial<LabelEvent> = {}): LabelEvent => ({
    prediction_id: "pred-1",
    model_id: "fraud-v2",
    label: "fraud",
    value: null,
    labeled_at: 1763892000999,
    source: "chargebacks",
    received_at: null,
    ...over,
  });

  it("maps every field, with the Kafka position", () => {
    expect(labelRow(label(), { partition: 0, offset: 7, schemaId: 2, ingestedAtS: 1763900000 })).toEqual({
      prediction_id: "pred-1",
      model_id: "fraud-v2",
      label: "fraud",
      value: null,
      labeled_at_ms: 1763892000999,
      source: "chargebacks",
      request_id: "",
      received_at_ms: null,
      schema_id: 2,
      kafka_partition: 0,
      kafka_offset: 7,
      ingested_at: 1763900000,
    });
  });

  it("keeps the request a label is for ('' when it names only its prediction)", () => {
    expect(labelRow(label({ prediction_id: "", request_id: "req-17" }), AT)).toMatchObject({ prediction_id: "", request_id: "req-17" });
    expect(labelRow(label({ request_id: null }), AT).request_id).toBe("");
  });

  it("keeps a regression value and received_at", () => {
    const row = labelRow(label({ label: null, value: 0, received_at: 1763892005000 }), AT);
    expect(row.label).toBeNull();
    expect(row.value).toBe(0);
    expect(row.received_at_ms).toBe(1763892005000);
  });
});
