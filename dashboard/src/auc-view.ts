/**
 * A binary model's ranking quality per window: ROC AUC and PR AUC (average precision) per version
 * and stage, on one time axis. PR AUC reads the positive class alone, so with rare positives (fraud)
 * it moves where ROC AUC hardly does. Pure.
 */
import { align, versionKey, type MetricRow } from "./series.js";

export type AucRow = MetricRow & { pr_auc?: number | null };

export interface AucLines {
  xs: number[];
  series: Array<{ label: string; version: string; kind: "roc_auc" | "pr_auc"; values: Array<number | null> }>;
}

/** Whether the rows are a binary model's: some window has a ROC or PR AUC (multi-class and regression have none). */
export function hasAuc(rows: readonly AucRow[]): boolean {
  return rows.some((r) => (r.roc_auc !== null && r.roc_auc !== undefined) || (r.pr_auc !== null && r.pr_auc !== undefined));
}

/** For each version and stage, its ROC AUC line then its PR AUC line, on the union of windows. */
export function aucSeries(rows: AucRow[]): AucLines {
  const roc = align(rows, versionKey, (r) => r.roc_auc ?? null);
  const pr = align(rows, versionKey, (r) => r.pr_auc ?? null);
  return {
    xs: roc.xs,
    series: roc.series.flatMap((s, i) => [
      { label: `${s.label} ROC AUC`, version: s.label, kind: "roc_auc" as const, values: s.values },
      { label: `${s.label} PR AUC`, version: s.label, kind: "pr_auc" as const, values: pr.series[i]!.values },
    ]),
  };
}
