/**
 * The classes page's shaping for a multi-class model: the confusion matrix as a grid (rows: true
 * class, columns: predicted, each row's share of its true class), per-class scores per window
 * pooled over versions and stages, and the confusion matrix over time as the share of each true
 * class sent to each wrong one, for the pairs confused most. Pure.
 */
import { toMs } from "./format.js";

export interface ClassCounts {
  class: string;
  tp: number;
  fp: number;
  fn: number;
}

export interface ClassScores extends ClassCounts {
  support: number;
  precision: number | null;
  recall: number | null;
  f1: number | null;
}

export interface ConfusionCell {
  truth: string;
  predicted: string;
  count: number;
}

/** `GET /v1/models/:id/classes` as the page reads it. */
export interface ClassesAnswer {
  window_seconds: number;
  classes: ClassScores[];
  confusion: ConfusionCell[];
  windows: Array<{ window_start: string; model_version: string; stage: string; classes: ClassScores[]; confusion: ConfusionCell[] }>;
}

export interface ConfusionGrid {
  /** Every class seen as truth or prediction, sorted; rows and columns both follow it. */
  classes: string[];
  rows: Array<{ truth: string; total: number; counts: number[]; shares: Array<number | null> }>;
  total: number;
}

export function confusionGrid(cells: readonly ConfusionCell[]): ConfusionGrid {
  const classes = [...new Set(cells.flatMap((c) => [c.truth, c.predicted]))].sort();
  const at = new Map(cells.map((c) => [`${c.truth}\u0000${c.predicted}`, c.count]));
  const rows = classes.map((truth) => {
    const counts = classes.map((p) => at.get(`${truth}\u0000${p}`) ?? 0);
    const total = counts.reduce((a, b) => a + b, 0);
    return { truth, total, counts, shares: counts.map((n) => (total > 0 ? n / total : null)) };
  });
  return { classes, rows, total: rows.reduce((a, r) => a + r.total, 0) };
}

export type ClassMetric = "precision" | "recall" | "f1";

export interface ClassSeries {
  /** window starts, epoch seconds */
  xs: number[];
  series: Array<{ label: string; values: Array<number | null> }>;
}

const ratio = (a: number, b: number) => (b === 0 ? null : a / b);

/** One class's score per window, from its counts summed over the window's versions and stages. */
export function classSeries(windows: ClassesAnswer["windows"], metric: ClassMetric): ClassSeries {
  const sums = new Map<number, Map<string, { tp: number; fp: number; fn: number }>>();
  for (const w of windows) {
    const x = toMs(w.window_start) / 1000;
    const byClass = sums.get(x) ?? new Map();
    for (const c of w.classes) {
      const s = byClass.get(c.class) ?? { tp: 0, fp: 0, fn: 0 };
      s.tp += c.tp;
      s.fp += c.fp;
      s.fn += c.fn;
      byClass.set(c.class, s);
    }
    sums.set(x, byClass);
  }
  const xs = [...sums.keys()].sort((a, b) => a - b);
  const classes = [...new Set(windows.flatMap((w) => w.classes.map((c) => c.class)))].sort();
  const score = (s: { tp: number; fp: number; fn: number } | undefined): number | null => {
    if (!s) return null;
    if (metric === "precision") return ratio(s.tp, s.tp + s.fp);
    if (metric === "recall") return ratio(s.tp, s.tp + s.fn);
    return ratio(2 * s.tp, 2 * s.tp + s.fp + s.fn);
  };
  return { xs, series: classes.map((c) => ({ label: c, values: xs.map((x) => score(sums.get(x)!.get(c))) })) };
}

/**
 * The confusion matrix over time: for the `top` wrong (truth → predicted) pairs with the most
 * predictions over the range, the share of that true class's labelled predictions sent there, per
 * window (versions and stages pooled). Null where the window has no labelled prediction of the class.
 */
export function confusionSeries(windows: ClassesAnswer["windows"], top = 4): ClassSeries {
  const pairTotals = new Map<string, number>();
  const perWindow = new Map<number, { rows: Map<string, number>; cells: Map<string, number> }>();
  for (const w of windows) {
    const x = toMs(w.window_start) / 1000;
    const slot = perWindow.get(x) ?? { rows: new Map(), cells: new Map() };
    for (const c of w.confusion) {
      slot.rows.set(c.truth, (slot.rows.get(c.truth) ?? 0) + c.count);
      if (c.truth === c.predicted) continue;
      const pair = `${c.truth} → ${c.predicted}`;
      slot.cells.set(pair, (slot.cells.get(pair) ?? 0) + c.count);
      pairTotals.set(pair, (pairTotals.get(pair) ?? 0) + c.count);
    }
    perWindow.set(x, slot);
  }
  const pairs = [...pairTotals.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, top)
    .map(([p]) => p);
  const xs = [...perWindow.keys()].sort((a, b) => a - b);
  return {
    xs,
    series: pairs.map((pair) => {
      const truth = pair.slice(0, pair.indexOf(" → "));
      return {
        label: pair,
        values: xs.map((x) => {
          const slot = perWindow.get(x)!;
          const n = slot.rows.get(truth) ?? 0;
          return n > 0 ? (slot.cells.get(pair) ?? 0) / n : null;
        }),
      };
    }),
  };
}

/** A cell's background: white for none, deeper blue for a larger share of its row. */
export function cellShade(share: number | null): string {
  if (share === null || share <= 0) return "#ffffff";
  const a = Math.min(1, 0.08 + 0.92 * share);
  return `rgba(37, 99, 235, ${a.toFixed(2)})`;
}
