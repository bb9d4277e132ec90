import { describe, expect, it } from "vitest";
import { calibrationBinsQuery, windowBinsQuery, windowErrorsQuery } from "./estimates.query.js";

const HOSTILE = "fr'aud\\\u0000\\N`); DROP TABLE x; --é";
const values = (params: Record<string, unknown>) => Object.values(params);

describe("the estimates' reads", () => {
  const bins = (over: Partial<Parameters<typeof windowBinsQuery>[1]> = {}) =>
    windowBinsQuery("hindsight", { models: ["fraud"], windowSeconds: 3600, slices: { kind: "population" }, limit: 10, ...over });

  it("send the model, version, stage, slice, range and limit as parameters: the text is the same for any values", () => {
    // Numbers travel with a type sized to their magnitude (sql.ts): the same magnitudes give the same text.
    const plain = bins({ fromS: 0, toS: 3600 });
    const hostile = bins({
      models: [HOSTILE],
      modelVersion: "v1",
      stage: "s",
      slices: { kind: "slice", key: HOSTILE, value: HOSTILE },
      fromS: 1_700_000_000,
      toS: 1_800_000_000,
      limit: 123_456,
    });
    const other = bins({
      modelVersion: "v2",
      stage: "t",
      slices: { kind: "slice", key: "a", value: "b" },
      fromS: 1_600_000_000,
      toS: 1_600_003_600,
      limit: 100_000,
    });
    expect(hostile.text).toBe(other.text);
    expect(hostile.text).not.toContain("fr'aud");
    expect(hostile.text).not.toContain("123456");
    expect(values(hostile.params)).toContain(HOSTILE);
    expect(values(hostile.params)).toContain(123_456);
    // Both base-window tables read with the same PREWHERE, from FINAL rows.
    expect(plain.text.match(/FINAL\s+PREWHERE/g)).toHaveLength(2);
  });

  it("refuse an empty list of models, and a window that is not whole seconds", () => {
    expect(() => bins({ models: [] })).toThrow(/empty list of models/);
    expect(() => bins({ windowSeconds: 0.5 })).toThrow(/positive whole number/);
  });

  it("read a regression window's sums the same way: stamped expectations with the volume, realised and stamped ones with the labels", () => {
    const errors = (over: Partial<Parameters<typeof windowErrorsQuery>[1]> = {}) =>
      windowErrorsQuery("hindsight", { models: ["eta"], windowSeconds: 3600, slices: { kind: "population" }, limit: 10, ...over });
    const plain = errors();
    expect(errors({ models: [HOSTILE], modelVersion: HOSTILE, slices: { kind: "slice", key: HOSTILE, value: HOSTILE } }).text).toBe(
      errors({ models: ["x"], modelVersion: "v", slices: { kind: "slice", key: "k", value: "v" } }).text,
    );
    expect(plain.text).toContain("sum(bv_exp_abs_sum) AS v_exp_abs_sum");
    expect(plain.text).toContain("exp_sq2_sum AS bv_exp_sq2_sum");
    expect(plain.text).toContain("sum(bl_abs_err_sum) AS l_abs_err_sum");
    expect(plain.text).toContain("sum(bl_exp_n) AS l_exp_n");
    expect(plain.text.match(/FINAL\s+PREWHERE/g)).toHaveLength(2);
    expect(() => errors({ models: [] })).toThrow(/empty list of models/);
  });

  it("read a version's calibration over a bounded span, one Array parameter for the versions", () => {
    const one = calibrationBinsQuery("hindsight", "fraud", ["v1"], 1_700_000_000, 1_702_592_000);
    const many = calibrationBinsQuery(
      "hindsight",
      HOSTILE,
      Array.from({ length: 500 }, (_, i) => `v${i}`),
      1_600_000_000,
      1_602_592_000,
    );
    expect(many.text).toBe(one.text);
    expect(one.text).toMatch(/window_start >= toDateTime\(\{p\d+:\w+\}\) AND window_start < toDateTime\(\{p\d+:\w+\}\)/);
    expect(one.text).toContain("slice_key = ''");
    expect(() => calibrationBinsQuery("hindsight", "fraud", [], 0, 1)).toThrow(/empty list of versions/);
  });
});
