import { describe, expect, it } from "vitest";
import { driftSeverity, NO_DECISION_COLOR, severityColor, textOn } from "./color.js";

const cell = (over: Partial<Parameters<typeof driftSeverity>[0]>) => ({
  method: "wasserstein",
  score: 0.05,
  p_value: null,
  threshold: 0.1,
  decision: "no_drift",
  ...over,
});

describe("drift severity", () => {
  it("is score over threshold for distances, 1 exactly on the threshold", () => {
    expect(driftSeverity(cell({ score: 0.05 }))).toBe(0.5);
    expect(driftSeverity(cell({ score: 0.1 }))).toBe(1);
    expect(driftSeverity(cell({ method: "jensen_shannon", score: 0.3 }))).toBeCloseTo(3, 12);
  });

  it("is log p over log threshold for p-value tests, so p = threshold² is 2", () => {
    expect(driftSeverity(cell({ method: "ks", p_value: 0.05, threshold: 0.05 }))).toBeCloseTo(1, 12);
    expect(driftSeverity(cell({ method: "chi_square", p_value: 0.0025, threshold: 0.05 }))).toBeCloseTo(2, 12);
    expect(driftSeverity(cell({ method: "ks", p_value: 1, threshold: 0.05 }))).toBe(0);
    // A p-value of exactly 0 is clamped, not infinite.
    expect(Number.isFinite(driftSeverity(cell({ method: "ks", p_value: 0, threshold: 0.05 }))!)).toBe(true);
  });

  it("is null without a decision or a score", () => {
    expect(driftSeverity(cell({ decision: "insufficient_data" }))).toBeNull();
    expect(driftSeverity(cell({ score: null }))).toBeNull();
    expect(driftSeverity(cell({ method: "ks", p_value: null, threshold: 0.05 }))).toBeNull();
  });
});

describe("severity colours", () => {
  it("runs from pale through amber at the threshold to red at twice it, clamped", () => {
    expect(severityColor(0)).toBe("rgb(237, 244, 248)");
    expect(severityColor(1)).toBe("rgb(243, 166, 72)");
    expect(severityColor(2)).toBe("rgb(190, 30, 45)");
    expect(severityColor(7)).toBe(severityColor(2));
    expect(severityColor(-1)).toBe(severityColor(0));
    expect(severityColor(0.75)).toBe("rgb(245, 199, 134)");
  });

  it("greys out cells without a decision", () => {
    expect(severityColor(null)).toBe(NO_DECISION_COLOR);
    expect(severityColor(Number.NaN)).toBe(NO_DECISION_COLOR);
  });

  it("puts dark text on light cells and white text on dark ones", () => {
    expect(textOn(severityColor(0))).toBe("#111");
    expect(textOn(severityColor(2))).toBe("#fff");
  });
});
