import { describe, expect, it } from "vitest";
import {
  formatGap,
  formatQ,
  formatValue,
  intervalScale,
  parseSliceName,
  pooledMae,
  sliceKeys,
  sliceName,
  type RankedSlice,
} from "./slice-view.js";
import type { MetricRow } from "./series.js";

const slice = (slice_key: string, slice_value: string): RankedSlice => ({
  slice_key,
  slice_value,
  predictions: 100,
  labeled: 90,
  value: 0.8,
  ci95: [0.7, 0.87],
  gap: -0.1,
  p_value: 0.01,
  q_value: 0.04,
  significantly_worse: true,
});

describe("the slices page's shaping", () => {
  it("formats accuracy as a share and MAE in the label's units, gaps signed", () => {
    expect(formatValue("accuracy", 0.8125)).toBe("81.3%");
    expect(formatValue("mae", 4.567)).toBe("4.57");
    expect(formatGap("accuracy", -0.123)).toBe("−12.3 pts");
    expect(formatGap("mae", 1.844)).toBe("+1.84");
    expect(formatGap("mae", 0)).toBe("0.00");
  });

  it("writes q-values to three decimals, tiny ones as < 0.001", () => {
    expect(formatQ(0.0432)).toBe("0.043");
    expect(formatQ(0.00002)).toBe("< 0.001");
    expect(formatQ(1)).toBe("1.000");
    expect(formatQ(Number.NaN)).toBe("–");
  });

  it("names a slice key=value and reads the name back, intersections and '=' in values included", () => {
    const s = { slice_key: "country × device", slice_value: "BR × ios" };
    expect(sliceName(s)).toBe("country × device=BR × ios");
    expect(parseSliceName(sliceName(s))).toEqual({ key: "country × device", value: "BR × ios" });
    expect(parseSliceName("plan=a=b")).toEqual({ key: "plan", value: "a=b" });
  });

  it("lists single keys first, then intersections", () => {
    const keys = sliceKeys([slice("country × device", "BR × ios"), slice("country", "BR"), slice("device", "web"), slice("country", "NG")]);
    expect(keys).toEqual(["country", "device", "country × device"]);
  });

  it("puts every interval on one scale: accuracy up to 100 %, MAE between its extremes", () => {
    const acc = intervalScale("accuracy", [
      [0.5, 0.6],
      [0.8, 0.9],
    ]);
    // From 0.5 − max(0.05 × 0.4, 0.02) = 0.48 to 1.
    expect(acc(0.48)).toBe("0.00%");
    expect(acc(1)).toBe("100.00%");
    expect(acc(0.74)).toBe("50.00%");
    const mae = intervalScale("mae", [
      [2, 4],
      [5, 12],
    ]);
    // From 2 − 0.5 to 12 + 0.5.
    expect(mae(1.5)).toBe("0.00%");
    expect(mae(12.5)).toBe("100.00%");
    expect(mae(7)).toBe("50.00%");
  });

  it("pools MAE over versions by their labelled predictions, windows without labels empty", () => {
    const row = (ws: string, mae: number | null, labeled: number) => ({ window_start: ws, mae, labeled }) as unknown as MetricRow;
    const pooled = pooledMae([row("2026-12-01 10:00:00", 2, 30), row("2026-12-01 10:00:00", 6, 10), row("2026-12-01 09:00:00", null, 0)]);
    expect(pooled.xs).toEqual([Date.UTC(2026, 11, 1, 9) / 1000, Date.UTC(2026, 11, 1, 10) / 1000]);
    // (2·30 + 6·10) / 40 = 3.
    expect(pooled.mae).toEqual([null, 3]);
  });
});
