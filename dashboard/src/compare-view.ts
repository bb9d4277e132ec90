/**
 * The Compare page's reading of GET /v1/models/:id/compare: the answer's shape, and the words and
 * badges it is shown with. Pure, so it is unit-tested without a browser.
 */

import type { Interval } from "../../services/common/domain/paired.js";
import type { PairedReport as Comparison, Variant } from "../../services/common/domain/paired-report.js";

export type { Comparison, Interval, Variant };

export interface CompareAnswer {
  task: string;
  comparison: Comparison | null;
  available: Array<{ a: Variant; b: Variant; pairs: number }>;
  note?: string;
  /** With `window` asked: the difference per window, in window order. */
  window_seconds?: number;
  windows?: CompareWindow[];
  windows_truncated?: boolean;
}

export const variantName = (v: Variant): string => `${v.version} (${v.stage})`;

/** The badge class of a reading: promote is good news, roll back an alarm, hold a wait. */
export function readingBadge(reading: Comparison["reading"]): "ok" | "warn" | "crit" {
  return reading === "promote" ? "ok" : reading === "roll back" ? "crit" : "warn";
}

/** "+3.3 pts [−13.0, +19.0]": a difference in accuracy points with its interval. */
export function points(i: Interval): string {
  const f = (x: number) => `${x >= 0 ? "+" : "−"}${Math.abs(x * 100).toFixed(1)}`;
  return `${f(i.value)} pts [${f(i.low)}, ${f(i.high)}]`;
}

/** A p-value as read: "p < 0.001" below that, else "p = " and three decimals. */
export function pValue(p: number): string {
  return p < 0.001 ? "p < 0.001" : `p = ${p.toFixed(3)}`;
}

/** The 2×2 table of labelled pairs as rows (A's correctness) and columns (B's). */
export function pairTable(t: NonNullable<Comparison["classification"]>["table"]): [string, number, number][] {
  return [
    ["A right", t.both_right, t.only_a],
    ["A wrong", t.only_b, t.both_wrong],
  ];
}

/** One window of the comparison over time (GET …/compare?window=). */
export interface CompareWindow {
  window_start: string;
  pairs: number;
  labelled: number;
  accuracy_difference?: Interval | null;
  abs_error_difference?: Interval | null;
}

/** Most windows the trend asks for: past it the next window size up is taken. */
export const TREND_POINTS = 400;

/**
 * The window size (seconds, of `sizes`) of the trend under the table: the smallest that draws the
 * range in at most TREND_POINTS windows; all the data (no bounds) takes the largest.
 */
export function trendWindow(range: { fromMs?: number; toMs?: number }, sizes: readonly number[]): number {
  const bySize = [...sizes].sort((a, b) => a - b);
  if (range.fromMs === undefined || range.toMs === undefined) return bySize.at(-1)!;
  const span = range.toMs - range.fromMs;
  return bySize.find((w) => span / (w * 1000) <= TREND_POINTS) ?? bySize.at(-1)!;
}

/** The chart's columns: window starts (epoch s) and the difference with its interval, null where a window has none. */
export function differenceSeries(windows: readonly CompareWindow[]): {
  xs: number[];
  value: Array<number | null>;
  low: Array<number | null>;
  high: Array<number | null>;
} {
  const d = windows.map((w) => w.accuracy_difference ?? w.abs_error_difference ?? null);
  return {
    xs: windows.map((w) => Date.parse(w.window_start) / 1000),
    value: d.map((i) => i?.value ?? null),
    low: d.map((i) => i?.low ?? null),
    high: d.map((i) => i?.high ?? null),
  };
}
