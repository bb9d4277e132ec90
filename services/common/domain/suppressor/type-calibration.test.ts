import { describe, expect, it } from "vitest";
import { calibrated, factorFor, typeFactors } from "./type-calibration.js";
import type { AlertRecord } from "./types.js";

type Grain = Pick<AlertRecord, "rule_kind" | "metric" | "scope" | "model">;
const x1: Grain = { rule_kind: "a", metric: "x", scope: "global", model: "m1" };
const x2: Grain = { ...x1, model: "m2" };
const y1: Grain = { rule_kind: "b", metric: "y", scope: "slice", model: "m1" };

/** n validation alerts of one grain scored `score`, the first `acted` of them acted on. */
const alerts = (record: Grain, n: number, acted: number, score = 0.01) =>
  Array.from({ length: n }, (_, i) => ({ score, acted: i < acted, decidable: true, weight: 1, record }));

const options = { below: 0.05, strength: 3, floor: 0.1, bound: 10 };

describe("per-type factors", () => {
  // Observed / expected acted-on below 0.05: x on m1 4 / 1, x on m2 0 / 1, y on m1 2 / 2; over all 6 / 4,
  // whose smoothed factor (6 + 3) / (4 + 3) = 9/7 every grain's observed count is divided by.
  // Kind a: (4·7/9 + 3·1) / (2 + 3) = 11/9; type a|x: (28/9 + 3·11/9) / 5 = 61/45;
  // x on m1: (28/9 + 3·61/45) / (1 + 3) = 323/180; x on m2: (0 + 3·61/45) / 4 = 183/180;
  // kind b: (2·7/9 + 3) / 5 = 41/45; type b|y: (14/9 + 3·41/45) / 5 = 193/225; y on m1: (14/9 + 3·193/225) / 5 = 929/1125.
  const scored = [
    ...alerts(x1, 100, 4),
    ...alerts(x2, 100, 0),
    ...alerts(y1, 200, 2),
    // Scored above the span and not decided by the model: neither counts.
    ...alerts(x2, 10, 10, 0.2),
    ...alerts(x2, 10, 10).map((s) => ({ ...s, decidable: false })),
  ];
  const f = typeFactors(scored, options);
  it("smooth each grain toward its parent: type within a model → type → rule kind", () => {
    expect(f["k:a"]).toBeCloseTo(11 / 9, 12);
    expect(f["t:a|x|global"]).toBeCloseTo(61 / 45, 12);
    expect(f["tm:a|x|global|m1"]).toBeCloseTo(323 / 180, 12);
    expect(f["tm:a|x|global|m2"]).toBeCloseTo(183 / 180, 12);
    expect(f["k:b"]).toBeCloseTo(41 / 45, 12);
    expect(f["t:b|y|slice"]).toBeCloseTo(193 / 225, 12);
    expect(f["tm:b|y|slice|m1"]).toBeCloseTo(929 / 1125, 12);
  });
  it("fall back to the finest grain known, and to 1 for an unknown rule kind", () => {
    expect(factorFor(f, { ...x1, model: "m3" })).toBeCloseTo(61 / 45, 12);
    expect(factorFor(f, { ...x1, metric: "z" })).toBeCloseTo(11 / 9, 12);
    expect(factorFor(f, { ...x1, rule_kind: "c" })).toBe(1);
  });
  it("stay within their bounds", () => {
    const tight = typeFactors(scored, { ...options, floor: 0.95, bound: 1.5 });
    expect(tight["tm:a|x|global|m1"]).toBe(1.5);
    expect(tight["k:b"]).toBe(0.95);
  });
  it("are empty without validation alerts scored below the span", () => {
    expect(typeFactors([], options)).toEqual({});
    expect(typeFactors(alerts(x1, 5, 1, 0.3), options)).toEqual({});
  });
  it("multiply the score, at most to 1", () => {
    expect(calibrated(0.01, f, x1)).toBeCloseTo((0.01 * 323) / 180, 12);
    expect(calibrated(0.5, { "k:a": 3 }, x1)).toBe(1);
    expect(calibrated(0.2, {}, x1)).toBe(0.2);
  });
});
