import { describe, expect, it } from "vitest";
import type { FeatureProfile } from "./profile.js";
import { emptySummary, type FeatureSummary } from "./summary.js";
import { decideSliceDrift, driftSliceKeys, mergeSliceWindows, minimumRows, parseSliceFilter, type SliceWindow } from "./slice-drift.js";

/** A categorical profile on categories a, b (bins: other, a, b) with the given reference counts. */
const profile = (feature: string, counts: [number, number, number]): FeatureProfile => {
  const n = counts[0] + counts[1] + counts[2];
  return { feature, kind: "categorical", categories: ["a", "b"], rows: n, present: n, nulls: 0, mismatches: 0, n, counts };
};

const summary = (feature: string, counts: [number, number, number]): FeatureSummary => {
  const s = emptySummary(feature, 3, false);
  s.counts = [...counts];
  s.n = counts[0] + counts[1] + counts[2];
  s.rows = s.present = s.n;
  return s;
};

const slice = (key: string, value: string, counts: [number, number, number]) => ({
  key,
  value,
  rows: counts[0] + counts[1] + counts[2],
  features: [summary("c", counts)],
});

describe("mergeSliceWindows", () => {
  it("adds each slice's bins and rows across base windows, and each key's other rows", () => {
    const a: SliceWindow = { slices: [slice("country", "DE", [0, 10, 5]), slice("country", "FR", [1, 2, 3])], otherRows: { country: 7 } };
    const b: SliceWindow = { slices: [slice("country", "DE", [2, 3, 4])], otherRows: { country: 1, device: 4 } };
    const merged = mergeSliceWindows([a, b]);
    expect(merged.otherRows).toEqual({ country: 8, device: 4 });
    const de = merged.slices.find((s) => s.value === "DE")!;
    expect(de.rows).toBe(24);
    expect(de.features[0]!.counts).toEqual([2, 13, 9]);
    expect(de.features[0]!.n).toBe(24);
    // The inputs are left as they were.
    expect(a.slices[0]!.features[0]!.counts).toEqual([0, 10, 5]);
    expect(merged.slices.find((s) => s.value === "FR")!.rows).toBe(6);
  });
});

describe("decideSliceDrift", () => {
  const reference = [profile("c", [0, 500, 500])];

  it("scores the busiest slices of each key up to the cap and counts every other row of the key", () => {
    const window: SliceWindow = {
      slices: [
        slice("country", "FR", [0, 60, 60]),
        slice("country", "DE", [0, 50, 50]),
        slice("country", "US", [0, 50, 50]),
        slice("country", "IT", [0, 10, 10]),
        slice("device", "web", [0, 20, 20]),
      ],
      otherRows: { country: 33 },
    };
    const out = decideSliceDrift(window, reference, {}, 2);
    // DE and US tie on rows: the first value in order wins. IT (20 rows) is below the minimum sample.
    expect(out.map((s) => [s.key, s.value, s.rows, s.otherRows])).toEqual([
      ["country", "FR", 120, 100 + 20 + 33],
      ["country", "DE", 100, 153],
      ["device", "web", 40, 0],
    ]);
    expect(out.every((s) => s.drift.length === 1 && s.drift[0]!.feature === "c")).toBe(true);
  });

  it("leaves out a key whose slices are all too small, and honours a rule's smaller minimum sample", () => {
    const window: SliceWindow = { slices: [slice("country", "DE", [0, 5, 5])], otherRows: {} };
    expect(decideSliceDrift(window, reference, {}, 20)).toEqual([]);
    const rules = { c: { drift: { min_samples: 10 } } };
    expect(minimumRows(reference, rules)).toBe(10);
    const out = decideSliceDrift(window, reference, rules, 20);
    expect(out.map((s) => s.value)).toEqual(["DE"]);
    expect(out[0]!.drift[0]!.decision).not.toBe("insufficient_data");
  });

  it("adjusts p-values across every slice of a key together (Benjamini–Hochberg), not slice by slice", () => {
    // Chi-square tests of DE 60/40 and FR 45/55 against a 50/50 reference; their raw p-values come
    // from chi-square.ts (checked against scipy), the adjustment is recomputed here by hand.
    const window: SliceWindow = { slices: [slice("country", "DE", [0, 60, 40]), slice("country", "FR", [0, 45, 55])], otherRows: {} };
    const out = decideSliceDrift(window, reference, {}, 20);
    const raw = out.map((s) => s.drift[0]!.chi2PValue!);
    const [pDe, pFr] = raw as [number, number];
    expect(pDe).toBeLessThan(pFr);
    // BH with m = 2: the smaller p doubled (unless the larger is smaller still), the larger as it is.
    expect(out[0]!.drift[0]!.pValue).toBeCloseTo(Math.min(2 * pDe, pFr), 12);
    expect(out[1]!.drift[0]!.pValue).toBeCloseTo(pFr, 12);
  });

  it("gives a feature no row of the slice carried an empty summary with the slice's rows", () => {
    const two = [...reference, profile("d", [0, 500, 500])];
    const out = decideSliceDrift({ slices: [slice("country", "DE", [0, 30, 30])], otherRows: {} }, two, {}, 20);
    const d = out[0]!.drift.find((f) => f.feature === "d")!;
    expect(d).toMatchObject({ n: 0, decision: "insufficient_data", drifted: false });
  });
});

describe("parseSliceFilter", () => {
  it("splits at the first '=' and refuses a filter without a key or a '='", () => {
    expect(parseSliceFilter("country=DE")).toEqual({ key: "country", value: "DE" });
    expect(parseSliceFilter("country × device=DE × mobile")).toEqual({ key: "country × device", value: "DE × mobile" });
    expect(parseSliceFilter("q=a=b")).toEqual({ key: "q", value: "a=b" });
    expect(parseSliceFilter("country=")).toEqual({ key: "country", value: "" });
    expect(parseSliceFilter("country")).toBeUndefined();
    expect(parseSliceFilter("=DE")).toBeUndefined();
  });

  it("computes drift for the single declared keys, never their intersections", () => {
    expect(driftSliceKeys(["country", "country × device", "age_band"])).toEqual(["country", "age_band"]);
    expect(driftSliceKeys(["country × device"])).toEqual([]);
  });
});
