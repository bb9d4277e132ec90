import { describe, expect, it } from "vitest";
import { join, joinAll, labelVersion, type JoinableLabel, type JoinablePrediction } from "./label-join.js";

const DAY = 86_400_000;
const prediction: JoinablePrediction = {
  prediction_id: "p-1",
  model_id: "fraud",
  model_version: "v3",
  stage: "production",
  event_time_ms: Date.UTC(2026, 10, 1, 12, 0, 0, 250),
  pred_label: "fraud",
  pred_score: 0.9,
  pred_class_keys: [],
  pred_class_scores: [],
  pred_value: null,
  segment_keys: ["country"],
  segment_values: ["DE"],
};
const label = (over: Partial<JoinableLabel> = {}): JoinableLabel => ({
  prediction_id: "p-1",
  model_id: "fraud",
  label: "legit",
  value: null,
  labeled_at_ms: prediction.event_time_ms + 3 * DAY,
  source: "chargebacks",
  ...over,
});

describe("label join", () => {
  it("records the feedback delay and the prediction's attributes", () => {
    const outcome = join(prediction, label(), 30 * DAY);
    expect("joined" in outcome && outcome.joined).toMatchObject({
      delay_ms: 3 * DAY,
      event_time: Math.floor(Date.UTC(2026, 10, 1, 12) / 1000),
      segment_values: ["DE"],
      label: "legit",
      source: "chargebacks",
    });
  });

  it("joins up to the horizon and not a millisecond later", () => {
    expect("joined" in join(prediction, label({ labeled_at_ms: prediction.event_time_ms + 30 * DAY }), 30 * DAY)).toBe(true);
    expect(join(prediction, label({ labeled_at_ms: prediction.event_time_ms + 30 * DAY + 1 }), 30 * DAY)).toEqual({ beyondHorizon: true });
  });

  it("keeps a label stamped before its prediction, with a negative delay for all to see", () => {
    const outcome = join(prediction, label({ labeled_at_ms: prediction.event_time_ms - 5_000 }), 30 * DAY);
    expect("joined" in outcome && outcome.joined.delay_ms).toBe(-5_000);
  });

  it("orders label observations by time, then by a stable tie-break", () => {
    const early = label({ labeled_at_ms: 1_000_000 });
    const later = label({ labeled_at_ms: 1_000_001 });
    expect(labelVersion(later)).toBeGreaterThan(labelVersion(early));
    // Same time, different content: some order, always the same one.
    const a = labelVersion(label({ labeled_at_ms: 1_000_000, label: "fraud" }));
    const b = labelVersion(label({ labeled_at_ms: 1_000_000, label: "legit" }));
    expect(a).not.toBe(b);
    expect(labelVersion(label({ labeled_at_ms: 1_000_000, label: "fraud" }))).toBe(a);
    expect(Math.floor(a / 1024)).toBe(1_000_000);
  });

  it("matches labels by model and id, skipping the unmatched and counting the too late", () => {
    const other = { ...prediction, prediction_id: "p-2" };
    const result = joinAll(
      [prediction, other],
      [label(), label({ prediction_id: "p-2" }), label({ prediction_id: "p-3" }), label({ model_id: "other" }), label({ prediction_id: "p-2", labeled_at_ms: prediction.event_time_ms + 31 * DAY })],
      30 * DAY,
    );
    expect(result.joined.map((j) => j.prediction_id)).toEqual(["p-1", "p-2"]);
    expect(result.beyondHorizon).toBe(1);
  });
});
