import { describe, expect, it } from "vitest";
import { decide, explorationDraw } from "./policy.js";
import type { AlertRecord } from "./types.js";

const alert = (over: Partial<AlertRecord> = {}): AlertRecord => ({
  id: "a1",
  time: 0,
  rule_kind: "threshold",
  metric: "accuracy",
  severity: "warning",
  scope: "global",
  model: "m",
  slice: "",
  deviation: 0.1,
  sample_size: 100,
  ...over,
});
const base = { typeFeedbackCount: 100, threshold: 0.3, minFeedback: 20, exploreRate: 0, seedKey: "k" };

describe("decide", () => {
  it("never suppresses critical alerts or SLO breaches, whatever the score", () => {
    expect(decide({ ...base, score: 0, alert: alert({ severity: "critical" }) })).toEqual({ decision: "surface", reason: "critical" });
    expect(decide({ ...base, score: 0, alert: alert({ rule_kind: "slo" }) })).toEqual({ decision: "surface", reason: "slo" });
  });
  it("surfaces without a model and until the type has enough feedback", () => {
    expect(decide({ ...base, score: null, alert: alert() }).reason).toBe("no_model");
    expect(decide({ ...base, score: 0, typeFeedbackCount: 19, alert: alert() }).reason).toBe("insufficient_feedback");
  });
  it("compares the score with the threshold (at the threshold surfaces)", () => {
    expect(decide({ ...base, score: 0.3, alert: alert() })).toEqual({ decision: "surface", reason: "above_threshold" });
    expect(decide({ ...base, score: 0.29, alert: alert() })).toEqual({ decision: "suppress", reason: "below_threshold" });
  });
  it("explores a share close to the rate, the same alerts every time", () => {
    const alerts = Array.from({ length: 20_000 }, (_, i) => alert({ id: `alert-${i}` }));
    const explored = alerts.filter((a) => decide({ ...base, score: 0, exploreRate: 0.05, alert: a }).reason === "explore");
    // Binomial(20000, 0.05): sd ≈ 31, so ±150 is ~5 sd.
    expect(Math.abs(explored.length - 1000)).toBeLessThan(150);
    const again = alerts.filter((a) => decide({ ...base, score: 0, exploreRate: 0.05, alert: a }).reason === "explore");
    expect(again.map((a) => a.id)).toEqual(explored.map((a) => a.id));
    expect(explorationDraw(alert({ id: "x" }), "k")).not.toBe(explorationDraw(alert({ id: "x" }), "other-key"));
  });
});
