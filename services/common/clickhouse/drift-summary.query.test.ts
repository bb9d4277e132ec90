import { describe, expect, it } from "vitest";
import type { FeatureProfile } from "../domain/drift/profile.js";
import { carried, mergedSummaries, ROWS_MARKER, SLICE_GROUPS, slicedSource, summarySelect } from "./drift-summary.query.js";
import { raw } from "./sql.js";

const HOSTILE = "a'b\\c\u0000\\N`) --é";
const base = { rows: 100, present: 100, nulls: 0, mismatches: 0, n: 100, counts: [] as number[] };
const numeric = (feature: string, edges: number[]): FeatureProfile => ({
  ...base,
  feature,
  kind: "numeric",
  edges,
  coarseEdges: edges,
  sums: [],
  min: 0,
  max: 1,
  mean: 0.5,
  std: 0.1,
});
const categorical = (feature: string, categories: string[]): FeatureProfile => ({ ...base, feature, kind: "categorical", categories });
const from = raw("SELECT * FROM hindsight.features_by_time");
const ws = raw("0");
const values = (params: Record<string, unknown>) => Object.values(params);

describe("drift summary statements", () => {
  it("has the same text for two features and for three hundred, with a thousand categories each", () => {
    const small = summarySelect(from, [numeric("x", [0.5]), categorical("c", ["a"])], ws);
    const big = summarySelect(
      from,
      Array.from({ length: 300 }, (_, i) =>
        i % 2
          ? numeric(
              `x${i}`,
              Array.from({ length: 100 }, (_, k) => k / 100),
            )
          : categorical(
              `c${i}`,
              Array.from({ length: 1000 }, (_, k) => `v${k}`),
            ),
      ),
      ws,
    );
    expect(big.text).toBe(small.text);
  });

  it("sends feature names and categories as parameters, never as text", () => {
    const plain = summarySelect(from, [numeric("x", [0.5]), categorical("c", ["a"])], ws);
    const hostile = summarySelect(from, [numeric(HOSTILE, [0.5]), categorical("c", [HOSTILE])], ws);
    expect(hostile.text).toBe(plain.text);
    expect(hostile.text).not.toContain("a'b");
    expect(values(hostile.params)).toContainEqual([HOSTILE, "c"]);
    expect(values(hostile.params)).toContainEqual([`2:${HOSTILE}`]);
  });

  it("pads every feature's edges to the same slots, so feature i's edges start at (i − 1) · 127", () => {
    const s = summarySelect(from, [numeric("x", [1, 2]), numeric("y", [3])], ws);
    const edges = values(s.params).find((v) => Array.isArray(v) && v.length === 254) as number[];
    expect(edges.slice(0, 3)).toEqual([1, 2, 1.7e308]);
    expect(edges.slice(127, 129)).toEqual([3, 1.7e308]);
  });

  it("counts rows through a marker feature that no real feature can be named", () => {
    expect(ROWS_MARKER).toBe("");
    expect(values(carried(from).params)).toContain(ROWS_MARKER);
  });
  it("groups by a slice's columns only when asked: the overall statement keeps its text", () => {
    const profiles = [numeric("x", [0.5])];
    const overall = summarySelect(from, profiles, ws);
    expect(summarySelect(from, profiles, ws, []).text).toBe(overall.text);
    const sliced = summarySelect(from, profiles, ws, SLICE_GROUPS);
    expect(sliced.text).toContain("GROUP BY ws, slice_key, other, slice_value, feature, bin");
    expect(overall.text).not.toContain("slice_key");
  });

  it("slices rows with the same text for one key and for fifty, intersections and hostile names included", () => {
    const one = slicedSource(from, ["country"], 300, 20);
    const many = slicedSource(from, [...Array.from({ length: 48 }, (_, i) => `k${i}`), "country × device", HOSTILE], 3600, 5);
    expect(many.text).toBe(one.text);
    expect(many.text).not.toContain("a'b");
    expect(values(many.params)).toContainEqual([["country", "device"]]);
    expect(values(many.params)).toContainEqual(expect.arrayContaining(["k0", HOSTILE]));
    // The cap travels as a parameter too.
    expect(values(one.params)).toContain(20);
    expect(values(many.params)).toContain(5);
  });

  it("merges stored windows with the same text for every window size, the size a parameter", () => {
    const stored = raw("SELECT * FROM hindsight.window_feature_summaries");
    const base = mergedSummaries(stored, 1);
    const day = mergedSummaries(stored, 86_400);
    expect(day.text).toBe(base.text);
    expect(values(day.params)).toContain(86_400);
    // An aggregate's alias never names a column read inside another aggregate (sum(n) AS n, then minIf(.., n > 0)).
    expect(base.text).toContain("minIf(b_min, b_n > 0)");
    const sliced = mergedSummaries(stored, 3600, SLICE_GROUPS);
    expect(sliced.text).toContain("GROUP BY ws, slice_key, other, slice_value, feature");
  });
});
