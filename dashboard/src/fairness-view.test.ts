import { describe, expect, it } from "vitest";
import { fairnessReport } from "../../services/common/domain/fairness.js";
import { defaultKey, differs, formatDifference, formatRate, formatRatio, fourFifths, selectionSeries } from "./fairness-view.js";

describe("the fairness page's shaping", () => {
  it("opens on a key that names a protected attribute, else the first single key", () => {
    expect(defaultKey(["country", "device", "age_band", "country × device"])).toBe("age_band");
    expect(defaultKey(["country × device", "gender"])).toBe("gender");
    expect(defaultKey(["country × device", "device"])).toBe("device");
    expect(defaultKey(["pagesize"])).toBe("pagesize");
    expect(defaultKey([])).toBeUndefined();
  });

  // Group a selects 40 of 100, group b 20 of 200: b's rate is a quarter of a's.
  const report = fairnessReport([
    { group: "a", tp: 30, fp: 10, fn: 10, tn: 50 },
    { group: "b", tp: 10, fp: 10, fn: 20, tn: 160 },
  ]);
  const [a, b] = report.groups;

  it("writes rates with their intervals, and the differences and ratios to the reference", () => {
    expect(report.reference).toBe("a");
    expect(formatRate(b!.rates.selection_rate)).toMatch(/^10\.0% \(\d+\.\d% – \d+\.\d%\)$/);
    expect(formatDifference(b!.versus_reference.selection_rate)).toMatch(/^−30\.0 pts \(−\d+\.\d – −\d+\.\d\)$/);
    expect(formatRatio(b!.versus_reference.selection_rate)).toMatch(/^0\.25 \(0\.\d\d – 0\.\d\d\)$/);
    expect(formatDifference(a!.versus_reference.selection_rate)).toMatch(/^0\.0 pts/);
  });

  it("calls a difference real when its interval leaves out zero, and applies the four-fifths rule", () => {
    expect(differs(b!.versus_reference.selection_rate)).toBe(true);
    expect(differs(a!.versus_reference.selection_rate)).toBe(false);
    expect(fourFifths(a!, report.reference)).toBe("reference");
    expect(fourFifths(b!, report.reference)).toBe("fails (0.25)");
    expect(report.adverse_impact).toEqual(["b"]);
  });

  it("shows a dash for a rate without trials", () => {
    expect(formatRate({ value: null, successes: 0, n: 0, ci95: null })).toBe("–");
    expect(formatDifference({ difference: null, difference_ci95: null, ratio: null, ratio_ci95: null })).toBe("–");
  });

  it("follows each group's selection rate per window, versions pooled, over labelled predictions", () => {
    const w = (h: number, tp: number, fp: number, fn: number, tn: number) => ({ window_start: Date.UTC(2026, 11, 1, h), tp, fp, fn, tn });
    const s = selectionSeries([
      // Two versions in the 10:00 window: 3 + 1 selected of 10 + 10.
      { group: "a", rows: [w(10, 2, 1, 1, 6), w(10, 1, 0, 0, 9), w(11, 0, 0, 0, 0)] },
      { group: "b", rows: [w(12, 1, 1, 0, 2)] },
    ]);
    const t = Date.UTC(2026, 11, 1, 10) / 1000;
    expect(s.xs).toEqual([t, t + 3600, t + 7200]);
    expect(s.series).toEqual([
      { label: "a", values: [0.2, null, null] },
      { label: "b", values: [null, null, 0.5] },
    ]);
  });
});
