import { describe, expect, it } from "vitest";
import { baseline, condition, rulesFor, scope, states, type ApiRule } from "./rules-view.js";

const base: ApiRule = {
  id: "r",
  kind: "adaptive",
  metric: "predictions",
  baseline_windows: 12,
  history_windows: 48,
  min_history: 12,
  k: 4,
  seasonality: "none",
  window: "1h",
  for: "0s",
  severity: "info",
  target: { model: "eta" },
  version: 1,
  series: [],
};

describe("a model's rules in words", () => {
  it("keeps the rules of this model and of every model", () => {
    const rules = [base, { ...base, id: "all", target: { model: "*" } }, { ...base, id: "other", target: { model: "fraud" } }];
    expect(rulesFor(rules, "eta").map((r) => r.id)).toEqual(["r", "all"]);
  });

  it("says what breaches, by kind", () => {
    expect(condition({ ...base, kind: "threshold", metric: "accuracy", op: "<", threshold: 0.7 })).toBe("accuracy < 0.7");
    expect(condition({ ...base, kind: "threshold", metric: "drift" })).toBe("drift: drifted or violated");
    expect(condition({ ...base, kind: "slo", metric: "accuracy", objective: 0.9 })).toBe("accuracy below its objective 0.9");
    expect(condition({ ...base, kind: "relative_change", metric: "estimated_accuracy", change: 0.05 })).toBe(
      "estimated_accuracy moves 5 % from its baseline",
    );
    expect(condition({ ...base, k: 6 })).toBe("predictions outside median ± 6 robust deviations");
  });

  it("shows a seasonal baseline as the same phase of past periods, a plain one as recent windows", () => {
    expect(baseline({ ...base, seasonality: "daily", history_windows: 14, min_history: 5 })).toBe(
      "seasonal (daily): the same time of day in the last 14 days, from 5",
    );
    expect(baseline({ ...base, kind: "relative_change", seasonality: "weekly", baseline_windows: 4 })).toBe(
      "seasonal (weekly): the same hour of the week in the last 4 weeks",
    );
    expect(baseline(base)).toBe("the last 48 windows, from 12");
    expect(baseline({ ...base, kind: "threshold" })).toBe("fixed");
  });

  it("names the target's scope and counts the model's series by state", () => {
    expect(scope({ ...base, target: { model: "fraud", stage: "production", slice: "country=*" } })).toBe("production, slice country=*");
    expect(scope(base)).toBe("every version");
    const series = [
      { model_id: "eta", model_version: "v7", slice: "", state: "ok", reason: "" },
      { model_id: "eta", model_version: "v8", slice: "", state: "unknown", reason: "learning" },
      { model_id: "eta", model_version: "v9", slice: "", state: "ok", reason: "" },
      { model_id: "fraud", model_version: "v3", slice: "", state: "breach", reason: "" },
    ];
    expect(states({ ...base, series }, "eta")).toBe("2 ok, 1 unknown");
    expect(states(base, "eta")).toBe("not judged yet");
  });
});
