/**
 * The slices page's shaping: the ranked metric's wording and format (accuracy or a regression
 * model's MAE), q-values, the key filter (single keys and intersections such as `country × device`),
 * the shared scale of the interval bars, and a slice's pooled trend. Pure.
 */
import { pct, toMs } from "./format.js";
import type { MetricRow } from "./series.js";
import type { RankedMetric, RankedSlice, SliceRanking as DomainRanking } from "../../services/common/domain/slice-ranking.js";

export type { RankedMetric, RankedSlice };

/** The answer of `GET /v1/models/:id/slices`: the domain's ranking with the false-discovery rate asked for. */
export type SliceRanking = DomainRanking & { fdr: number };

export const METRIC_NAME: Record<RankedMetric, string> = { accuracy: "Accuracy", mae: "MAE" };

/** The ranked value as the table shows it: a share for accuracy, the label's units for MAE. */
export function formatValue(metric: RankedMetric, v: number): string {
  return metric === "accuracy" ? pct(v) : v.toFixed(2);
}

/** The gap to the population, signed: "−12.3 pts" for accuracy, "+1.84" for MAE (higher is worse). */
export function formatGap(metric: RankedMetric, gap: number): string {
  const sign = gap > 0 ? "+" : gap < 0 ? "−" : "";
  return metric === "accuracy" ? `${sign}${Math.abs(gap * 100).toFixed(1)} pts` : `${sign}${Math.abs(gap).toFixed(2)}`;
}

/** A q-value (or p-value) to three decimals, tiny ones as "< 0.001". */
export function formatQ(q: number): string {
  if (!Number.isFinite(q)) return "–";
  return q < 0.001 ? "< 0.001" : q.toFixed(3);
}

/** `key=value`, as the page's URL and rows name a slice (an intersection: "country × device=BR × ios"). */
export const sliceName = (s: { slice_key: string; slice_value: string }) => `${s.slice_key}=${s.slice_value}`;

/** The slice a name points to: the key ends at the first "=" (keys never hold one; values may). */
export function parseSliceName(name: string): { key: string; value: string } {
  const i = name.indexOf("=");
  return i < 0 ? { key: name, value: "" } : { key: name.slice(0, i), value: name.slice(i + 1) };
}

export const isIntersection = (key: string) => key.includes(" × ");

/** The keys present, single keys first then intersections, each in order of first appearance. */
export function sliceKeys(slices: readonly RankedSlice[]): string[] {
  const keys = [...new Set(slices.map((s) => s.slice_key))];
  return [...keys.filter((k) => !isIntersection(k)), ...keys.filter(isIntersection)];
}

/**
 * Positions (CSS percentages) on one scale for every interval bar and the population's line: from a
 * little below the lowest interval to a little above the highest, accuracy capped to [0, 1].
 */
export function intervalScale(metric: RankedMetric, intervals: ReadonlyArray<readonly [number, number]>): (v: number) => string {
  const lows = intervals.map((c) => c[0]);
  const highs = intervals.map((c) => c[1]);
  let lo = Math.min(...lows);
  let hi = Math.max(...highs);
  const pad = Math.max((hi - lo) * 0.05, metric === "accuracy" ? 0.02 : 1e-9);
  lo -= pad;
  hi += pad;
  if (metric === "accuracy") {
    lo = Math.max(0, lo);
    hi = 1;
  }
  if (!(hi > lo)) hi = lo + 1;
  return (v: number) => `${(((v - lo) / (hi - lo)) * 100).toFixed(2)}%`;
}

/**
 * A slice's (or the population's) MAE per window, pooled over versions and stages by their labelled
 * predictions, as accuracy is pooled by its counts.
 */
export function pooledMae(rows: readonly MetricRow[]): { xs: number[]; mae: Array<number | null> } {
  const sums = new Map<number, { abs: number; n: number }>();
  for (const r of rows) {
    const x = toMs(r.window_start) / 1000;
    const s = sums.get(x) ?? { abs: 0, n: 0 };
    if (r.mae !== null && r.mae !== undefined && r.labeled > 0) {
      s.abs += r.mae * r.labeled;
      s.n += r.labeled;
    }
    sums.set(x, s);
  }
  const xs = [...sums.keys()].sort((a, b) => a - b);
  return { xs, mae: xs.map((x) => (sums.get(x)!.n > 0 ? sums.get(x)!.abs / sums.get(x)!.n : null)) };
}
