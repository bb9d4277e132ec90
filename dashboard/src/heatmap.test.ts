import { describe, expect, it } from "vitest";
import { featureOrder, firstDrifted, heatmapLayout, type DriftScore } from "./heatmap.js";

const H = 3_600_000;
function score(version: string, feature: string, hour: number, drifted = false): DriftScore {
  return {
    model_version: version,
    feature,
    window_start_ms: hour * H,
    method: "wasserstein",
    score: drifted ? 0.3 : 0.02,
    p_value: null,
    threshold: 0.1,
    decision: drifted ? "drift" : "no_drift",
    drifted,
    n: 100,
  };
}

describe("heat-map layout", () => {
  const scores = [
    score("v3", "prediction.score", 1),
    score("v3", "amount", 2, true),
    score("v3", "amount", 1),
    score("v3", "country", 3),
    score("v4", "amount", 1, true),
  ];

  it("puts inputs first alphabetically and the model's outputs last", () => {
    expect(["prediction.score", "zeta", "amount"].sort(featureOrder)).toEqual(["amount", "zeta", "prediction.score"]);
  });

  it("lays one version out as features × windows, oldest window first, gaps null", () => {
    const l = heatmapLayout(scores, "v3");
    expect(l.versions).toEqual(["v3", "v4"]);
    expect(l.features).toEqual(["amount", "country", "prediction.score"]);
    expect(l.windows).toEqual([H, 2 * H, 3 * H]);
    expect(l.cells[0]!.map((c) => c?.drifted ?? null)).toEqual([false, true, null]);
    expect(l.cells[1]!.map((c) => c === null)).toEqual([true, true, false]);
    expect(l.cells[0]![1]!.severity).toBeCloseTo(3, 12);
    expect(l.dropped).toBe(0);
  });

  it("falls back to the first version when the asked one is unknown", () => {
    expect(heatmapLayout(scores, "v9").features).toEqual(["amount", "country", "prediction.score"]);
    expect(heatmapLayout(scores, undefined).cells.length).toBe(3);
    expect(heatmapLayout(scores, "v4").features).toEqual(["amount"]);
  });

  it("keeps the newest columns when there are too many, and says how many it left out", () => {
    const many = Array.from({ length: 10 }, (_, i) => score("v3", "amount", i, i === 9));
    const l = heatmapLayout(many, "v3", 4);
    expect(l.windows).toEqual([6 * H, 7 * H, 8 * H, 9 * H]);
    expect(l.dropped).toBe(6);
  });

  it("summarises each drifted feature's first drifted window", () => {
    expect(firstDrifted(heatmapLayout(scores, "v3"))).toEqual([{ feature: "amount", window_start_ms: 2 * H, drifted_windows: 1 }]);
    expect(firstDrifted(heatmapLayout([score("v3", "a", 1)], "v3"))).toEqual([]);
  });

  it("is empty without scores", () => {
    expect(heatmapLayout([], undefined)).toEqual({ versions: [], features: [], windows: [], cells: [], dropped: 0 });
  });
});
