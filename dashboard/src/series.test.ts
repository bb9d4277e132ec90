import { describe, expect, it } from "vitest";
import {
  accuracySeries,
  align,
  byVersion,
  delayBuckets,
  distributionBars,
  errorSeries,
  isRegression,
  latestSettled,
  latestWindow,
  pooledAccuracy,
  timeSpan,
  volume,
  withEstimates,
  type MetricRow,
} from "./series.js";
import { toMs } from "./format.js";

function row(ws: string, version: string, o: Partial<MetricRow> = {}): MetricRow {
  const stage = version === "v4" ? "canary" : "production";
  return {
    model_version: version,
    stage,
    window_start: ws,
    predictions: 100,
    labeled: 80,
    label_coverage: 0.8,
    accuracy: 0.9,
    estimated_accuracy: 0.92,
    correct: 72,
    class_n: 80,
    ...o,
  };
}

const T1 = "2024-01-01 00:00:00",
  T2 = "2024-01-01 01:00:00",
  T3 = "2024-01-01 02:00:00";
const S1 = Date.UTC(2024, 0, 1) / 1000;

describe("time parsing", () => {
  it("reads ClickHouse DateTime text as UTC, and passes epoch ms and ISO through", () => {
    expect(toMs(T2)).toBe(Date.UTC(2024, 0, 1, 1));
    expect(toMs(1_700_000_000_000)).toBe(1_700_000_000_000);
    expect(toMs("1700000000000")).toBe(1_700_000_000_000);
    expect(toMs("2024-01-01T01:00:00Z")).toBe(Date.UTC(2024, 0, 1, 1));
  });
});

describe("series shaping", () => {
  const rows = [
    row(T1, "v3"),
    row(T1, "v4", { accuracy: 0.8 }),
    row(T2, "v3", { label_coverage: 0.1, labeled: 10, accuracy: 0.7 }),
    row(T3, "v4"),
  ];

  it("aligns one series per version on the union of windows, with null gaps", () => {
    const a = align(
      rows,
      (r) => r.model_version,
      (r) => r.accuracy,
    );
    expect(a.xs).toEqual([S1, S1 + 3600, S1 + 7200]);
    expect(a.series).toEqual([
      { label: "v3", values: [0.9, 0.7, null] },
      { label: "v4", values: [0.8, null, 0.9] },
    ]);
  });

  it("splits accuracy into realised and provisional by label coverage, with the estimate beside", () => {
    const s = accuracySeries(rows, 0.5);
    expect(s.kinds).toEqual(["realised", "provisional", "estimated", "realised", "provisional", "estimated"]);
    expect(s.series[0]).toEqual({ label: "v3 · production accuracy", values: [0.9, null, null] });
    expect(s.series[1]).toEqual({ label: "v3 · production provisional", values: [null, 0.7, null] });
    expect(s.series[2]!.values).toEqual([0.92, 0.92, null]);
  });

  it("puts the calibrated estimate and its interval in place of the mean confidence, window by window and version", () => {
    const est = (ws: string, version: string, value: number) => ({
      window_start: `${ws.replace(" ", "T")}.000Z`,
      model_version: version,
      stage: version === "v4" ? "canary" : "production",
      accuracy: { value, low: value - 0.05, high: value + 0.05 },
    });
    const merged = withEstimates(
      [row(T1, "v3"), row(T1, "v4"), row(T2, "v3", { label_coverage: 1 })],
      [est(T1, "v3", 0.7), est(T2, "v3", 0.9)],
    );
    expect(merged.map((r) => [r.estimated_accuracy, r.estimated_low, r.estimated_high])).toEqual([
      [0.7, 0.7 - 0.05, 0.7 + 0.05],
      // No estimate for v4's window: its own value stays, without a band.
      [0.92, undefined, undefined],
      [0.9, 0.9 - 0.05, 0.9 + 0.05],
    ]);
    const s = accuracySeries(merged);
    expect(s.kinds).toEqual([
      "realised",
      "provisional",
      "estimated",
      "band",
      "band",
      "realised",
      "provisional",
      "estimated",
      "band",
      "band",
    ]);
    expect(s.series[2]).toEqual({ label: "v3 · production estimated", values: [0.7, 0.9] });
    // The band where labels are missing; the fully labelled window has none (its interval is the realised value).
    expect(s.series[3]).toEqual({ label: "v3 · production estimate low", values: [0.7 - 0.05, null] });
    expect(s.series[4]).toEqual({ label: "v3 · production estimate high", values: [0.7 + 0.05, null] });
    // Without calibrated estimates, no band at all.
    expect(accuracySeries([row(T1, "v3")]).kinds).toEqual(["realised", "provisional", "estimated"]);
  });

  it("sums volume over versions per window", () => {
    expect(volume(rows)).toEqual({ xs: [toMs(T1), toMs(T2), toMs(T3)], ys: [200, 100, 100] });
  });

  it("totals versions side by side: accuracy from counts, estimate weighted by predictions", () => {
    const v = byVersion([
      row(T1, "v3", { predictions: 100, estimated_accuracy: 0.9 }),
      row(T2, "v3", { predictions: 300, estimated_accuracy: 0.8, correct: 10, class_n: 20, labeled: 20 }),
    ]);
    expect(v).toHaveLength(1);
    expect(v[0]!.predictions).toBe(400);
    expect(v[0]!.accuracy).toBeCloseTo(82 / 100, 12);
    expect(v[0]!.estimated).toBeCloseTo((0.9 * 100 + 0.8 * 300) / 400, 12);
    expect(v[0]!.coverage).toBeCloseTo(100 / 400, 12);
  });

  it("pools a regression model's errors exactly: the errors of two windows merged into one", () => {
    // Window 1: errors 1, 3 (MAE 2, RMSE √5); window 2: errors 2, 2, 2, 6 (MAE 3, RMSE √12).
    const reg = (ws: string, mae: number, rmse: number, labeled: number) =>
      row(ws, "v7", { accuracy: null, estimated_accuracy: null, correct: 0, class_n: 0, mae, rmse, labeled });
    const [v] = byVersion([reg(T1, 2, Math.sqrt(5), 2), reg(T2, 3, Math.sqrt(12), 4)]);
    const all = [1, 3, 2, 2, 2, 6];
    expect(v!.mae).toBeCloseTo(all.reduce((a, b) => a + b, 0) / all.length, 12);
    expect(v!.rmse).toBeCloseTo(Math.sqrt(all.reduce((a, b) => a + b * b, 0) / all.length), 12);
    expect(v!.accuracy).toBeNull();
    expect(isRegression([reg(T1, 2, 2, 2)])).toBe(true);
    expect(isRegression([row(T1, "v3")])).toBe(false);
    // A classifier has no errors to pool, and a window with no labels yet has none either.
    expect(byVersion([row(T1, "v3")])[0]!.mae).toBeNull();
    const e = errorSeries([reg(T1, 2, 2.5, 2), reg(T2, 3, 3.5, 4), row(T2, "v8", { accuracy: null, mae: null, rmse: null })]);
    expect(e.series.map((s) => s.label)).toEqual([
      "v7 · production MAE",
      "v7 · production RMSE",
      "v8 · production MAE",
      "v8 · production RMSE",
    ]);
    expect(e.series[0]!.values).toEqual([2, 3]);
    expect(e.series[1]!.values).toEqual([2.5, 3.5]);
    expect(e.series[2]!.values).toEqual([null, null]);
    expect(e.kinds).toEqual(["mae", "rmse", "mae", "rmse"]);

    // With the label-free estimates: a dashed line each, and their interval where labels are missing.
    const estimate = (value: number) => ({ value, low: value - 0.5, high: value + 0.5 });
    const merged = withEstimates(
      [reg(T1, 2, 2.5, 2), { ...reg(T2, 3, 3.5, 4), label_coverage: 1 }],
      [
        { window_start: T1, model_version: "v7", stage: "production", mae: estimate(2.25), rmse: estimate(2.75) },
        { window_start: T2, model_version: "v7", stage: "production", mae: estimate(3), rmse: estimate(3.5) },
      ],
    );
    const withBand = errorSeries(merged);
    expect(withBand.kinds).toEqual(["mae", "rmse", "estimated", "band", "band", "estimated", "band", "band"]);
    expect(withBand.series.slice(2).map((s) => [s.label, s.values])).toEqual([
      ["v7 · production MAE estimated", [2.25, 3]],
      ["v7 · production MAE estimate low", [1.75, null]],
      ["v7 · production MAE estimate high", [2.75, null]],
      ["v7 · production RMSE estimated", [2.75, 3.5]],
      ["v7 · production RMSE estimate low", [2.25, null]],
      ["v7 · production RMSE estimate high", [3.25, null]],
    ]);
  });

  it("finds the latest window, and the latest one whose labels have mostly arrived", () => {
    expect(latestWindow(rows)!.window_start_ms).toBe(toMs(T3));
    const settled = latestSettled([row(T1, "v3"), row(T2, "v3", { labeled: 10, label_coverage: 0.1 })], 0.5);
    expect(settled!.window_start_ms).toBe(toMs(T1));
    expect(latestSettled([row(T1, "v3", { labeled: 0, class_n: 0, correct: 0 })])).toBeNull();
    expect(latestWindow([])).toBeNull();
  });

  it("pools accuracy over versions per window from the counts", () => {
    const p = pooledAccuracy([
      row(T1, "v3", { correct: 9, class_n: 10 }),
      row(T1, "v4", { correct: 1, class_n: 10 }),
      row(T2, "v3", { correct: 0, class_n: 0 }),
    ]);
    expect(p).toEqual({ xs: [S1, S1 + 3600], accuracy: [0.5, null], labeled: [20, 0] });
  });
});

describe("feedback-delay buckets", () => {
  it("puts each fine bin in the bucket holding its upper edge and drops empty trailing buckets", () => {
    const b = delayBuckets([
      { upper_s: 0, count: 1 },
      { upper_s: 59, count: 1 },
      { upper_s: 61, count: 2 },
      { upper_s: 100_000, count: 4 },
    ]);
    expect(b.map((x) => x.label)).toEqual(["≤ 1 min", "1–10 min", "10–60 min", "1–6 h", "6–24 h", "1–2 d"]);
    expect(b.map((x) => x.count)).toEqual([2, 2, 0, 0, 0, 4]);
    expect(b.reduce((s, x) => s + x.share, 0)).toBeCloseTo(1, 12);
  });

  it("sends delays past four weeks to the last bucket", () => {
    expect(delayBuckets([{ upper_s: 5e6, count: 3 }]).at(-1)).toEqual({ label: "> 4 weeks", count: 3, share: 1 });
    expect(delayBuckets([])).toEqual([]);
  });
});

describe("distribution bars", () => {
  it("merges numeric percentile bins into groups of equal reference mass, closing the outer bins at the extremes", () => {
    // Edges 1..9 make 10 bins; the reference holds 10 values per bin, the window piles into the top bin.
    const d = {
      kind: "numeric" as const,
      edges: [1, 2, 3, 4, 5, 6, 7, 8, 9],
      reference: { n: 100, counts: Array(10).fill(10), min: 0.5, max: 9.5 },
      window: { n: 50, counts: [0, 0, 0, 0, 0, 0, 0, 0, 0, 50], min: 9.2, max: 30 },
    };
    const bars = distributionBars(d, 5);
    expect(bars).toHaveLength(5);
    expect(bars.map((b) => b.reference)).toEqual([0.2, 0.2, 0.2, 0.2, 0.2]);
    expect(bars.map((b) => b.window)).toEqual([0, 0, 0, 0, 1]);
    expect(bars[0]!.lo).toBe(0.5);
    expect(bars.at(-1)!.hi).toBe(30);
    expect(bars.at(-1)!.label).toBe("8.0–30.0");
  });

  it("keeps the most common reference categories and folds the rest and unseen values into 'other'", () => {
    const d = {
      kind: "categorical" as const,
      categories: ["a", "b", "c"],
      reference: { n: 10, counts: [0, 2, 5, 3], min: null, max: null },
      window: { n: 10, counts: [4, 2, 4, 0], min: null, max: null },
    };
    const bars = distributionBars(d, 20, 2);
    expect(bars).toEqual([
      { label: "b", reference: 0.5, window: 0.4 },
      { label: "c", reference: 0.3, window: 0 },
      { label: "other", reference: 0.2, window: 0.6 },
    ]);
  });

  it("handles an empty window without dividing by zero", () => {
    const bars = distributionBars({
      kind: "categorical",
      categories: ["a"],
      reference: { n: 1, counts: [0, 1], min: null, max: null },
      window: { n: 0, counts: [0, 0], min: null, max: null },
    });
    expect(bars).toEqual([{ label: "a", reference: 1, window: 0 }]);
  });
});

describe("timeSpan", () => {
  const HOUR = 3600;
  it("spans one window around a single point, not years (uPlot's own range for one point)", () => {
    expect(timeSpan([1_800_000_000], HOUR)).toEqual([1_800_000_000 - 1800, 1_800_000_000 + 1800]);
    expect(timeSpan([1_800_000_000])).toEqual([1_800_000_000 - 1800, 1_800_000_000 + 1800]);
  });
  it("pads many windows by half a window each side, the window taken from the smallest gap when not given", () => {
    const xs = [0, 300, 600, 1500];
    expect(timeSpan(xs, 300)).toEqual([-150, 1650]);
    expect(timeSpan(xs)).toEqual([-150, 1650]);
    expect(timeSpan([], 300)).toBeNull();
  });
});
