/**
 * The fairness page's shaping: which segment key to compare by default, and each group's rates,
 * differences and ratios to the reference as the table shows them, with whether the interval
 * excludes "no difference". Pure.
 */
import type { FairnessRate, GroupFairness, RateEstimate, Comparison } from "../../services/common/domain/fairness.js";
import { pct, toMs } from "./format.js";

export type { FairnessRate, GroupFairness } from "../../services/common/domain/fairness.js";

/** `GET /v1/models/:id/fairness` as the page reads it. */
export interface FairnessAnswer {
  key: string;
  window_seconds: number;
  reference: string | null;
  groups: GroupFairness[];
  adverse_impact: string[];
  too_few_labels: Array<{ group: string; labeled: number }>;
  note?: string;
}

export const RATE_NAMES: Record<FairnessRate, string> = {
  selection_rate: "Selection rate",
  true_positive_rate: "True positive rate",
  false_positive_rate: "False positive rate",
  accuracy: "Accuracy",
};

/** Keys that usually name a protected attribute: the page opens on the first of them. */
const SENSITIVE = /(^|[_\s-])(age|gender|sex|race|ethnic|ethnicity|religion|disability|nationality|marital)([_\s-]|$)/i;

/** The key the page compares when the URL names none: a likely sensitive one, else the first single key. */
export function defaultKey(keys: readonly string[]): string | undefined {
  return keys.find((k) => SENSITIVE.test(k)) ?? keys.find((k) => !k.includes(" × ")) ?? keys[0];
}

/** "4.4 % (3.9 – 5.0)": a rate with its 95 % interval. */
export function formatRate(r: RateEstimate): string {
  if (r.value === null) return "–";
  return r.ci95 ? `${pct(r.value)} (${pct(r.ci95[0])} – ${pct(r.ci95[1])})` : pct(r.value);
}

const pts = (d: number) => `${d > 0 ? "+" : d < 0 ? "−" : ""}${Math.abs(d * 100).toFixed(1)}`;

/** "−1.2 pts (−2.0 – −0.4)": a difference to the reference in percentage points, with its interval. */
export function formatDifference(c: Comparison): string {
  if (c.difference === null) return "–";
  return c.difference_ci95
    ? `${pts(c.difference)} pts (${pts(c.difference_ci95[0])} – ${pts(c.difference_ci95[1])})`
    : `${pts(c.difference)} pts`;
}

/** "0.73 (0.61 – 0.87)": a ratio to the reference with its interval. */
export function formatRatio(c: Comparison): string {
  if (c.ratio === null) return "–";
  return c.ratio_ci95 ? `${c.ratio.toFixed(2)} (${c.ratio_ci95[0].toFixed(2)} – ${c.ratio_ci95[1].toFixed(2)})` : c.ratio.toFixed(2);
}

/** Whether the difference's 95 % interval leaves out 0: a real difference, not sampling noise. */
export function differs(c: Comparison): boolean {
  return c.difference_ci95 !== null && (c.difference_ci95[0] > 0 || c.difference_ci95[1] < 0);
}

/** The four-fifths rule's verdict for one group, in words. */
export function fourFifths(g: GroupFairness, reference: string | null): string {
  if (g.group === reference) return "reference";
  if (g.passes_four_fifths === null) return "–";
  const ratio = g.versus_reference.selection_rate.ratio;
  return `${g.passes_four_fifths ? "passes" : "fails"}${ratio === null ? "" : ` (${ratio.toFixed(2)})`}`;
}

/** A window's confusion counts as `GET /v1/models/:id/metrics` returns them (labelled predictions). */
export interface CountsRow {
  window_start: string | number;
  tp: number;
  fp: number;
  fn: number;
  tn: number;
}

/**
 * Each group's selection rate per window, over its labelled predictions as the fairness report
 * counts them, versions and stages pooled; the x axis is every window any group has.
 */
export function selectionSeries(byGroup: ReadonlyArray<{ group: string; rows: readonly CountsRow[] }>): {
  xs: number[];
  series: Array<{ label: string; values: Array<number | null> }>;
} {
  const sums = byGroup.map(({ group, rows }) => {
    const at = new Map<number, { selected: number; n: number }>();
    for (const r of rows) {
      const x = toMs(r.window_start) / 1000;
      const s = at.get(x) ?? { selected: 0, n: 0 };
      s.selected += r.tp + r.fp;
      s.n += r.tp + r.fp + r.fn + r.tn;
      at.set(x, s);
    }
    return { group, at };
  });
  const xs = [...new Set(sums.flatMap((g) => [...g.at.keys()]))].sort((a, b) => a - b);
  return {
    xs,
    series: sums.map(({ group, at }) => ({
      label: group,
      values: xs.map((x) => {
        const s = at.get(x);
        return s && s.n > 0 ? s.selected / s.n : null;
      }),
    })),
  };
}
