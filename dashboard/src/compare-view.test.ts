import { describe, expect, it } from "vitest";
import { differenceSeries, pairTable, points, pValue, readingBadge, TREND_POINTS, trendWindow, variantName } from "./compare-view.js";

describe("the Compare page's reading", () => {
  it("names variants and colours readings", () => {
    expect(variantName({ version: "v5", stage: "shadow" })).toBe("v5 (shadow)");
    expect([readingBadge("promote"), readingBadge("hold"), readingBadge("roll back")]).toEqual(["ok", "warn", "crit"]);
  });

  it("writes a difference in accuracy points with its interval, and p-values", () => {
    expect(points({ value: 0.0333, low: -0.13, high: 0.19 })).toBe("+3.3 pts [−13.0, +19.0]");
    expect(pValue(0.0004)).toBe("p < 0.001");
    expect(pValue(0.8238)).toBe("p = 0.824");
  });

  it("lays the 2×2 table out with A's correctness in rows and B's in columns", () => {
    expect(pairTable({ both_right: 21, only_a: 9, only_b: 11, both_wrong: 19 })).toEqual([
      ["A right", 21, 9],
      ["A wrong", 11, 19],
    ]);
  });
});

describe("the Compare page's trend", () => {
  const sizes = [3600, 300, 86_400];
  const HOUR = 3_600_000;
  it("takes the smallest window size that draws the range in at most TREND_POINTS windows; all the data, the largest", () => {
    expect(trendWindow({ fromMs: 0, toMs: HOUR }, sizes)).toBe(300);
    // A day is 288 five-minute windows, a week 2,016: hours then (168).
    expect(trendWindow({ fromMs: 0, toMs: 24 * HOUR }, sizes)).toBe(300);
    expect(trendWindow({ fromMs: 0, toMs: 7 * 24 * HOUR }, sizes)).toBe(3600);
    expect(trendWindow({ fromMs: 0, toMs: TREND_POINTS * HOUR }, sizes)).toBe(3600);
    expect(trendWindow({ fromMs: 0, toMs: (TREND_POINTS + 1) * HOUR }, sizes)).toBe(86_400);
    // Longer than even the largest size can draw: the largest all the same (the API bounds the answer).
    expect(trendWindow({ fromMs: 0, toMs: 1000 * 24 * HOUR }, sizes)).toBe(86_400);
    expect(trendWindow({}, sizes)).toBe(86_400);
  });

  it("turns the windows into the chart's columns, a window without a difference a gap", () => {
    const d = { value: -0.05, low: -0.12, high: 0.02 };
    expect(
      differenceSeries([
        { window_start: "2026-11-23T10:00:00.000Z", pairs: 15, labelled: 15, accuracy_difference: d },
        { window_start: "2026-11-23T10:05:00.000Z", pairs: 9, labelled: 0, accuracy_difference: null },
        { window_start: "2026-11-23T10:10:00.000Z", pairs: 3, labelled: 3, abs_error_difference: { value: 1, low: 0.5, high: 1.5 } },
      ]),
    ).toEqual({
      xs: [Date.UTC(2026, 10, 23, 10) / 1000, Date.UTC(2026, 10, 23, 10, 5) / 1000, Date.UTC(2026, 10, 23, 10, 10) / 1000],
      value: [-0.05, null, 1],
      low: [-0.12, null, 0.5],
      high: [0.02, null, 1.5],
    });
    expect(differenceSeries([])).toEqual({ xs: [], value: [], low: [], high: [] });
  });
});
