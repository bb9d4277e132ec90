import { describe, expect, it } from "vitest";
import { categoryOf, childrenForPerformance, parentForDrift, type GroupingView } from "./grouping.js";

const drift = { metric: "drift.amount", feature: "amount", modelId: "fraud", modelVersion: "3" };
const view = (id: string, over: Partial<GroupingView>): GroupingView => ({
  id,
  metric: "accuracy",
  feature: "",
  modelId: "fraud",
  modelVersion: "3",
  open: true,
  parentId: "",
  ...over,
});
const quality = (id: string, check: string, over: Partial<GroupingView> = {}) =>
  view(id, { metric: `quality.${check}`, feature: "amount", ...over });

describe("categoryOf", () => {
  it("names the category from the metric", () => {
    expect(categoryOf("drift")).toBe("drift");
    expect(categoryOf("drift.amount")).toBe("drift");
    expect(categoryOf("quality")).toBe("quality");
    expect(categoryOf("quality.null_fraction")).toBe("quality");
    expect(categoryOf("accuracy")).toBe("performance");
    expect(categoryOf("delay_p90_s")).toBe("performance");
  });
});

describe("parentForDrift", () => {
  it.each(["null_fraction", "type_mismatch", "missing", "unknown_feature"])(
    "is held under an open %s alert on the same feature, model and version",
    (check) => {
      const got = parentForDrift(drift, [quality("q1", check)]);
      expect(got).toEqual({ parentId: "q1", reason: `held under the open quality.${check} alert on amount: the data check fired first` });
    },
  );

  it("is not held under a cardinality (or range) alert on the same feature", () => {
    expect(parentForDrift(drift, [quality("q1", "cardinality")])).toBeNull();
    expect(parentForDrift(drift, [quality("q1", "range")])).toBeNull();
  });

  it("is not held under a data-breaking check on another feature, model or version", () => {
    expect(parentForDrift(drift, [quality("q1", "null_fraction", { feature: "age" })])).toBeNull();
    expect(parentForDrift(drift, [quality("q1", "null_fraction", { modelId: "churn" })])).toBeNull();
    expect(parentForDrift(drift, [quality("q1", "null_fraction", { modelVersion: "2" })])).toBeNull();
  });

  it("is grouped under an open performance alert on the same model and version", () => {
    expect(parentForDrift(drift, [view("p1", { metric: "accuracy" })])).toEqual({
      parentId: "p1",
      reason: "grouped under the open accuracy alert on this model as a possible cause",
    });
    expect(parentForDrift({ ...drift, feature: "" }, [view("p1", { metric: "log_loss" })])).toMatchObject({ parentId: "p1" });
  });

  it("is not grouped across models or versions", () => {
    expect(parentForDrift(drift, [view("p1", { modelVersion: "2" })])).toBeNull();
    expect(parentForDrift(drift, [view("p1", { modelId: "churn" })])).toBeNull();
  });

  it("is not grouped under a resolved alert", () => {
    expect(parentForDrift(drift, [view("p1", { open: false })])).toBeNull();
    expect(parentForDrift(drift, [quality("q1", "null_fraction", { open: false })])).toBeNull();
  });

  it("is not grouped under an alert that is itself a child", () => {
    expect(parentForDrift(drift, [view("p1", { parentId: "x" })])).toBeNull();
    expect(parentForDrift(drift, [quality("q1", "missing", { parentId: "x" })])).toBeNull();
  });

  it("is not grouped under another drift alert", () => {
    expect(
      parentForDrift(drift, [view("d1", { metric: "drift.amount", feature: "amount" }), view("d2", { metric: "drift", feature: "" })]),
    ).toBeNull();
  });

  it("prefers the data check over a performance alert", () => {
    const others = [view("p1", { metric: "accuracy" }), quality("q1", "type_mismatch")];
    expect(parentForDrift(drift, others)?.parentId).toBe("q1");
  });

  it("falls back to the performance alert when the data check is not breaking", () => {
    const others = [quality("q1", "cardinality"), view("p1", { metric: "recall" })];
    expect(parentForDrift(drift, others)?.parentId).toBe("p1");
  });

  it("skips ineligible candidates to find an eligible one", () => {
    const others = [
      view("resolved", { open: false }),
      view("child", { parentId: "x" }),
      view("other-version", { modelVersion: "1" }),
      view("p1", { metric: "f1" }),
    ];
    expect(parentForDrift(drift, others)?.parentId).toBe("p1");
  });

  it("is only for drift alerts", () => {
    const others = [view("p1", {}), quality("q1", "null_fraction")];
    expect(parentForDrift({ ...drift, metric: "accuracy" }, others)).toBeNull();
    expect(parentForDrift({ ...drift, metric: "quality.null_fraction" }, others)).toBeNull();
  });

  it("with no other alerts stands alone", () => {
    expect(parentForDrift(drift, [])).toBeNull();
  });
});

describe("childrenForPerformance", () => {
  const perf = { id: "p1", metric: "accuracy", modelId: "fraud", modelVersion: "3" };

  it("takes the open, ungrouped drift alerts of the same model and version", () => {
    const others = [
      view("d1", { metric: "drift.amount", feature: "amount" }),
      view("d2", { metric: "drift", feature: "" }),
      view("d-other-version", { metric: "drift.amount", modelVersion: "2" }),
      view("d-other-model", { metric: "drift.amount", modelId: "churn" }),
      view("d-resolved", { metric: "drift.amount", open: false }),
      view("d-held", { metric: "drift.amount", parentId: "q1" }),
      view("q1", { metric: "quality.null_fraction", feature: "amount" }),
      view("p2", { metric: "recall" }),
    ];
    expect(childrenForPerformance(perf, others)).toEqual(["d1", "d2"]);
  });

  it("never lists the alert itself", () => {
    expect(childrenForPerformance({ ...perf, id: "d1" }, [view("d1", { metric: "drift.amount" })])).toEqual([]);
  });

  it("is only for performance alerts", () => {
    const others = [view("d1", { metric: "drift.amount" })];
    expect(childrenForPerformance({ ...perf, metric: "drift.age" }, others)).toEqual([]);
    expect(childrenForPerformance({ ...perf, metric: "quality.missing" }, others)).toEqual([]);
  });
});
