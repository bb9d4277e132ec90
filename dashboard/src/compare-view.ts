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
