import { describe, expect, it } from "vitest";
import { baseWindowStart, inferModelSpec, refineInferredSpec, sameSpec } from "./model-spec.js";

const output = (
  over: Partial<{ pred_label: string | null; pred_score: number | null; pred_class_keys: string[]; pred_value: number | null }>,
) => ({
  pred_label: null,
  pred_score: null,
  pred_class_keys: [],
  pred_value: null,
  ...over,
});

describe("model inference", () => {
  it("reads the task from the shape of the first prediction", () => {
    expect(inferModelSpec("eta", output({ pred_value: 12 })).task).toBe("regression");
    expect(inferModelSpec("intent", output({ pred_class_keys: ["a", "b", "c"] })).task).toBe("multiclass");
    expect(inferModelSpec("intent", output({ pred_label: "a" })).task).toBe("multiclass");
    expect(inferModelSpec("fraud", output({ pred_label: "fraud", pred_score: 0.9 }))).toMatchObject({
      task: "binary",
      positiveClass: "fraud",
      threshold: 0.5,
      declared: false,
    });
  });

  it("waits for a confident prediction to learn a binary model's positive class", () => {
    const guess = inferModelSpec("fraud", output({ pred_label: "legit", pred_score: 0.1 }));
    expect(guess.positiveClass).toBe("");
    expect(refineInferredSpec(guess, output({ pred_label: "legit", pred_score: 0.2 }))).toBeUndefined();
    expect(refineInferredSpec(guess, output({ pred_label: "fraud", pred_score: 0.7 }))?.positiveClass).toBe("fraud");
    // A declared model is never second-guessed.
    expect(refineInferredSpec({ ...guess, declared: true }, output({ pred_label: "fraud", pred_score: 0.7 }))).toBeUndefined();
  });

  it("puts an event time in its base window", () => {
    expect(baseWindowStart(Date.UTC(2026, 10, 23, 10, 7, 59, 999), 300)).toBe(Date.UTC(2026, 10, 23, 10, 5) / 1000);
    expect(baseWindowStart(Date.UTC(2026, 10, 23, 10, 10), 300)).toBe(Date.UTC(2026, 10, 23, 10, 10) / 1000);
  });
});

describe("sameSpec", () => {
  it("compares field by field, whatever order the fields were built in", () => {
    const a = inferModelSpec("fraud", output({ pred_label: "fraud", pred_score: 0.9 }));
    const b = { declared: false, sliceKeys: [], threshold: 0.5, positiveClass: "fraud", task: "binary" as const, modelId: "fraud" };
    expect(sameSpec(a, b)).toBe(true);
    expect(sameSpec(a, { ...b, sliceKeys: ["country"] })).toBe(false);
    expect(sameSpec(a, { ...b, threshold: 0.6 })).toBe(false);
  });
});
