import { describe, expect, it } from "vitest";
import { compareLabels, join, joinAll, joinedRecord, labelVersion, type JoinableLabel, type JoinablePrediction } from "./label-join.js";

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
  request_id: "",
};
const label = (over: Partial<JoinableLabel> = {}): JoinableLabel => ({
  prediction_id: "p-1",
  model_id: "fraud",
  request_id: "",
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
      event_time_ms: Date.UTC(2026, 10, 1, 12, 0, 0, 250),
      segment_values: ["DE"],
      label: "legit",
      source: "chargebacks",
    });
  });

  it("stores both times as DateTime64(3)", () => {
    const outcome = join(prediction, label({ labeled_at_ms: Date.UTC(2026, 10, 4, 12) + 7 }), 30 * DAY);
    const record = joinedRecord("joined" in outcome ? outcome.joined : (undefined as never)) as Record<string, unknown>;
    expect(record.event_time).toBe(1793534400.25);
    expect(record.labeled_at).toBe((Date.UTC(2026, 10, 4, 12) + 7) / 1000);
    expect(record).not.toHaveProperty("event_time_ms");
    expect(record).not.toHaveProperty("labeled_at_ms");
  });

  it("joins up to the horizon and not a millisecond later", () => {
    expect("joined" in join(prediction, label({ labeled_at_ms: prediction.event_time_ms + 30 * DAY }), 30 * DAY)).toBe(true);
    expect(join(prediction, label({ labeled_at_ms: prediction.event_time_ms + 30 * DAY + 1 }), 30 * DAY)).toEqual({ beyondHorizon: true });
  });

  it("keeps a label stamped before its prediction, with a negative delay for all to see", () => {
    const outcome = join(prediction, label({ labeled_at_ms: prediction.event_time_ms - 5_000 }), 30 * DAY);
    expect("joined" in outcome && outcome.joined.delay_ms).toBe(-5_000);
  });

  it("orders label observations by time, then source, then label, then value: a total order", () => {
    const early = label({ labeled_at_ms: 1_000_000 });
    const later = label({ labeled_at_ms: 1_000_001 });
    expect(labelVersion(later)).toBeGreaterThan(labelVersion(early));
    expect(compareLabels(later, early)).toBeGreaterThan(0);
    expect(compareLabels(label({ source: "b", label: "a" }), label({ source: "a", label: "z" }))).toBeGreaterThan(0);
    expect(compareLabels(label({ label: "legit" }), label({ label: "fraud" }))).toBeGreaterThan(0);
    expect(compareLabels(label({ label: null, value: 2 }), label({ label: null, value: 10 }))).toBeLessThan(0);
    expect(compareLabels(label({ label: null }), label({ label: "" }))).toBeLessThan(0);
    expect(compareLabels(label(), label())).toBe(0);
    // Among the labels of one millisecond, the winner's version counts the distinct ones below it.
    const tied = [label({ label: "fraud" }), label({ label: "legit" }), label({ label: "fraud" }), label({ source: "a" })];
    expect(labelVersion(label({ label: "legit" }), tied) - labelVersion(label({ source: "a" }), tied)).toBe(2);
    expect(Math.floor(labelVersion(label({ label: "legit" }), tied) / 1024)).toBe(label().labeled_at_ms);
  });

  it("picks the same winner whatever the arrival order, also where the old 10-bit hash collided", () => {
    // The old tie-break: FNV-1a of source and label, modulo 1024. Find two observations it could not tell apart.
    const fnv = (text: string) => {
      let h = 0x811c9dc5;
      for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
      return h;
    };
    const oldTie = (l: JoinableLabel) => fnv(`${l.source}\u0000${l.label ?? ""}\u0000${l.value ?? ""}`) % 1024;
    const seen = new Map<number, JoinableLabel>();
    let pair: [JoinableLabel, JoinableLabel] | undefined;
    for (let i = 0; !pair; i++) {
      const l = label({ source: `team-${i}`, label: i % 2 ? "fraud" : "legit" });
      const other = seen.get(oldTie(l));
      if (other) pair = [other, l];
      seen.set(oldTie(l), l);
    }
    const [a, b] = pair;
    expect(oldTie(a)).toBe(oldTie(b));
    const expected = compareLabels(a, b) > 0 ? a : b;

    // ReplacingMergeTree keeps the row of the highest version; a tie there would depend on arrival order.
    const stored = (batches: JoinableLabel[][]) => {
      const rows = [];
      const known: JoinableLabel[] = [];
      for (const batch of batches) {
        known.push(...batch);
        rows.push(...joinAll([prediction], batch, 30 * DAY, known).joined);
      }
      const top = Math.max(...rows.map((r) => r.label_version));
      const winners = rows.filter((r) => r.label_version === top);
      expect(new Set(winners.map((w) => `${w.source}/${w.label}`)).size).toBe(1);
      return winners[0]!;
    };
    for (const order of [[[a], [b]], [[b], [a]], [[a, b]], [[b, a]], [[b], [a], [b]], [[a], [b], [a, b]]]) {
      expect(stored(order)).toMatchObject({ source: expected.source, label: expected.label });
    }
  });

  it("matches labels by model and id, skipping the unmatched and counting the too late", () => {
    const other = { ...prediction, prediction_id: "p-2" };
    const result = joinAll(
      [prediction, other],
      [
        label(),
        label({ prediction_id: "p-2" }),
        label({ prediction_id: "p-3" }),
        label({ model_id: "other" }),
        label({ prediction_id: "p-2", labeled_at_ms: prediction.event_time_ms + 31 * DAY }),
      ],
      30 * DAY,
    );
    expect(result.joined.map((j) => j.prediction_id)).toEqual(["p-1", "p-2"]);
    expect(result.beyondHorizon).toBe(1);
  });
});

describe("label join by request", () => {
  // Two variants (production v3, shadow v4) scored request r-1; a third prediction is another request's.
  const prod = { ...prediction, prediction_id: "p-prod", request_id: "r-1" };
  const shadow = { ...prediction, prediction_id: "p-shadow", model_version: "v4", stage: "shadow", request_id: "r-1" };
  const elsewhere = { ...prediction, prediction_id: "p-other", request_id: "r-2" };
  const requestLabel = (over: Partial<JoinableLabel> = {}) => label({ prediction_id: "", request_id: "r-1", ...over });

  it("joins one request label to every variant of its request, and to no other request", () => {
    const { joined } = joinAll([prod, shadow, elsewhere], [requestLabel()], 30 * DAY);
    expect(joined.map((j) => [j.prediction_id, j.model_version, j.request_id, j.label]).sort()).toEqual([
      ["p-prod", "v3", "r-1", "legit"],
      ["p-shadow", "v4", "r-1", "legit"],
    ]);
  });

  it("joins a variant that arrives after the label exactly as one that was there before", () => {
    const before = joinAll([prod, shadow], [requestLabel()], 30 * DAY).joined;
    const first = joinAll([prod], [requestLabel()], 30 * DAY).joined;
    const later = joinAll([shadow], [requestLabel()], 30 * DAY).joined;
    expect([...first, ...later]).toEqual(before);
  });

  it("lets a request's label and a variant's own label compete by the same total order", () => {
    const own = label({ prediction_id: "p-shadow", label: "fraud", labeled_at_ms: prediction.event_time_ms + 4 * DAY });
    const { joined } = joinAll([prod, shadow], [requestLabel(), own], 30 * DAY);
    // The shadow variant's own label is later, so it wins there; the production variant has only the request's.
    expect(Object.fromEntries(joined.map((j) => [j.prediction_id, j.label]))).toEqual({ "p-prod": "legit", "p-shadow": "fraud" });
    // A label naming one variant's prediction says nothing about the other variant.
    expect(joinAll([prod, shadow], [own], 30 * DAY).joined.map((j) => j.prediction_id)).toEqual(["p-shadow"]);
  });

  it("counts a request label too late for both variants once per variant, and one found twice only once", () => {
    const late = requestLabel({ labeled_at_ms: prediction.event_time_ms + 31 * DAY });
    expect(joinAll([prod, shadow], [late], 30 * DAY).beyondHorizon).toBe(2);
    // Named by prediction and by request: one observation of that prediction, not two.
    const both = label({ prediction_id: "p-prod", request_id: "r-1" });
    const { joined } = joinAll([prod, shadow], [both], 30 * DAY, [both]);
    expect(joined.map((j) => j.prediction_id).sort()).toEqual(["p-prod", "p-shadow"]);
    expect(joined.every((j) => j.label_version === labelVersion(both))).toBe(true);
  });
});
