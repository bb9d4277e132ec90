import { describe, expect, it } from "vitest";
import type { CategoricalProfile, NumericProfile } from "./profile.js";
import { seededRandom } from "./scipy-cases.fixture.js";
import { emptySummary, mergeInto, summariseValues, type FeatureSummary, type FeatureValue } from "./summary.js";

/** Only the fields summariseValues reads: the bins. */
function numericProfile(edges: number[]): NumericProfile {
  const bins = edges.length + 1;
  return {
    feature: "x",
    kind: "numeric",
    rows: 0,
    present: 0,
    nulls: 0,
    mismatches: 0,
    n: 0,
    counts: new Array<number>(bins).fill(0),
    sums: new Array<number>(bins).fill(0),
    edges,
    coarseEdges: [],
    min: 0,
    max: 0,
    mean: 0,
    std: 0,
  };
}

function categoricalProfile(categories: string[]): CategoricalProfile {
  return {
    feature: "c",
    kind: "categorical",
    rows: 0,
    present: 0,
    nulls: 0,
    mismatches: 0,
    n: 0,
    counts: new Array<number>(categories.length + 1).fill(0),
    categories,
  };
}

describe("summariseValues", () => {
  it("counts rows, absent, null and mistyped values, and bins numbers with their sums", () => {
    // bins: (−∞, 0) [0, 1) [1, 5) [5, ∞)
    const profile = numericProfile([0, 1, 5]);
    const values: FeatureValue[] = [-2, 0, 0.5, 1, 4.5, 5, 7, undefined, undefined, null, "3", true];
    const s = summariseValues(profile, values);
    expect(s).toEqual({
      feature: "x",
      rows: 12,
      present: 10,
      nulls: 1,
      mismatches: 2,
      n: 7,
      counts: [1, 2, 2, 2],
      sums: [-2, 0.5, 5.5, 12],
      min: -2,
      max: 7,
      unseenDistinct: 0,
      unseenTop: [],
    });
  });

  it("bins categories, with strings and booleans alike, and keeps the unseen ones apart", () => {
    const profile = categoricalProfile(["a", "b", "true"]);
    const values: FeatureValue[] = ["a", "b", "a", true, false, "z", "z", 3, null, undefined];
    const s = summariseValues(profile, values);
    // bin 0 holds the unseen "false", "z", "z"
    expect(s).toMatchObject({ rows: 10, present: 9, nulls: 1, mismatches: 1, n: 7, counts: [3, 2, 1, 1], sums: [], unseenDistinct: 2 });
    expect(s.unseenTop).toEqual(["false", "z"]);
  });

  it("keeps at most ten examples of unseen categories but counts them all", () => {
    const profile = categoricalProfile(["a"]);
    const s = summariseValues(
      profile,
      Array.from({ length: 25 }, (_, i) => `new-${i}`),
    );
    expect(s.unseenDistinct).toBe(25);
    expect(s.unseenTop).toHaveLength(10);
    expect(s.counts).toEqual([25, 0]);
  });

  it("gives an empty summary for no values, and takes any iterable", () => {
    expect(summariseValues(numericProfile([1]), [])).toEqual(emptySummary("x", 2, true));
    expect(summariseValues(numericProfile([1]), new Float64Array([0.5, 2]))).toMatchObject({
      n: 2,
      counts: [1, 1],
      sums: [0.5, 2],
      min: 0.5,
      max: 2,
    });
    expect(emptySummary("c", 3, false)).toMatchObject({ counts: [0, 0, 0], sums: [], min: Infinity, max: -Infinity });
  });
});

describe("mergeInto", () => {
  it("gives the summary of the whole from the summaries of its halves", () => {
    const random = seededRandom(17);
    const profile = numericProfile([-1, -0.5, 0, 0.3, 1, 2.5]);
    const values: FeatureValue[] = Array.from({ length: 5000 }, () => {
      const u = random();
      return u < 0.05 ? undefined : u < 0.1 ? null : u < 0.12 ? "oops" : (random() - 0.4) * 8;
    });
    for (const cut of [0, 1, 2500, 4999, 5000]) {
      const whole = summariseValues(profile, values);
      const merged = mergeInto(summariseValues(profile, values.slice(0, cut)), summariseValues(profile, values.slice(cut)));
      expect({ ...merged, sums: [] }).toEqual({ ...whole, sums: [] });
      merged.sums.forEach((sum, i) => expect(Math.abs(sum - whole.sums[i]!)).toBeLessThanOrEqual(1e-9));
    }
  });

  it("adds categorical counts and the unseen values of each part", () => {
    const profile = categoricalProfile(["a", "b"]);
    const first: FeatureValue[] = ["a", "x", "y", null];
    const second: FeatureValue[] = ["b", "b", "y", "z", 1, undefined];
    const whole = summariseValues(profile, [...first, ...second]);
    const merged = mergeInto(summariseValues(profile, first), summariseValues(profile, second));
    expect({ ...merged, unseenDistinct: 0, unseenTop: [] }).toEqual({ ...whole, unseenDistinct: 0, unseenTop: [] });
    // distinct counts are per part and summed ("y" is in both), the examples are a union
    expect(merged.unseenDistinct).toBe(2 + 2);
    expect(merged.unseenTop).toEqual(["x", "y", "z"]);
  });

  it("keeps an empty summary as the identity", () => {
    const profile = numericProfile([0, 1]);
    const s = summariseValues(profile, [-1, 0.5, 3, null]);
    expect(mergeInto(emptySummary("x", 3, true), s)).toEqual(s);
    expect(mergeInto(structuredClone(s), emptySummary("x", 3, true))).toEqual(s);
  });

  it("refuses summaries on different bins", () => {
    const a: FeatureSummary = emptySummary("x", 3, true);
    expect(() => mergeInto(a, emptySummary("x", 4, true))).toThrow("feature x: cannot merge summaries on different bins (3 vs 4)");
  });
});
